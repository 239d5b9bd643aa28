/**
 * A whole fixed-step rollout of an MLP vector field, forward and backward, on the WebAssembly SIMD
 * kernels (no tfjs): the fast path's engine for small and medium fields, where the cost of a step
 * through tfjs is per-kernel dispatch rather than arithmetic.
 *
 * Field: a_0 = [y, u], z_l = a_l·W_l + b_l, a_{l+1} = σ(z_l), f = z_{L−1}. Step (explicit RK, a and b
 * already multiplied by h): Y_i = x_k + Σ_{j<i} a_ij K_j, K_i = f(Y_i, u_k), x_{k+1} = x_k + Σ_i b_i K_i.
 * Backward (adjoint of the step, as in the tfjs engine, ../tfjs/rollout_op.ts):
 *   dK_i = b_i λ + Σ_{l>i} a_li dY_l,  dY_i = J_f(Y_i)ᵀ dK_i,  λ_k = λ_{k+1} + Σ_i dY_i,
 * and the weight gradients dW_l = Σ_e a_{l,e}ᵀ dz_{l,e} as one product over the rows of all evaluations
 * (with recomputation: of one segment's evaluations, accumulated over the segments, last first).
 * The input part of the first layer is evaluated once per step (P_k = u_k·W_u + b_0) and its
 * gradients from the per-step sum of the first layer's dz over the stages.
 * Recomputation (problem.checkpointEvery = k): the forward pass keeps the states x_0, x_k, x_2k, …
 * instead of every evaluation's activations; the backward pass reruns one segment of k steps from
 * its checkpoint (the same kernel calls on the same data, hence the same activations) and then runs the
 * adjoint over that segment. Memory ~ (T/k + k) steps instead of T, time ~ one more forward pass.
 * Values, x0 and input gradients are the same bits as the full tape's; the weight and bias gradients
 * are summed segment by segment, so they agree with the full tape's to float32 rounding (k >= T: the
 * same bits). The full tape keeps the one product over all rows, so its numbers never change.
 */
import { type Arena, INIT_BIAS, INIT_MATRIX, INIT_ZERO, type KernelExports } from './kernels.js';
import { SmallFieldRollout, smallFieldApplies } from './small_field.js';

/** Activation numbers of assembly/mlp_kernels.ts. */
export const SIMD_ACTIVATIONS = {
  none: 0,
  elu: 1,
  relu: 2,
  leaky_relu: 3,
  tanh: 4,
  sigmoid: 5,
  silu: 6,
  selu: 7,
  gelu: 8,
} as const;

export type SimdActivation = keyof typeof SIMD_ACTIVATIONS;

export function isSimdActivation(name: string): name is SimdActivation {
  return Object.hasOwn(SIMD_ACTIVATIONS, name);
}

export interface SimdRolloutProblem {
  /** States n, inputs m (0: none). */
  n: number;
  m: number;
  /** Output widths of the L layers (the last is n). */
  widths: number[];
  /** Activation of the hidden layers (the last layer is linear). */
  activation: SimdActivation;
  /** Negative slope of leaky_relu. */
  alpha: number;
  batch: number;
  steps: number;
  /** Runge–Kutta matrix and weights, multiplied by h. */
  a: number[][];
  b: number[];
  /** Prepend x_0 to the 'all' output. */
  includeInitial: boolean;
  output: 'all' | 'final';
  /** Batch of the inputs u: the batch, or 1 (one input sequence for every trajectory). */
  uBatch: number;
  /**
   * Recomputation: 0 or absent keeps every evaluation's activations from the forward pass to the
   * backward pass (the full tape); k >= 1 keeps only the state at every k-th step and the backward
   * pass recomputes the activations of one segment of k steps at a time from its checkpoint. Same
   * values and state/input gradients bit for bit; weight gradients to float32 rounding (summed per segment).
   */
  checkpointEvery?: number;
  /**
   * false: always the general kernels, never the small-field ones (./small_field.ts), which otherwise
   * run the problems their size rule takes (the general path is their reference in the tests).
   */
  smallField?: boolean;
}

export interface SimdRolloutData {
  /** W_l as [in_l, out_l] row-major, b_l as [out_l]. */
  weights: Float32Array[];
  biases: Float32Array[];
  /** x_0 [batch, n]. */
  x0: Float32Array;
  /** u [steps, uBatch, m] (null when m = 0). */
  u: Float32Array | null;
}

export interface SimdGradients {
  weights: Float32Array[];
  biases: Float32Array[];
  x0: Float32Array;
  /** [steps, uBatch, m], null when m = 0. */
  u: Float32Array | null;
}

/** Buffer pointers of one problem; the same sequence of allocations gives the same pointers. */
interface Layout {
  /** Region kept between forward and backward: [savedStart, savedEnd) bytes. */
  savedStart: number;
  savedEnd: number;
  W: number[];
  bias: number[];
  /**
   * W_l packed as column panels (gemmPacked), written by the forward pass; the first layer's state
   * rows (WP[0]) and input rows (WPu) apart.
   */
  WP: number[];
  WPu: number;
  /** Stage inputs Y of every evaluation [E·B, n], inputs per step [T·B, m]. */
  Y: number;
  U: number;
  /** Hidden pre-activations (only when σ′ needs z) and outputs, per layer [E·B, width]. */
  Z: number[];
  A: number[];
  /**
   * Steps whose activations Y, Z, A hold: all T (full tape: evaluation e = t·s + i at row block e),
   * or one segment of k steps (with checkpoints: step t at slot t − t0 of its segment [t0, t0 + k)).
   */
  segment: number;
  /** With checkpoints: the states x_0, x_k, x_2k, … [⌈T/k⌉, B, n] (else 0). */
  C: number;
}

/** The checkpoint interval k of a problem (0: the full tape). */
export function checkpointInterval(p: SimdRolloutProblem): number {
  const k = p.checkpointEvery ?? 0;
  return Math.max(k, 0);
}

/** Input width of every layer: n + m, then the previous layer's width. */
export function fanIns(p: SimdRolloutProblem): number[] {
  return p.widths.map((_, l) => (l === 0 ? p.n + p.m : p.widths[l - 1]));
}

function needsPreActivation(p: SimdRolloutProblem): boolean {
  // σ′ from the output y alone for the others (for elu, relu, selu and leaky_relu with a positive
  // slope, y > 0 ⇔ z > 0).
  return p.activation === 'silu' || p.activation === 'gelu' || (p.activation === 'leaky_relu' && !(p.alpha > 0));
}

function layoutOf(p: SimdRolloutProblem, arena: Arena): Layout {
  const { n, m, widths, batch: B, steps: T } = p;
  const s = p.b.length;
  const L = widths.length;
  const every = checkpointInterval(p);
  const segment = every > 0 ? Math.min(every, T) : T;
  const E = segment * s;
  const savedStart = arena.alloc(0);
  const W: number[] = [];
  const bias: number[] = [];
  const fan = fanIns(p);
  for (let l = 0; l < L; l++) {
    W.push(arena.alloc(fan[l] * widths[l]));
    bias.push(arena.alloc(widths[l]));
  }
  const WP = widths.map((N, l) => arena.alloc(packedFloats(l === 0 ? n : fan[l], N)));
  const WPu = m > 0 ? arena.alloc(packedFloats(m, widths[0])) : 0;
  const U = m > 0 ? arena.alloc(T * B * m) : 0;
  const C = every > 0 ? arena.alloc(Math.ceil(T / every) * B * n) : 0;
  // With checkpoints the activations are scratch (recomputed per segment), outside the saved region.
  let savedEnd = every > 0 ? arena.alloc(0) : 0;
  const Y = arena.alloc(E * B * n);
  const keepZ = needsPreActivation(p);
  const Z: number[] = [];
  const A: number[] = [];
  for (let l = 0; l < L - 1; l++) {
    Z.push(keepZ ? arena.alloc(E * B * widths[l]) : 0);
    A.push(arena.alloc(E * B * widths[l]));
  }
  if (every === 0) savedEnd = arena.alloc(0);
  return { savedStart, savedEnd, W, bias, WP, WPu, Y, U, Z, A, segment, C };
}

/** Floats of a [K, N] matrix packed as column panels (assembly/mlp_kernels.ts: packedSize). */
function packedFloats(K: number, N: number): number {
  return K * (N & ~3);
}

/**
 * Kernel-memory bytes of a rollout's forward and backward pass with checkpoint interval `every`
 * (0: the full tape), as the arena allocates them (to within its 16-byte slack): what 'auto'
 * compares with its budget.
 */
export function rolloutArenaBytes(p: SimdRolloutProblem, every: number): number {
  const { n, m, widths, batch: B, steps: T } = p;
  const s = p.b.length;
  const L = widths.length;
  const fan = fanIns(p);
  const segment = every > 0 ? Math.min(every, T) : T;
  let floats = 0;
  for (let l = 0; l < L; l++) {
    floats += 2 * fan[l] * widths[l] + 2 * widths[l]; // W, b and their gradients
    // W packed (the first layer's state and input rows apart: fan · panels), Wᵀ packed
    floats += packedFloats(fan[l], widths[l]);
    floats += l === 0 ? packedFloats(widths[0], n) + (m > 0 ? packedFloats(widths[0], m) : 0) : packedFloats(widths[l], fan[l]);
  }
  floats += T * B * m + (every > 0 ? Math.ceil(T / every) * B * n : 0);
  const hidden = widths.slice(0, L - 1).reduce((a, w) => a + w, 0);
  floats += segment * s * B * (n + (needsPreActivation(p) ? 2 : 1) * hidden);
  // Backward: one segment's dz of every layer and input-part sums, the input gradient of a step, the
  // input part P, states and stages (λ, dY_i, a dy slice, two states, K_i), the work of gemmTN.
  floats +=
    segment * s * B * widths.reduce((a, w) => a + w, 0) + (m > 0 ? segment * B * widths[0] + B * (widths[0] + m) : 0) + (2 * s + 4) * B * n;
  floats += 128 * Math.max(...fan); // gemmTNWork (TN_ROWS in assembly/mlp_kernels.ts)
  return floats * 4;
}

/** Full-tape kernel memory above which 'auto' recomputes (1 GiB). */
export const AUTO_CHECKPOINT_BUDGET = 2 ** 30;

/**
 * The checkpoint interval for a setting: a number k >= 1 as given, null the full tape (0), 'auto' the
 * full tape when its kernel memory fits `budget` bytes, else k = ⌈√T⌉ (memory ~ 2√T steps of
 * activations instead of T, one extra forward pass of time).
 */
export function resolveCheckpointEvery(p: SimdRolloutProblem, setting: number | 'auto' | null, budget = AUTO_CHECKPOINT_BUDGET): number {
  if (setting === null) return 0;
  if (setting !== 'auto') return setting;
  return rolloutArenaBytes(p, 0) <= budget ? 0 : Math.ceil(Math.sqrt(p.steps));
}

/**
 * One rollout on the kernels' arena. `forward` leaves the weights and intermediates in the arena;
 * when another rollout needs the arena before this one's `backward`, `evict` copies them out
 * (and `backward` copies them back).
 */
export class SimdRollout {
  private layout: Layout | null = null;
  private evicted: Float32Array | null = null;
  /** The small-field kernels' rollout, when their size rule takes this problem. */
  private readonly small: SmallFieldRollout | null;

  constructor(
    readonly problem: SimdRolloutProblem,
    private readonly arena: Arena,
  ) {
    this.small = smallFieldApplies(problem) ? new SmallFieldRollout(problem, arena) : null;
  }

  private get k(): KernelExports {
    return this.arena.k;
  }

  /**
   * One Runge–Kutta step from the state at `x` with the inputs of step t, writing the stage inputs and
   * activations at `slot` of the activation buffers and x_{t+1} at `next` (`Ks`: s buffers [B, n],
   * `P`: [B, width_0] when there are inputs). The forward pass and the recomputation both run this.
   */
  private step(lay: Layout, t: number, slot: number, x: number, next: number, Ks: number[], P: number): void {
    const p = this.problem;
    const { n, m, widths, batch: B } = p;
    const s = p.b.length;
    const L = widths.length;
    const k = this.k;
    const kind = SIMD_ACTIVATIONS[p.activation];
    const bn = B * n;
    // P = u_t·W_u + b_0: the input part of the first layer, shared by the stages.
    const N0 = widths[0];
    if (m > 0) k.gemmPacked(lay.U + t * B * m * 4, m, lay.WPu, lay.W[0] + n * N0 * 4, N0, 1, P, N0, B, m, N0, INIT_BIAS, lay.bias[0]);
    for (let i = 0; i < s; i++) {
      const e = slot * s + i;
      const y = lay.Y + e * bn * 4;
      k.copy(y, x, bn);
      for (let j = 0; j < i; j++) {
        const c = p.a[i]?.[j] ?? 0;
        if (c !== 0) k.axpy(y, Ks[j], c, bn);
      }
      let input = y;
      let fanIn = n;
      for (let l = 0; l < L; l++) {
        const N = widths[l];
        const last = l === L - 1;
        const out = last ? Ks[i] : lay.Z[l] ? lay.Z[l] + e * B * N * 4 : lay.A[l] + e * B * N * 4;
        if (l === 0 && m > 0) k.gemmPacked(input, n, lay.WP[0], lay.W[0], N, 1, out, N, B, n, N, INIT_MATRIX, P);
        else k.gemmPacked(input, fanIn, lay.WP[l], lay.W[l], N, 1, out, N, B, fanIn, N, INIT_BIAS, lay.bias[l]);
        if (!last) {
          const act = lay.A[l] + e * B * N * 4;
          k.activate(kind, out, act, B * N, p.alpha);
          input = act;
          fanIn = N;
        }
      }
    }
    k.copy(next, x, bn);
    for (let i = 0; i < s; i++) if (p.b[i] !== 0) k.axpy(next, Ks[i], p.b[i], bn);
  }

  /** Scratch of a step: two state buffers, the stages K_i and the input part P. */
  private stepBuffers(): { X: [number, number]; Ks: number[]; P: number } {
    const p = this.problem;
    const bn = p.batch * p.n;
    const ar = this.arena;
    const X: [number, number] = [ar.alloc(bn), ar.alloc(bn)];
    const Ks = Array.from({ length: p.b.length }, () => ar.alloc(bn));
    const P = p.m > 0 ? ar.alloc(p.batch * p.widths[0]) : 0;
    return { X, Ks, P };
  }

  /**
   * Run the rollout; returns [x_1 … x_T] ([T(+1), B, n], see problem.output) or x_T [B, n]. With output
   * 'all', `into` (that many floats, e.g. a view of a tensor's memory) receives the states instead of
   * a new array and is returned.
   */
  forward(data: SimdRolloutData, into?: Float32Array): Float32Array {
    if (this.small != null) return smallForwardInto(this.problem, this.small.forward(data), into);
    const p = this.problem;
    const { n, m, widths, batch: B, steps: T } = p;
    const L = widths.length;
    const k = this.k;
    const ar = this.arena;
    ar.reset();
    const lay = layoutOf(p, ar);
    this.layout = lay;
    for (let l = 0; l < L; l++) {
      ar.write(lay.W[l], data.weights[l]);
      ar.write(lay.bias[l], data.biases[l]);
      const N = widths[l];
      k.packPanels(lay.W[l], N, l === 0 ? n : fanIns(p)[l], N, lay.WP[l]);
    }
    if (m > 0) k.packPanels(lay.W[0] + n * widths[0] * 4, widths[0], m, widths[0], lay.WPu);
    if (m > 0 && p.uBatch === B) ar.write(lay.U, data.u!.subarray(0, T * B * m));
    else if (m > 0) {
      // one input sequence for every row: repeated B times per step
      const f = ar.f32();
      const u = data.u!;
      for (let t = 0; t < T; t++) {
        for (let r = 0; r < B; r++) {
          const src = (t * p.uBatch + (p.uBatch === 1 ? 0 : r)) * m;
          f.set(u.subarray(src, src + m), (lay.U >>> 2) + (t * B + r) * m);
        }
      }
    }
    // Forward-only buffers.
    const { X, Ks, P } = this.stepBuffers();
    ar.write(X[0], data.x0);
    const every = checkpointInterval(p);
    const bn = B * n;
    const all = p.output === 'all';
    const offset = all && p.includeInitial ? 1 : 0;
    const out = all ? (into ?? new Float32Array((T + offset) * bn)) : null;
    if (out != null && out.length !== (T + offset) * bn)
      throw new RangeError(`SimdRollout.forward: into must hold ${(T + offset) * bn} floats, got ${out.length}`);
    if (offset === 1) out!.set(data.x0, 0);
    for (let t = 0; t < T; t++) {
      const x = X[t & 1];
      const next = X[(t + 1) & 1];
      if (every > 0 && t % every === 0) k.copy(lay.C + (t / every) * bn * 4, x, bn);
      this.step(lay, t, every > 0 ? t % every : t, x, next, Ks, P);
      if (out != null) out.set(ar.f32().subarray(next >>> 2, (next >>> 2) + bn), (t + offset) * bn);
    }
    return out ?? ar.read(X[T & 1], bn);
  }

  /** Copy this rollout's weights and intermediates out of the arena (another rollout needs it). */
  evict(): void {
    if (this.small != null) {
      this.small.evict();
      return;
    }
    const lay = this.layout;
    if (lay == null || this.evicted != null) return;
    this.evicted = this.arena.read(lay.savedStart, (lay.savedEnd - lay.savedStart) >>> 2);
  }

  /** Whether this rollout's data is still in the arena (not evicted). */
  get resident(): boolean {
    if (this.small != null) return this.small.resident;
    return this.layout != null && this.evicted == null;
  }

  /**
   * Gradients of Σ dy ⊙ output with respect to the weights, biases, x_0 and u. `dy` has the output's
   * shape. Requires a preceding `forward` (its data are copied back if they were evicted). `duInto`
   * ([steps, batch, m] floats; only when uBatch is the batch) receives the input gradient instead of
   * a new array. `views`: the weight and bias gradients as views of the kernels' memory instead of
   * copies (no allocation; valid only until the arena's next use: read them at once).
   */
  backward(dy: Float32Array, wantInputs: boolean, duInto?: Float32Array, views = false): SimdGradients {
    checkDuInto(this.problem, duInto);
    if (this.small != null) return withDuInto(this.small.backward(dy, wantInputs), duInto);
    const p = this.problem;
    const { n, m, widths, batch: B, steps: T } = p;
    const s = p.b.length;
    const L = widths.length;
    const k = this.k;
    const ar = this.arena;
    if (this.layout == null) throw new Error('SimdRollout.backward: forward was not run');
    ar.reset();
    const lay = layoutOf(p, ar);
    if (this.evicted != null) {
      ar.write(lay.savedStart, this.evicted);
      this.evicted = null;
    }
    const bn = B * n;
    const fan = fanIns(p);
    const every = checkpointInterval(p);
    // Weights transposed and packed once (first layer: state rows and input rows apart), so every
    // product of the backward chain is a plain one: dX = dZ·Wᵀ with Wᵀ [N, K] read from WT (its
    // columns past the panels from W itself: entry (k, j) of Wᵀ at float j·N + k of W).
    const WT = widths.map((N, l) => {
      const K = l === 0 ? n : fan[l];
      const t = ar.alloc(packedFloats(N, K));
      k.packPanelsT(lay.W[l], N, N, K, t);
      return t;
    });
    const Wu = lay.W[0] + n * widths[0] * 4;
    const WTu = m > 0 ? ar.alloc(packedFloats(widths[0], m)) : 0;
    if (m > 0) k.packPanelsT(Wu, widths[0], widths[0], m, WTu);
    // dz of every layer and evaluation of one segment (the whole rollout on the full tape); rows of
    // evaluations without adjoint stay zero. S0: the per-step sum of the first layer's dz over the stages.
    const seg = lay.segment;
    const D = widths.map((N) => ar.alloc(seg * s * B * N));
    const N0 = widths[0];
    const S0 = m > 0 ? ar.alloc(seg * B * N0) : 0;
    const dUt = m > 0 && wantInputs ? ar.alloc(B * m) : 0;
    const dUall = dUt !== 0 ? (duInto ?? new Float32Array(T * B * m)) : null;
    const lambda = ar.alloc(bn);
    const dYs = Array.from({ length: s }, () => ar.alloc(bn));
    const dyStep = ar.alloc(bn);
    // Weight and bias gradients: one product per layer over the rows of a segment, accumulated over
    // the segments (last first). The full tape is one segment: one product over all evaluations' rows.
    const gW = widths.map((N, l) => {
      const g = ar.alloc(fan[l] * N);
      k.zero(g, fan[l] * N);
      return g;
    });
    const gB = widths.map((N) => {
      const g = ar.alloc(N);
      k.zero(g, N);
      return g;
    });
    const work = ar.alloc(k.gemmTNWork(Math.max(...fan)));
    const scratch = every > 0 ? this.stepBuffers() : null;
    const offset = p.output === 'all' && p.includeInitial ? 1 : 0;
    const addDy = (j: number) => {
      ar.write(dyStep, dy.subarray(j * bn, (j + 1) * bn));
      k.axpy(lambda, dyStep, 1, bn);
    };
    ar.write(lambda, p.output === 'all' ? dy.subarray((T - 1 + offset) * bn, (T + offset) * bn) : dy.subarray(0, bn));
    const kind = SIMD_ACTIVATIONS[p.activation];
    const hasAdjoint = new Array<boolean>(s);
    const segments = every > 0 ? Math.ceil(T / every) : 1;
    for (let sg = segments - 1; sg >= 0; sg--) {
      const t0 = every > 0 ? sg * every : 0;
      const t1 = every > 0 ? Math.min(T, t0 + every) : T;
      if (scratch != null) {
        // Recompute the segment's activations from its checkpoint (the forward pass's arithmetic).
        k.copy(scratch.X[0], lay.C + sg * bn * 4, bn);
        for (let t = t0; t < t1; t++) {
          this.step(lay, t, t - t0, scratch.X[(t - t0) & 1], scratch.X[(t - t0 + 1) & 1], scratch.Ks, scratch.P);
        }
      }
      // dK (the last layer's dz) is accumulated; the other layers' dz are written whole by the
      // products below, or zeroed for an evaluation without adjoint.
      k.zero(D[L - 1], (t1 - t0) * s * B * widths[L - 1]);
      if (m > 0) k.zero(S0, (t1 - t0) * B * N0);
      for (let t = t1 - 1; t >= t0; t--) {
        const slot = t - t0;
        for (let i = s - 1; i >= 0; i--) {
          const e = slot * s + i;
          // dK_i = b_i λ + Σ_{l>i} a_li dY_l, written as the last layer's dz.
          const dK = D[L - 1] + e * bn * 4;
          let any = false;
          if (p.b[i] !== 0) {
            k.axpy(dK, lambda, p.b[i], bn);
            any = true;
          }
          for (let l = i + 1; l < s; l++) {
            const c = p.a[l]?.[i] ?? 0;
            if (c !== 0 && hasAdjoint[l]) {
              k.axpy(dK, dYs[l], c, bn);
              any = true;
            }
          }
          hasAdjoint[i] = any;
          if (!any) {
            for (let l = 0; l < L - 1; l++) k.zero(D[l] + e * B * widths[l] * 4, B * widths[l]);
            continue;
          }
          for (let l = L - 1; l >= 1; l--) {
            const N = widths[l];
            const Nin = widths[l - 1];
            const dIn = D[l - 1] + e * B * Nin * 4;
            k.gemmPacked(D[l] + e * B * N * 4, N, WT[l], lay.W[l], 1, N, dIn, Nin, B, N, Nin, INIT_ZERO, 0);
            const act = lay.A[l - 1] + e * B * Nin * 4;
            const z = lay.Z[l - 1] ? lay.Z[l - 1] + e * B * Nin * 4 : act;
            k.activationBackward(kind, dIn, z, act, B * Nin, p.alpha);
          }
          const d0 = D[0] + e * B * N0 * 4;
          k.gemmPacked(d0, N0, WT[0], lay.W[0], 1, N0, dYs[i], n, B, N0, n, INIT_ZERO, 0);
          if (m > 0) k.axpy(S0 + slot * B * N0 * 4, d0, 1, B * N0);
        }
        for (let i = 0; i < s; i++) if (hasAdjoint[i]) k.axpy(lambda, dYs[i], 1, bn);
        if (dUt !== 0) {
          k.gemmPacked(S0 + slot * B * N0 * 4, N0, WTu, Wu, 1, N0, dUt, m, B, N0, m, INIT_ZERO, 0);
          dUall!.set(ar.f32().subarray(dUt >>> 2, (dUt >>> 2) + B * m), t * B * m);
        }
        if (t > 0 && p.output === 'all') addDy(t - 1 + offset);
      }
      // This segment's share of the weight and bias gradients: Σ over its (t1 − t0)·s·B rows.
      const rows = (t1 - t0) * s * B;
      k.gemmTN(lay.Y, n, D[0], N0, gW[0], rows, n, N0, work);
      if (m > 0) k.gemmTN(lay.U + t0 * B * m * 4, m, S0, N0, gW[0] + n * N0 * 4, (t1 - t0) * B, m, N0, work);
      for (let l = 1; l < L; l++) k.gemmTN(lay.A[l - 1], fan[l], D[l], widths[l], gW[l], rows, fan[l], widths[l], work);
      for (let l = 0; l < L; l++) k.colSum(D[l], widths[l], rows, widths[l], gB[l]);
    }
    if (offset === 1) addDy(0);
    let du: Float32Array | null = null;
    if (dUall != null) {
      const full = dUall;
      du = full;
      if (p.uBatch === 1 && B > 1) {
        du = new Float32Array(T * m);
        for (let t = 0; t < T; t++) {
          for (let r = 0; r < B; r++) for (let c = 0; c < m; c++) du[t * m + c] += full[(t * B + r) * m + c];
        }
      }
    }
    const take = (ptr: number, floats: number) => (views ? ar.f32().subarray(ptr >>> 2, (ptr >>> 2) + floats) : ar.read(ptr, floats));
    const grads: SimdGradients = {
      weights: gW.map((g, l) => take(g, fan[l] * widths[l])),
      biases: gB.map((g, l) => take(g, widths[l])),
      x0: ar.read(lambda, bn),
      u: du,
    };
    this.layout = null;
    return grads;
  }
}

/** The small-field engine's states written into `into` (output 'all'), with SimdRollout.forward's checks. */
function smallForwardInto(p: SimdRolloutProblem, out: Float32Array, into?: Float32Array): Float32Array {
  if (into == null || p.output !== 'all') return out;
  if (into.length !== out.length) throw new RangeError(`SimdRollout.forward: into must hold ${out.length} floats, got ${into.length}`);
  into.set(out);
  return into;
}

/** SimdRollout.backward's check of a caller-owned input-gradient array, before any work is done. */
function checkDuInto(p: SimdRolloutProblem, duInto?: Float32Array): void {
  const need = p.steps * p.batch * p.m;
  if (duInto != null && (duInto.length !== need || p.uBatch !== p.batch)) {
    throw new RangeError(`SimdRollout.backward: duInto must hold ${need} floats with uBatch = batch, got ${duInto.length}`);
  }
}

/** The small-field engine's input gradient written into `duInto`. */
function withDuInto(g: SimdGradients, duInto?: Float32Array): SimdGradients {
  if (duInto == null || g.u == null) return g;
  duInto.set(g.u);
  return { ...g, u: duInto };
}
