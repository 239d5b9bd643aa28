/**
 * The rollout of a small MLP field — one hidden layer, at most 4 states — in a few kernel calls
 * (assembly/small_field.ts): one call runs the forward pass of a whole segment of steps for every
 * batch row (stage combinations, both layers, bias, activation), one its backward pass (adjoint,
 * σ′, weight and bias gradients). The general engine (SimdRollout) spends ~2,400 calls of tiny
 * products per training step on such a field; it stays the reference these kernels are tested
 * against, and runs every other field. SimdRollout hands a problem over when
 * {@link smallFieldApplies} (the size rule).
 *
 * The kernels put 4 batch rows in the SIMD lanes ([G][width][4], G groups of 4 rows, taken two at a
 * time: the batch is padded to a multiple of 8 by repeating the last row, with a zero output
 * gradient) and pad the state to 4 features with zero weights. Values and state/input gradients are computed with the general kernels' operations in
 * their order (the same bits where those have no scalar remainder, for every activation but elu,
 * whose e^z here is a shorter one); the weight and bias gradients are summed per pair of groups
 * and lane, steps last first, then over lanes and pairs: float32 rounding apart from the general engine's,
 * and the same bits for every checkpoint interval.
 */
import type { Arena, KernelExports } from './kernels.js';
import { checkpointInterval, type SimdGradients, type SimdRolloutData, type SimdRolloutProblem, SIMD_ACTIVATIONS } from './mlp_rollout.js';

/** The exports of assembly/small_field.ts (pointers in bytes, sizes in floats or vectors as documented there). */
export interface SmallFieldExports extends KernelExports {
  sfForward(
    W0: number,
    b0: number,
    W1: number,
    b1: number,
    m: number,
    H: number,
    kind: number,
    alpha: number,
    tab: number,
    s: number,
    G: number,
    t0: number,
    t1: number,
    X: number,
    U: number,
    Y: number,
    Z: number,
    A: number,
    out: number,
    work: number,
  ): void;
  sfBackward(
    W0: number,
    W1: number,
    m: number,
    H: number,
    kind: number,
    alpha: number,
    tab: number,
    s: number,
    G: number,
    t0: number,
    t1: number,
    L: number,
    U: number,
    Y: number,
    Z: number,
    A: number,
    dy: number,
    dU: number,
    grad: number,
    work: number,
  ): void;
  sfGradFloats(m: number, H: number): number;
  /** a = elu(z) over `count` vectors (4·count floats). */
  sfElu(z: number, a: number, count: number): void;
  sfSumGroups(grad: number, G: number, count: number, out: number): void;
}

/**
 * The size rule: the small-field kernels run every problem with one hidden layer (two linear layers)
 * and at most 4 states — any width, inputs, activation, tableau (up to 30 stages), batch, output and
 * checkpoint interval — unless problem.smallField is false. Measured (one thread, elu, RK4, 50
 * steps, forward and backward): 2× to 3.4× faster than the general kernels at widths 16 to 1,024
 * and batches 1 to 144; they stop paying only for a forward pass alone with fewer than 8 rows (a
 * group pair of 8 rows is the least they compute). More states do not fit their 4-lane state.
 */
export function smallFieldApplies(p: SimdRolloutProblem): boolean {
  return p.smallField !== false && p.widths.length === 2 && p.n <= 4 && p.b.length <= 30;
}

function needsPreActivation(p: SimdRolloutProblem): boolean {
  return p.activation === 'silu' || p.activation === 'gelu' || (p.activation === 'leaky_relu' && !(p.alpha > 0));
}

/** Pointers of one problem's buffers; the same allocation sequence after a reset gives the same pointers. */
interface Layout {
  savedStart: number;
  savedEnd: number;
  W0: number;
  b0: number;
  W1: number;
  b1: number;
  tab: number;
  /** Inputs [T][G][m] lanes (0 without inputs). */
  U: number;
  /** Checkpoints x_0, x_k, … [⌈T/k⌉][G][4] lanes (0: full tape). */
  C: number;
  /** Tapes of one segment: Y [E][G][4], Z (0 unless σ′ needs z) and A [E][G][H]. */
  Y: number;
  Z: number;
  A: number;
}

export class SmallFieldRollout {
  private layout: Layout | null = null;
  private evicted: Float32Array | null = null;
  /** Groups of 4 rows (even: the kernels take two at a time). */
  private readonly G: number;
  private readonly every: number;
  private readonly segment: number;

  constructor(
    readonly problem: SimdRolloutProblem,
    private readonly arena: Arena,
  ) {
    this.G = 2 * Math.ceil(problem.batch / 8);
    this.every = checkpointInterval(problem);
    this.segment = this.every > 0 ? Math.min(this.every, problem.steps) : problem.steps;
  }

  private get k(): SmallFieldExports {
    return this.arena.k as SmallFieldExports;
  }

  private layoutOf(): Layout {
    const p = this.problem;
    const { m, steps: T } = p;
    const H = p.widths[0];
    const s = p.b.length;
    const G = this.G;
    const ar = this.arena;
    const savedStart = ar.alloc(0);
    const W0 = ar.alloc((4 + m) * H);
    const b0 = ar.alloc(H);
    const W1 = ar.alloc(H * 4);
    const b1 = ar.alloc(4);
    const tab = ar.alloc(s * s + s);
    const U = m > 0 ? ar.alloc(T * G * m * 4) : 0;
    const C = this.every > 0 ? ar.alloc(Math.ceil(T / this.every) * G * 16) : 0;
    let savedEnd = this.every > 0 ? ar.alloc(0) : 0;
    const E = this.segment * s;
    const Y = ar.alloc(E * G * 16);
    const Z = needsPreActivation(p) ? ar.alloc(E * G * H * 4) : 0;
    const A = ar.alloc(E * G * H * 4);
    if (this.every === 0) savedEnd = ar.alloc(0);
    return { savedStart, savedEnd, W0, b0, W1, b1, tab, U, C, Y, Z, A };
  }

  /** Rows [R, w] (row stride `stride`, 0: one row for all) into lanes [G][4] at float index `at`, the state padded to 4 features. */
  private toLanes(f: Float32Array, at: number, src: Float32Array, from: number, stride: number, w: number, wp: number): void {
    const B = this.problem.batch;
    for (let g = 0; g < this.G; g++) {
      for (let lane = 0; lane < 4; lane++) {
        const r = Math.min(4 * g + lane, B - 1);
        const o = from + r * stride;
        for (let c = 0; c < wp; c++) f[at + (g * wp + c) * 4 + lane] = c < w ? src[o + c] : 0;
      }
    }
  }

  /** Lanes [G][4] at float index `at` into rows [B, n] of dst from index `to`. */
  private fromLanes(f: Float32Array, at: number, dst: Float32Array, to: number): void {
    const { batch: B, n } = this.problem;
    for (let r = 0; r < B; r++) {
      const base = at + (r >> 2) * 16 + (r & 3);
      for (let c = 0; c < n; c++) dst[to + r * n + c] = f[base + c * 4];
    }
  }

  /** The weights (state rows padded to 4, W1's columns to 4), the tableau and the inputs into the arena. */
  private writeData(lay: Layout, data: SimdRolloutData): void {
    const p = this.problem;
    const { n, m, steps: T } = p;
    const H = p.widths[0];
    const f = this.arena.f32();
    const [w0, w1] = data.weights;
    // the state rows transposed, [H, 4] (zero beyond n), then the input rows [m, H]
    f.fill(0, lay.W0 >>> 2, (lay.W0 >>> 2) + 4 * H);
    for (let c = 0; c < n; c++) for (let j = 0; j < H; j++) f[(lay.W0 >>> 2) + j * 4 + c] = w0[c * H + j];
    f.set(w0.subarray(n * H, (n + m) * H), (lay.W0 >>> 2) + 4 * H);
    f.set(data.biases[0], lay.b0 >>> 2);
    f.fill(0, lay.W1 >>> 2, (lay.W1 >>> 2) + 4 * H);
    for (let j = 0; j < H; j++) for (let c = 0; c < n; c++) f[(lay.W1 >>> 2) + j * 4 + c] = w1[j * n + c];
    f.fill(0, lay.b1 >>> 2, (lay.b1 >>> 2) + 4);
    f.set(data.biases[1], lay.b1 >>> 2);
    const s = p.b.length;
    for (let i = 0; i < s; i++) {
      for (let j = 0; j < s; j++) f[(lay.tab >>> 2) + i * s + j] = p.a[i]?.[j] ?? 0;
      f[(lay.tab >>> 2) + s * s + i] = p.b[i];
    }
    if (m > 0) {
      const u = data.u!;
      const G = this.G;
      const stride = p.uBatch === 1 ? 0 : m;
      for (let t = 0; t < T; t++) this.toLanes(f, (lay.U >>> 2) + t * G * m * 4, u, t * p.uBatch * m, stride, m, m);
    }
  }

  /** Forward pass of steps [t0, t1) from the state lanes at X (out: x_{t+1} lanes per step, or 0). */
  private run(lay: Layout, t0: number, t1: number, X: number, out: number, work: number): void {
    const p = this.problem;
    this.k.sfForward(
      lay.W0,
      lay.b0,
      lay.W1,
      lay.b1,
      p.m,
      p.widths[0],
      SIMD_ACTIVATIONS[p.activation],
      p.alpha,
      lay.tab,
      p.b.length,
      this.G,
      t0,
      t1,
      X,
      lay.U,
      lay.Y,
      lay.Z,
      lay.A,
      out,
      work,
    );
  }

  private workFloats(): number {
    // the forward pass needs 8·s + 2·H vectors, the backward pass 16·s + 4·H
    return (this.problem.b.length * 16 + 4 * this.problem.widths[0]) * 4;
  }

  /** As SimdRollout.forward. */
  forward(data: SimdRolloutData): Float32Array {
    const p = this.problem;
    const { n, batch: B, steps: T } = p;
    const G = this.G;
    const ar = this.arena;
    ar.reset();
    const lay = this.layoutOf();
    this.layout = lay;
    this.evicted = null;
    this.writeData(lay, data);
    const X = ar.alloc(G * 16);
    const all = p.output === 'all';
    const outL = all ? ar.alloc(T * G * 16) : 0;
    const work = ar.alloc(this.workFloats());
    this.toLanes(ar.f32(), X >>> 2, data.x0, 0, n, n, 4);
    const every = this.every;
    if (every === 0) this.run(lay, 0, T, X, outL, work);
    else {
      for (let t0 = 0; t0 < T; t0 += every) {
        this.k.copy(lay.C + (t0 / every) * G * 64, X, G * 16);
        this.run(lay, t0, Math.min(T, t0 + every), X, outL, work);
      }
    }
    const f = ar.f32();
    if (!all) {
      const res = new Float32Array(B * n);
      this.fromLanes(f, X >>> 2, res, 0);
      return res;
    }
    const offset = p.includeInitial ? 1 : 0;
    const res = new Float32Array((T + offset) * B * n);
    if (offset === 1) res.set(data.x0, 0);
    for (let t = 0; t < T; t++) this.fromLanes(f, (outL >>> 2) + t * G * 16, res, (t + offset) * B * n);
    return res;
  }

  /** Copy this rollout's weights and tapes out of the arena (another rollout needs it). */
  evict(): void {
    const lay = this.layout;
    if (lay == null || this.evicted != null) return;
    this.evicted = this.arena.read(lay.savedStart, (lay.savedEnd - lay.savedStart) >>> 2);
  }

  get resident(): boolean {
    return this.layout != null && this.evicted == null;
  }

  /** As SimdRollout.backward. */
  backward(dy: Float32Array, wantInputs: boolean): SimdGradients {
    const p = this.problem;
    const { n, m, batch: B, steps: T } = p;
    const H = p.widths[0];
    const s = p.b.length;
    const G = this.G;
    const k = this.k;
    const ar = this.arena;
    if (this.layout == null) throw new Error('SimdRollout.backward: forward was not run');
    ar.reset();
    const lay = this.layoutOf();
    if (this.evicted != null) {
      ar.write(lay.savedStart, this.evicted);
      this.evicted = null;
    }
    const every = this.every;
    const all = p.output === 'all';
    const offset = all && p.includeInitial ? 1 : 0;
    const bn = B * n;
    const L = ar.alloc(G * 16);
    // dy of x_{t+1} at t in lanes (padding rows: zero, so their adjoint is zero)
    const dyL = all ? ar.alloc(T * G * 16) : 0;
    const dU = m > 0 && wantInputs ? ar.alloc(T * G * m * 4) : 0;
    const perGroup = k.sfGradFloats(m, H);
    // gradient accumulators per pair of groups
    const grad = ar.alloc((G / 2) * perGroup);
    k.zero(grad, (G / 2) * perGroup);
    const sums = ar.alloc(perGroup / 4);
    const work = ar.alloc(this.workFloats());
    const X = every > 0 ? ar.alloc(G * 16) : 0;
    const f = ar.f32();
    const dyLanes = (at: number, from: number) => {
      f.fill(0, at, at + G * 16);
      for (let r = 0; r < B; r++) {
        const base = at + (r >> 2) * 16 + (r & 3);
        for (let c = 0; c < n; c++) f[base + c * 4] = dy[from + r * n + c];
      }
    };
    if (all) {
      for (let t = 0; t < T; t++) dyLanes((dyL >>> 2) + t * G * 16, (t + offset) * bn);
      k.copy(L, dyL + (T - 1) * G * 64, G * 16);
    } else dyLanes(L >>> 2, 0);
    const segments = every > 0 ? Math.ceil(T / every) : 1;
    for (let sg = segments - 1; sg >= 0; sg--) {
      const t0 = every > 0 ? sg * every : 0;
      const t1 = every > 0 ? Math.min(T, t0 + every) : T;
      if (every > 0) {
        // recompute the segment's tapes from its checkpoint (the forward pass's arithmetic)
        k.copy(X, lay.C + sg * G * 64, G * 16);
        this.run(lay, t0, t1, X, 0, work);
      }
      k.sfBackward(
        lay.W0,
        lay.W1,
        m,
        H,
        SIMD_ACTIVATIONS[p.activation],
        p.alpha,
        lay.tab,
        s,
        G,
        t0,
        t1,
        L,
        lay.U,
        lay.Y,
        lay.Z,
        lay.A,
        dyL,
        dU,
        grad,
        work,
      );
    }
    k.sfSumGroups(grad, G / 2, perGroup / 4, sums);
    const g = ar.f32().subarray(sums >>> 2, (sums >>> 2) + perGroup / 4);
    // accumulators: [H][8] (W0 state rows k, then W1 columns c), b0 [H], b1 [4], W0 input rows [m][H]
    const gW0 = new Float32Array((n + m) * H);
    const gW1 = new Float32Array(H * n);
    for (let j = 0; j < H; j++) {
      for (let c = 0; c < n; c++) {
        gW0[c * H + j] = g[j * 8 + c];
        gW1[j * n + c] = g[j * 8 + 4 + c];
      }
    }
    for (let c = 0; c < m; c++) for (let j = 0; j < H; j++) gW0[(n + c) * H + j] = g[9 * H + 4 + c * H + j];
    const gb0 = g.slice(8 * H, 9 * H);
    const gb1 = g.slice(9 * H, 9 * H + n);
    const x0 = new Float32Array(bn);
    this.fromLanes(ar.f32(), L >>> 2, x0, 0);
    if (offset === 1) for (let i = 0; i < bn; i++) x0[i] += dy[i];
    let du: Float32Array | null = null;
    if (dU !== 0) {
      const full = new Float32Array(T * B * m);
      const fl = ar.f32();
      for (let t = 0; t < T; t++) {
        for (let r = 0; r < B; r++) {
          const base = (dU >>> 2) + (t * G + (r >> 2)) * m * 4 + (r & 3);
          for (let c = 0; c < m; c++) full[(t * B + r) * m + c] = fl[base + c * 4];
        }
      }
      du = full;
      if (p.uBatch === 1 && B > 1) {
        du = new Float32Array(T * m);
        for (let t = 0; t < T; t++) {
          for (let r = 0; r < B; r++) for (let c = 0; c < m; c++) du[t * m + c] += full[(t * B + r) * m + c];
        }
      }
    }
    this.layout = null;
    return { weights: [gW0, gW1], biases: [gb0, gb1], x0, u: du };
  }
}
