/**
 * The tail of a training step on the SIMD kernels, over flat float32 buffers: the mean squared error
 * and its gradient, the global gradient norm with torch's clip_grad_norm_ factor, and the Adam or
 * NAdam update of torch.optim — the rules of @sii/train's Adam and NAdam (whose tfjs implementation
 * stays the reference): one kernel call each instead of some sixty tfjs kernels. Parameters and
 * moments live in the optimizer's own kernel instance (the rollout's arena is reset by every rollout).
 */
import { Arena, createSimdKernels, type KernelExports, relaxedSimdSupported } from './kernels.js';

export interface SimdMomentOptions {
  /** 'adam' (torch.optim.Adam) or 'nadam' (torch.optim.NAdam). */
  method: 'adam' | 'nadam';
  /** Default 1e-3 (Adam) or 2e-3 (NAdam), as torch. */
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** NAdam's ψ (default 4e-3). */
  momentumDecay?: number;
  /** Clip the global gradient norm to this value (torch clip_grad_norm_); off when undefined. */
  clipNorm?: number;
}

function checkNumber(name: string, value: number, ok: (x: number) => boolean, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new RangeError(`SimdMomentOptimizer: ${name} must be ${what}, got ${String(value)}`);
  }
}

/**
 * torch's clip_grad_norm_ factor min(1, maxNorm / (norm + 1e-6)), each operation rounded to float32
 * as @sii/train's clipByGlobalNorm computes it with tfjs kernels (norm + 1e-6, maxNorm / ·, min).
 */
export function clipFactor(maxNorm: number, norm: number): number {
  const f = Math.fround;
  return Math.min(f(f(maxNorm) / f(f(norm) + f(1e-6))), 1);
}

export class SimdMomentOptimizer {
  readonly size: number;
  readonly method: 'adam' | 'nadam';
  private lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly momentumDecay: number;
  readonly clipNorm: number | undefined;
  /** Steps taken. */
  iterations = 0;
  private muProd = 1;
  private readonly k: KernelExports;
  private readonly arena: Arena;
  private readonly theta: number;
  private readonly grad: number;
  private readonly m: number;
  private readonly v: number;
  /** Buffers of `mse` (pred, target, gradient), grown on demand. */
  private lossBuffers = { floats: 0, pred: 0, target: 0, grad: 0 };

  /** Starts from the flat parameters `params` (copied), zero moments. */
  constructor(params: Float32Array, opts: SimdMomentOptions) {
    if (!(params instanceof Float32Array) || params.length === 0) {
      throw new TypeError(`SimdMomentOptimizer: params must be a non-empty Float32Array, got ${String(params)}`);
    }
    if (opts?.method !== 'adam' && opts?.method !== 'nadam') {
      throw new RangeError(`SimdMomentOptimizer: options.method must be 'adam' or 'nadam', got ${String(opts?.method)}`);
    }
    this.method = opts.method;
    this.lr = opts.learningRate ?? (opts.method === 'adam' ? 1e-3 : 2e-3);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.momentumDecay = opts.momentumDecay ?? 4e-3;
    this.clipNorm = opts.clipNorm;
    checkNumber('options.learningRate', this.lr, (x) => x >= 0, 'a finite number >= 0');
    checkNumber('options.beta1', this.beta1, (x) => x >= 0 && x < 1, 'in [0, 1)');
    checkNumber('options.beta2', this.beta2, (x) => x >= 0 && x < 1, 'in [0, 1)');
    checkNumber('options.epsilon', this.epsilon, (x) => x > 0, 'a finite number > 0');
    checkNumber('options.momentumDecay', this.momentumDecay, (x) => x >= 0, 'a finite number >= 0');
    if (this.clipNorm !== undefined) checkNumber('options.clipNorm', this.clipNorm, (x) => x > 0, 'a finite number > 0');
    this.k = createSimdKernels(relaxedSimdSupported() ? 'relaxed' : 'plain');
    this.arena = new Arena(this.k);
    this.size = params.length;
    this.theta = this.arena.alloc(this.size);
    this.grad = this.arena.alloc(this.size);
    this.m = this.arena.alloc(this.size);
    this.v = this.arena.alloc(this.size);
    this.arena.write(this.theta, params);
    this.k.zero(this.m, this.size);
    this.k.zero(this.v, this.size);
  }

  /** The learning rate of the next steps (a schedule may change it between steps). */
  get learningRate(): number {
    return this.lr;
  }

  set learningRate(lr: number) {
    checkNumber('learningRate', lr, (x) => x >= 0, 'a finite number >= 0');
    this.lr = lr;
  }

  /** A copy of the current parameters. */
  get params(): Float32Array {
    return this.arena.read(this.theta, this.size);
  }

  /**
   * The current parameters as a view of the kernels' memory (no copy): valid until the next call
   * that may grow the memory (`mse` with a larger size); read it at once.
   */
  paramsView(): Float32Array {
    const at = this.theta >> 2;
    return this.arena.f32().subarray(at, at + this.size);
  }

  /** A copy of the moments (m, v). */
  get moments(): { m: Float32Array; v: Float32Array } {
    return { m: this.arena.read(this.m, this.size), v: this.arena.read(this.v, this.size) };
  }

  /** NAdam's running product Π μ_i of the steps taken (1 before the first; Adam: always 1). */
  get muProduct(): number {
    return this.muProd;
  }

  /**
   * Replace the whole state: parameters, moments, steps taken and (NAdam) the running product of μ
   * — e.g. those of @sii/train's Adam/NAdam, to continue a run on the kernels.
   */
  setState(s: { params: ArrayLike<number>; m: ArrayLike<number>; v: ArrayLike<number>; iterations: number; muProduct?: number }): void {
    const where = 'SimdMomentOptimizer.setState';
    for (const k of ['params', 'm', 'v'] as const) {
      if (s?.[k]?.length !== this.size) throw new RangeError(`${where}: state.${k} must hold ${this.size} values, got ${s?.[k]?.length}`);
    }
    if (!Number.isInteger(s.iterations) || s.iterations < 0)
      throw new RangeError(`${where}: state.iterations must be an integer >= 0, got ${String(s.iterations)}`);
    const mu = s.muProduct ?? 1;
    checkNumber('state.muProduct', mu, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    this.arena.write(this.theta, s.params);
    this.arena.write(this.m, s.m);
    this.arena.write(this.v, s.v);
    this.iterations = s.iterations;
    this.muProd = mu;
  }

  /** mean((pred − target)²) and its gradient with respect to pred. */
  mse(pred: Float32Array, target: Float32Array): { loss: number; grad: Float32Array } {
    if (pred.length !== target.length || pred.length === 0) {
      throw new RangeError(
        `SimdMomentOptimizer.mse: pred and target must have the same non-zero length, got ${pred.length} and ${target.length}`,
      );
    }
    const n = pred.length;
    if (this.lossBuffers.floats < n) {
      this.lossBuffers = { floats: n, pred: this.arena.alloc(n), target: this.arena.alloc(n), grad: this.arena.alloc(n) };
    }
    const { pred: p, target: t, grad: g } = this.lossBuffers;
    this.arena.write(p, pred);
    this.arena.write(t, target);
    const sum = this.k.squaredError(p, t, g, n, 2 / n);
    return { loss: sum / n, grad: this.arena.read(g, n) };
  }

  /**
   * One update from the flat gradient (the parameters' order): clipping by the global norm when
   * options.clipNorm is set (factor min(1, clipNorm / (norm + 1e-6)), as torch), then Adam or NAdam.
   * Returns the gradient's global norm before clipping.
   */
  step(grad: Float32Array): { norm: number } {
    if (!(grad instanceof Float32Array) || grad.length !== this.size) {
      throw new RangeError(`SimdMomentOptimizer.step: grad must be a Float32Array of ${this.size} values, got ${grad?.length}`);
    }
    this.arena.write(this.grad, grad);
    const norm = this.gradNorm();
    this.update(norm);
    return { norm };
  }

  /** @internal Write the gradient piece `values` at float offset `at` of the flat gradient buffer. */
  writeGrad(values: Float32Array, at: number): void {
    this.arena.f32().set(values, (this.grad >> 2) + at);
  }

  /** @internal The global L2 norm of the gradient buffer (float64 accumulation). */
  gradNorm(): number {
    return Math.sqrt(this.k.sumSquares(this.grad, this.size));
  }

  /** @internal The update from the gradient buffer, whose norm before clipping is `norm`. */
  update(norm: number): void {
    const scale = this.clipNorm === undefined ? 1 : clipFactor(this.clipNorm, norm);
    this.iterations += 1;
    const t = this.iterations;
    const { cg, cm } = this.coefficients(t);
    const ibc2 = 1 / (1 - this.beta2 ** t);
    const [b1, b2] = [this.beta1, this.beta2];
    this.k.momentStep(this.theta, this.grad, this.m, this.v, this.size, scale, b1, 1 - b1, b2, 1 - b2, ibc2, this.epsilon, cg, cm);
  }

  /** (cg, cm) of step t: Adam cg = 0, cm = lr/(1 − β1^t); NAdam with μ_t = β1(1 − ½·0.96^(tψ)). */
  private coefficients(t: number): { cg: number; cm: number } {
    const lr = this.lr;
    if (this.method === 'adam') return { cg: 0, cm: lr / (1 - this.beta1 ** t) };
    const mu = this.beta1 * (1 - 0.5 * 0.96 ** (t * this.momentumDecay));
    const muNext = this.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * this.momentumDecay));
    this.muProd *= mu;
    return { cg: (lr * (1 - mu)) / (1 - this.muProd), cm: (lr * muNext) / (1 - this.muProd * muNext) };
  }
}
