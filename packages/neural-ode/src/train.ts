/**
 * Small training helpers: Adam and NAdam with PyTorch's update rules (the paper's code uses
 * torch.optim), gradient-norm clipping as torch.nn.utils.clip_grad_norm_, and a leak-free train step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { show } from './validate.js';

export interface Optimizer {
  /** Apply one update given the gradient of each variable (same order). */
  step(variables: readonly Variable[], grads: readonly Tensor[]): void;
  /** Number of steps taken. */
  readonly iterations: number;
  learningRate: number;
  dispose(): void;
}

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface NAdamOptions extends AdamOptions {
  /** ψ in μ_t = β1·(1 − ½·0.96^(t·ψ)) (torch default 0.004). */
  momentumDecay?: number;
}

function checkHyper(where: string, o: Required<AdamOptions>): void {
  if (!(o.learningRate >= 0) || !Number.isFinite(o.learningRate)) {
    throw new RangeError(`${where}: learningRate must be a finite number >= 0, got ${show(o.learningRate)}`);
  }
  for (const k of ['beta1', 'beta2'] as const) {
    if (!(o[k] >= 0 && o[k] < 1)) throw new RangeError(`${where}: ${k} must be in [0, 1), got ${show(o[k])}`);
  }
  if (!(o.epsilon > 0) || !Number.isFinite(o.epsilon)) {
    throw new RangeError(`${where}: epsilon must be a finite number > 0, got ${show(o.epsilon)}`);
  }
}

/** Flat moment estimates of one ordered list of variables (concatenated in that order). */
interface FlatState {
  vars: readonly Variable[];
  key: string;
  m: Tensor;
  v: Tensor;
}

/** Tensors (variables' values or gradients) as one new flat 1-D tensor, concatenated in order. */
export function flatten(tensors: readonly Tensor[]): Tensor {
  if (tensors.length === 0) throw new RangeError('flatten: got no tensors');
  return tf.tidy(() => {
    const flat = tensors.map((t) => (t.rank === 1 ? t : tf.reshape(t, [t.size])));
    return flat.length === 1 ? (flat[0] === tensors[0] ? tf.clone(flat[0]!) : flat[0]!) : tf.concat(flat, 0);
  });
}

abstract class MomentOptimizer implements Optimizer {
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  protected t = 0;
  /**
   * The moments are kept as ONE flat tensor each for the variable list of the last step (about 15
   * kernels per update instead of ~13 per variable). When a step comes with another variable list,
   * the flat state is split back into per-variable moments (`parked`) and the new list's state is
   * assembled from them (zeros for new variables): the same per-variable semantics as torch.
   */
  private flat: FlatState | null = null;
  private readonly parked = new Map<Variable, { m: Tensor; v: Tensor }>();

  constructor(where: string, opts: AdamOptions, defaultLr: number) {
    const o = { learningRate: defaultLr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...opts };
    checkHyper(where, o);
    this.learningRate = o.learningRate;
    this.beta1 = o.beta1;
    this.beta2 = o.beta2;
    this.epsilon = o.epsilon;
  }

  get iterations(): number {
    return this.t;
  }

  /** Park the current flat state as per-variable moments. */
  private park(): void {
    const f = this.flat;
    if (f == null) return;
    const sizes = f.vars.map((v) => v.size);
    const ms = tf.split(f.m, sizes);
    const vs = tf.split(f.v, sizes);
    f.vars.forEach((variable, i) => {
      const old = this.parked.get(variable);
      if (old) tf.dispose([old.m, old.v]);
      this.parked.set(variable, { m: tf.keep(ms[i]!), v: tf.keep(vs[i]!) });
    });
    tf.dispose([f.m, f.v]);
    this.flat = null;
  }

  private state(variables: readonly Variable[]): FlatState {
    const key = variables.map((v) => v.id).join(',');
    if (this.flat?.key === key) return this.flat;
    tf.tidy(() => this.park());
    const parts = variables.map((variable) => {
      const p = this.parked.get(variable);
      if (p) this.parked.delete(variable);
      return p ?? { m: tf.zeros([variable.size]), v: tf.zeros([variable.size]) };
    });
    const m = tf.keep(parts.length === 1 ? parts[0]!.m : tf.concat(parts.map((p) => p.m), 0));
    const v = tf.keep(parts.length === 1 ? parts[0]!.v : tf.concat(parts.map((p) => p.v), 0));
    if (parts.length > 1) tf.dispose(parts.flatMap((p) => [p.m, p.v]));
    this.flat = { vars: [...variables], key, m, v };
    return this.flat;
  }

  /** Coefficients (cg, cm) of the update θ ← θ − (cg·g + cm·m) / (√(v / bc2) + ε) for step t. */
  protected abstract coefficients(t: number): { cg: number; cm: number };

  step(variables: readonly Variable[], grads: readonly Tensor[]): void {
    const where = `${this.constructor.name}.step`;
    if (variables.length !== grads.length) {
      throw new RangeError(`${where}: got ${variables.length} variables and ${grads.length} gradients`);
    }
    grads.forEach((g, i) => {
      if (g.size !== variables[i]!.size) {
        throw new RangeError(`${where}: gradient ${i} has ${g.size} values, variable ${i} has ${variables[i]!.size}`);
      }
    });
    if (variables.length === 0) {
      this.t += 1;
      return;
    }
    tf.tidy(() => this.stepFlat(variables, flatten(grads)));
  }

  /**
   * @internal One update from the gradients of all variables as one flat tensor (concatenated in
   * the variables' order), as {@link flatten} gives. torch's rule, elementwise:
   * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − (cg·g + cm·m) / (√(v/bc2) + ε).
   */
  stepFlat(variables: readonly Variable[], g: Tensor): void {
    this.t += 1;
    const t = this.t;
    const { cg, cm } = this.coefficients(t);
    const bc2 = 1 - this.beta2 ** t;
    const s = this.state(variables);
    const [m, v] = tf.tidy(() => {
      const m = tf.add(tf.mul(s.m, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(s.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      const denom = tf.add(tf.sqrt(tf.mul(v, 1 / bc2)), this.epsilon);
      const num = cg === 0 ? tf.mul(m, cm) : tf.add(tf.mul(g, cg), tf.mul(m, cm));
      const delta = tf.div(num, denom);
      const pieces = variables.length === 1 ? [delta] : tf.split(delta, variables.map((x) => x.size));
      variables.forEach((variable, i) => {
        const d = variable.rank === 1 ? pieces[i]! : tf.reshape(pieces[i]!, variable.shape);
        variable.assign(tf.sub(variable, d));
      });
      return [tf.keep(m), tf.keep(v)];
    });
    tf.dispose([s.m, s.v]);
    s.m = m!;
    s.v = v!;
  }

  dispose(): void {
    if (this.flat) tf.dispose([this.flat.m, this.flat.v]);
    this.flat = null;
    for (const p of this.parked.values()) tf.dispose([p.m, p.v]);
    this.parked.clear();
  }
}

/** Adam (Kingma & Ba) as torch.optim.Adam: θ ← θ − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε). */
export class Adam extends MomentOptimizer {
  constructor(opts: AdamOptions = {}) {
    super('Adam', opts, 1e-3);
  }

  protected coefficients(t: number): { cg: number; cm: number } {
    return { cg: 0, cm: this.learningRate / (1 - this.beta1 ** t) };
  }
}

/**
 * NAdam as torch.optim.NAdam (Dozat 2016 with momentum decay):
 * μ_t = β1(1 − ½·0.96^(tψ)), Π_t = Π_{i≤t} μ_i,
 * θ ← θ − lr·[(1−μ_t)/(1−Π_t)·g + μ_{t+1}/(1−Π_t·μ_{t+1})·m] / (√(v/(1−β2^t)) + ε).
 */
export class NAdam extends MomentOptimizer {
  readonly momentumDecay: number;
  private muProduct = 1;

  constructor(opts: NAdamOptions = {}) {
    super('NAdam', opts, 2e-3);
    const psi = opts.momentumDecay ?? 4e-3;
    if (!(psi >= 0) || !Number.isFinite(psi)) {
      throw new RangeError(`NAdam: momentumDecay must be a finite number >= 0, got ${show(psi)}`);
    }
    this.momentumDecay = psi;
  }

  protected coefficients(t: number): { cg: number; cm: number } {
    const mu = this.beta1 * (1 - 0.5 * 0.96 ** (t * this.momentumDecay));
    const muNext = this.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * this.momentumDecay));
    this.muProduct *= mu;
    const lr = this.learningRate;
    return { cg: (lr * (1 - mu)) / (1 - this.muProduct), cm: (lr * muNext) / (1 - this.muProduct * muNext) };
  }
}

/**
 * Scale gradients so that their global L2 norm is at most maxNorm (torch's clip_grad_norm_:
 * factor min(1, maxNorm / (norm + 1e-6))). Returns new tensors and the norm before clipping.
 */
export function clipByGlobalNorm(grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; norm: Scalar } {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new RangeError(`clipByGlobalNorm: maxNorm must be a finite number > 0, got ${show(maxNorm)}`);
  }
  return tf.tidy(() => {
    // One flat vector: 4 kernels for the norm whatever the number of tensors.
    const norm = tf.sqrt(tf.sum(tf.square(flatten(grads)))) as Scalar;
    const factor = clipFactor(norm, maxNorm);
    return { grads: grads.map((g) => tf.mul(g, factor)), norm };
  });
}

/** torch's clip_grad_norm_ factor min(1, maxNorm / (norm + 1e-6)). */
function clipFactor(norm: Scalar, maxNorm: number): Scalar {
  return tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
}

/** Global L2 norm of a list of tensors (as a number). */
export function globalNorm(tensors: readonly Tensor[]): number {
  const n = tf.tidy(() => tf.sqrt(tf.sum(tf.square(flatten(tensors)))));
  const v = n.dataSync()[0]!;
  n.dispose();
  return v;
}

/** A tfjs-core optimizer (tf.train.adam(...), …) is accepted too. */
export interface TfjsOptimizerLike {
  applyGradients(grads: NamedTensorMap): void;
}

export interface TrainStepOptions {
  /** Variables to train (default: every trainable variable the loss depends on). */
  variables?: readonly Variable[];
  /** Clip the global gradient norm to this value (torch clip_grad_norm_); off by default. */
  clipNorm?: number;
}

export interface TrainStepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/**
 * One optimisation step: gradients of lossFn w.r.t. the variables, optional global-norm clipping,
 * optimizer update. Leaves no tensors behind.
 */
export function trainStep(
  lossFn: () => Scalar,
  optimizer: Optimizer | TfjsOptimizerLike,
  opts: TrainStepOptions = {},
): TrainStepResult {
  if (typeof lossFn !== 'function') throw new TypeError(`trainStep: lossFn must be a function, got ${show(lossFn)}`);
  if (optimizer == null || (typeof (optimizer as Optimizer).step !== 'function' && typeof (optimizer as TfjsOptimizerLike).applyGradients !== 'function')) {
    throw new TypeError(`trainStep: optimizer must have step() or applyGradients(), got ${show(optimizer)}`);
  }
  if (opts.clipNorm !== undefined && (!(opts.clipNorm > 0) || !Number.isFinite(opts.clipNorm))) {
    throw new RangeError(`trainStep: clipNorm must be a finite number > 0, got ${show(opts.clipNorm)}`);
  }
  const { value, grads } = tf.variableGrads(lossFn, opts.variables as Variable[] | undefined);
  const names = Object.keys(grads);
  const registered = tf.engine().registeredVariables;
  const vars = names.map((name) => registered[name]!);
  let list = names.map((name) => grads[name]!);
  if (optimizer instanceof MomentOptimizer && names.length > 0) {
    // Flat path: the gradients as one vector for the norm, the clipping and the update (few kernels).
    let norm: Scalar | null = null;
    try {
      const flat = tf.tidy(() => {
        const g = flatten(list);
        const n = tf.sqrt(tf.sum(tf.square(g))) as Scalar;
        norm = tf.keep(n);
        return opts.clipNorm !== undefined ? tf.mul(g, clipFactor(n, opts.clipNorm)) : g;
      });
      tf.dispose(list);
      list = [flat];
      tf.tidy(() => optimizer.stepFlat(vars, flat));
      return { loss: value.dataSync()[0]!, gradNorm: (norm as Scalar | null)!.dataSync()[0]! };
    } finally {
      tf.dispose([value, ...list, ...(norm ? [norm] : [])]);
    }
  }
  let norm: Scalar;
  if (opts.clipNorm !== undefined) {
    const clipped = clipByGlobalNorm(list, opts.clipNorm);
    tf.dispose(list);
    list = clipped.grads;
    norm = clipped.norm;
  } else {
    norm = tf.tidy(() => tf.sqrt(tf.sum(tf.square(flatten(list)))) as Scalar);
  }
  try {
    if (typeof (optimizer as Optimizer).step === 'function') {
      (optimizer as Optimizer).step(vars, list);
    } else {
      const named: NamedTensorMap = {};
      names.forEach((name, i) => {
        named[name] = list[i]!;
      });
      (optimizer as TfjsOptimizerLike).applyGradients(named);
    }
    const loss = value.dataSync()[0]!;
    const gradNorm = norm.dataSync()[0]!;
    return { loss, gradNorm };
  } finally {
    tf.dispose([value, norm, ...list]);
  }
}

/** Mean squared error. */
export function mse(prediction: Tensor, target: Tensor): Scalar {
  if (!tf.util.arraysEqual(prediction.shape, target.shape)) {
    throw new RangeError(`mse: prediction shape [${prediction.shape.join(', ')}] differs from target shape [${target.shape.join(', ')}]`);
  }
  return tf.tidy(() => tf.mean(tf.square(tf.sub(prediction, target))) as Scalar);
}
