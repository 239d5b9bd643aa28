/**
 * A whole fixed-step rollout of an MLP vector field, forward and backward, on the WebAssembly SIMD
 * kernels (no tfjs): the fast path's engine for small and medium fields, where the cost of a step
 * through tfjs is per-kernel dispatch rather than arithmetic.
 *
 * Field: a_0 = [y, u], z_l = a_l·W_l + b_l, a_{l+1} = σ(z_l), f = z_{L−1}. Step (explicit RK, a and b
 * already multiplied by h): Y_i = x_k + Σ_{j<i} a_ij K_j, K_i = f(Y_i, u_k), x_{k+1} = x_k + Σ_i b_i K_i.
 * Backward (adjoint of the step, as in the tfjs engine, ../tfjs/rollout_op.ts):
 *   dK_i = b_i λ + Σ_{l>i} a_li dY_l,  dY_i = J_f(Y_i)ᵀ dK_i,  λ_k = λ_{k+1} + Σ_i dY_i,
 * and the weight gradients dW_l = Σ_e a_{l,e}ᵀ dz_{l,e} as one product over all evaluations' rows.
 * The input part of the first layer is evaluated once per step (P_k = u_k·W_u + b_0) and its
 * gradients from the per-step sum of the first layer's dz over the stages.
 */
import { type Arena, INIT_BIAS, INIT_MATRIX, INIT_ZERO, type KernelExports } from './kernels.js';

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
  /** Stage inputs Y of every evaluation [E·B, n], inputs per step [T·B, m]. */
  Y: number;
  U: number;
  /** Hidden pre-activations (only when σ′ needs z) and outputs, per layer [E·B, width]. */
  Z: number[];
  A: number[];
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
  const E = T * s;
  const savedStart = arena.alloc(0);
  const W: number[] = [];
  const bias: number[] = [];
  const fan = fanIns(p);
  for (let l = 0; l < L; l++) {
    W.push(arena.alloc(fan[l] * widths[l]));
    bias.push(arena.alloc(widths[l]));
  }
  const Y = arena.alloc(E * B * n);
  const U = m > 0 ? arena.alloc(T * B * m) : 0;
  const keepZ = needsPreActivation(p);
  const Z: number[] = [];
  const A: number[] = [];
  for (let l = 0; l < L - 1; l++) {
    Z.push(keepZ ? arena.alloc(E * B * widths[l]) : 0);
    A.push(arena.alloc(E * B * widths[l]));
  }
  const savedEnd = arena.alloc(0);
  return { savedStart, savedEnd, W, bias, Y, U, Z, A };
}

/**
 * One rollout on the kernels' arena. `forward` leaves the weights and intermediates in the arena;
 * when another rollout needs the arena before this one's `backward`, `evict` copies them out
 * (and `backward` copies them back).
 */
export class SimdRollout {
  private layout: Layout | null = null;
  private evicted: Float32Array | null = null;

  constructor(
    readonly problem: SimdRolloutProblem,
    private readonly arena: Arena,
  ) {}

  private get k(): KernelExports {
    return this.arena.k;
  }

  /** Run the rollout; returns [x_1 … x_T] ([T(+1), B, n], see problem.output) or x_T [B, n]. */
  forward(data: SimdRolloutData): Float32Array {
    const p = this.problem;
    const { n, m, widths, batch: B, steps: T } = p;
    const s = p.b.length;
    const L = widths.length;
    const k = this.k;
    const ar = this.arena;
    ar.reset();
    const lay = layoutOf(p, ar);
    this.layout = lay;
    for (let l = 0; l < L; l++) {
      ar.write(lay.W[l], data.weights[l]);
      ar.write(lay.bias[l], data.biases[l]);
    }
    if (m > 0) {
      const f = ar.f32();
      const u = data.u!;
      for (let t = 0; t < T; t++) {
        for (let r = 0; r < B; r++) {
          const src = (t * p.uBatch + (p.uBatch === 1 ? 0 : r)) * m;
          f.set(u.subarray(src, src + m), (lay.U >> 2) + (t * B + r) * m);
        }
      }
    }
    // Forward-only buffers.
    const X = ar.alloc((T + 1) * B * n);
    const Ks = Array.from({ length: s }, () => ar.alloc(B * n));
    const P = m > 0 ? ar.alloc(B * widths[0]) : 0;
    ar.write(X, data.x0);
    const kind = SIMD_ACTIVATIONS[p.activation];
    const bn = B * n;
    for (let t = 0; t < T; t++) {
      const x = X + t * bn * 4;
      // P = u_t·W_u + b_0: the input part of the first layer, shared by the stages.
      if (m > 0) k.gemm(lay.U + t * B * m * 4, m, lay.W[0] + n * widths[0] * 4, P, widths[0], B, m, widths[0], INIT_BIAS, lay.bias[0]);
      for (let i = 0; i < s; i++) {
        const e = t * s + i;
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
          if (l === 0 && m > 0) k.gemm(input, n, lay.W[0], out, N, B, n, N, INIT_MATRIX, P);
          else k.gemm(input, fanIn, lay.W[l], out, N, B, fanIn, N, INIT_BIAS, lay.bias[l]);
          if (!last) {
            const act = lay.A[l] + e * B * N * 4;
            k.activate(kind, out, act, B * N, p.alpha);
            input = act;
            fanIn = N;
          }
        }
      }
      const next = X + (t + 1) * bn * 4;
      k.copy(next, x, bn);
      for (let i = 0; i < s; i++) if (p.b[i] !== 0) k.axpy(next, Ks[i], p.b[i], bn);
    }
    if (p.output === 'final') return ar.read(X + T * bn * 4, bn);
    return p.includeInitial ? ar.read(X, (T + 1) * bn) : ar.read(X + bn * 4, T * bn);
  }

  /** Copy this rollout's weights and intermediates out of the arena (another rollout needs it). */
  evict(): void {
    const lay = this.layout;
    if (lay == null || this.evicted != null) return;
    this.evicted = this.arena.read(lay.savedStart, (lay.savedEnd - lay.savedStart) >> 2);
  }

  /** Whether this rollout's data is still in the arena (not evicted). */
  get resident(): boolean {
    return this.layout != null && this.evicted == null;
  }

  /**
   * Gradients of Σ dy ⊙ output with respect to the weights, biases, x_0 and u. `dy` has the output's
   * shape. Requires a preceding `forward` (its data are copied back if they were evicted).
   */
  backward(dy: Float32Array, wantInputs: boolean): SimdGradients {
    const p = this.problem;
    const { n, m, widths, batch: B, steps: T } = p;
    const s = p.b.length;
    const L = widths.length;
    const E = T * s;
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
    // Weights transposed once (first layer: state rows and input rows apart), so every product of
    // the backward chain is a plain one.
    const WT = widths.map((N, l) => {
      const K = l === 0 ? n : fan[l];
      const t = ar.alloc(N * K);
      k.transpose(lay.W[l], t, K, N);
      return t;
    });
    const WTu = m > 0 ? ar.alloc(widths[0] * m) : 0;
    if (m > 0) k.transpose(lay.W[0] + n * widths[0] * 4, WTu, m, widths[0]);
    // dz of every layer and evaluation (rows of evaluations without adjoint stay zero).
    const D = widths.map((N) => {
      const d = ar.alloc(E * B * N);
      k.zero(d, E * B * N);
      return d;
    });
    const S0 = m > 0 ? ar.alloc(T * B * widths[0]) : 0;
    if (m > 0) k.zero(S0, T * B * widths[0]);
    const dU = m > 0 && wantInputs ? ar.alloc(T * B * m) : 0;
    const lambda = ar.alloc(bn);
    const dYs = Array.from({ length: s }, () => ar.alloc(bn));
    const dyPtr = ar.alloc(dy.length);
    ar.write(dyPtr, dy);
    const offset = p.output === 'all' && p.includeInitial ? 1 : 0;
    const dySlice = (j: number) => dyPtr + j * bn * 4;
    k.copy(lambda, p.output === 'all' ? dySlice(T - 1 + offset) : dyPtr, bn);
    const kind = SIMD_ACTIVATIONS[p.activation];
    const hasAdjoint = new Array<boolean>(s);
    for (let t = T - 1; t >= 0; t--) {
      for (let i = s - 1; i >= 0; i--) {
        const e = t * s + i;
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
        if (!any) continue;
        for (let l = L - 1; l >= 1; l--) {
          const N = widths[l];
          const Nin = widths[l - 1];
          const dIn = D[l - 1] + e * B * Nin * 4;
          k.gemm(D[l] + e * B * N * 4, N, WT[l], dIn, Nin, B, N, Nin, INIT_ZERO, 0);
          const act = lay.A[l - 1] + e * B * Nin * 4;
          const z = lay.Z[l - 1] ? lay.Z[l - 1] + e * B * Nin * 4 : act;
          k.activationBackward(kind, dIn, z, act, B * Nin, p.alpha);
        }
        const N0 = widths[0];
        const d0 = D[0] + e * B * N0 * 4;
        k.gemm(d0, N0, WT[0], dYs[i], n, B, N0, n, INIT_ZERO, 0);
        if (m > 0) k.axpy(S0 + t * B * N0 * 4, d0, 1, B * N0);
      }
      for (let i = 0; i < s; i++) if (hasAdjoint[i]) k.axpy(lambda, dYs[i], 1, bn);
      if (dU !== 0) k.gemm(S0 + t * B * widths[0] * 4, widths[0], WTu, dU + t * B * m * 4, m, B, widths[0], m, INIT_ZERO, 0);
      if (t > 0 && p.output === 'all') k.axpy(lambda, dySlice(t - 1 + offset), 1, bn);
    }
    if (offset === 1) k.axpy(lambda, dySlice(0), 1, bn);
    // Weight and bias gradients: one product over all evaluations' rows per layer.
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
    for (let l = 0; l < L; l++) {
      const N = widths[l];
      if (l === 0) {
        k.gemmTN(lay.Y, n, D[0], N, gW[0], E * B, n, N, work);
        if (m > 0) k.gemmTN(lay.U, m, S0, N, gW[0] + n * N * 4, T * B, m, N, work);
      } else {
        k.gemmTN(lay.A[l - 1], fan[l], D[l], N, gW[l], E * B, fan[l], N, work);
      }
      k.colSum(D[l], N, E * B, N, gB[l]);
    }
    let du: Float32Array | null = null;
    if (dU !== 0) {
      const full = ar.read(dU, T * B * m);
      du = full;
      if (p.uBatch === 1 && B > 1) {
        du = new Float32Array(T * m);
        for (let t = 0; t < T; t++) {
          for (let r = 0; r < B; r++) for (let c = 0; c < m; c++) du[t * m + c] += full[(t * B + r) * m + c];
        }
      }
    }
    const grads: SimdGradients = {
      weights: gW.map((g, l) => ar.read(g, fan[l] * widths[l])),
      biases: gB.map((g, l) => ar.read(g, widths[l])),
      x0: ar.read(lambda, bn),
      u: du,
    };
    this.layout = null;
    return grads;
  }
}
