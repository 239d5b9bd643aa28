/**
 * Optimizers with PyTorch's update rules (the paper's code uses torch.optim): Adam, NAdam and SGD
 * (momentum, Nesterov, weight decay). Their state (step count, moments) can be read as plain numbers
 * and restored, so that a training run can be saved and resumed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { heapTensor, heapView, wasmTensorHeap } from '@sii/neural-ode/internal';
import { checkPositive, show } from './show.js';

/** An optimizer's state for one ordered variable list, as plain numbers (JSON-serialisable). */
export interface OptimizerState {
  /** Class name of the optimizer that wrote it. */
  kind: string;
  iterations: number;
  /** Scalar state besides the step count (e.g. NAdam's running product of μ). */
  scalars: Record<string, number>;
  /** Per-slot (e.g. 'm', 'v') values of each variable, in the variables' order. */
  slots: Record<string, number[][]>;
}

export interface Optimizer {
  /** Apply one update given the gradient of each variable (same order). */
  step(variables: readonly Variable[], grads: readonly Tensor[]): void;
  /** Number of steps taken. */
  readonly iterations: number;
  learningRate: number;
  dispose(): void;
  /** The state for these variables (the ones the optimizer steps), as plain numbers (needed by fit()). */
  getState?(variables: readonly Variable[]): OptimizerState;
  /** Restore a state written by {@link getState} of the same optimizer class for these variables. */
  setState?(variables: readonly Variable[], state: OptimizerState): void;
}

/** An optimizer whose state can be saved and restored (Adam, NAdam, SGD): what fit() trains with. */
export type StatefulOptimizer = Optimizer & Required<Pick<Optimizer, 'getState' | 'setState'>>;

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

export interface SGDOptions {
  /** Learning rate (torch has no default; 1e-3 here). */
  learningRate?: number;
  /** Momentum μ (default 0: plain gradient descent). Dampening is 0 as in torch's default. */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient: g ← g + weightDecay·θ (default 0). */
  weightDecay?: number;
}

/** Tensors (variables' values or gradients) as one new flat 1-D tensor, concatenated in order. */
export function flatten(tensors: readonly Tensor[]): Tensor {
  if (tensors.length === 0) throw new RangeError('flatten: got no tensors');
  const inPlace = tensors.length > 1 ? flattenOnHeap(tensors) : null;
  if (inPlace) return inPlace;
  return tf.tidy(() => {
    const flat = tensors.map((t) => (t.rank === 1 ? t : tf.reshape(t, [t.size])));
    return flat.length === 1 ? (flat[0] === tensors[0] ? tf.clone(flat[0]) : flat[0]) : tf.concat(flat, 0);
  });
}

/**
 * {@link flatten} on tfjs' wasm backend: one new tensor whose values are copied in place from the
 * tensors' memory (no Reshape and Concat kernels; the same values). Null when it does not apply
 * (another backend, a dtype other than float32).
 */
function flattenOnHeap(tensors: readonly Tensor[]): Tensor | null {
  const heap = wasmTensorHeap();
  if (heap == null || tensors.some((t) => t.dtype !== 'float32' || t.isDisposed)) return null;
  const total = tensors.reduce((a, t) => a + t.size, 0);
  const out = heapTensor(heap, [total]); // allocate before taking views (the heap may grow)
  const to = heapView(heap, out);
  const from = tensors.map((t) => heapView(heap, t));
  if (to == null || from.some((f) => f == null)) {
    out.dispose();
    return null;
  }
  let at = 0;
  for (const f of from) {
    to.set(f!, at);
    at += f!.length;
  }
  return out;
}

/**
 * θ_i ← θ_i − δ_i for each variable, δ the flat step, on tfjs' wasm backend without kernels: each
 * variable gets a NEW tensor (never written in place: its memory may be shared with other live
 * tensors, e.g. reshapes), filled elementwise in float32 exactly as the Sub kernel rounds. Returns
 * false (and changes nothing) when it does not apply.
 */
function subtractOnHeap(variables: readonly Variable[], delta: Tensor): boolean {
  const heap = wasmTensorHeap();
  if (heap == null || delta.dtype !== 'float32' || variables.some((v) => v.dtype !== 'float32')) return false;
  const outs = variables.map((v) => heapTensor(heap, v.shape.slice()));
  const d = heapView(heap, delta);
  const thetas = variables.map((v) => heapView(heap, v));
  const views = outs.map((o) => heapView(heap, o));
  if (d == null || thetas.some((x) => x == null) || views.some((x) => x == null)) {
    tf.dispose(outs);
    return false;
  }
  let at = 0;
  variables.forEach((_, i) => {
    const th = thetas[i]!;
    const o = views[i]!;
    // A double difference of two float32 values rounded once to float32 equals the float32 difference.
    for (let j = 0; j < th.length; j++) o[j] = th[j] - d[at + j];
    at += th.length;
  });
  variables.forEach((v, i) => v.assign(outs[i]));
  tf.dispose(outs);
  return true;
}

/** Flat slot tensors (e.g. Adam's m and v) of one ordered list of variables (concatenated in that order). */
interface FlatState {
  vars: readonly Variable[];
  key: string;
  slots: Tensor[];
}

/**
 * An optimizer whose per-variable state is a fixed list of slots of the variables' sizes. The slots
 * are kept as ONE flat tensor each for the variable list of the last step (about 15 kernels per
 * update instead of ~13 per variable). When a step comes with another variable list, the flat state
 * is split back into per-variable slots (`parked`) and the new list's state is assembled from them
 * (zeros for new variables): the same per-variable semantics as torch.
 */
export abstract class FlatOptimizer implements StatefulOptimizer {
  learningRate: number;
  protected t = 0;
  /** @internal Bumped by every change of the state (steps, setState): lets a fused step see outside changes. */
  stateVersion = 0;
  private flat: FlatState | null = null;
  private readonly parked = new Map<Variable, Tensor[]>();

  constructor(
    learningRate: number,
    private readonly slotNames: readonly string[],
  ) {
    this.learningRate = learningRate;
  }

  get iterations(): number {
    return this.t;
  }

  /** Scalar state besides the step count (subclasses with such state override both). */
  protected scalars(): Record<string, number> {
    return {};
  }

  protected setScalars(_s: Record<string, number>): void {}

  /** Park the current flat state as per-variable slots. */
  private park(): void {
    const f = this.flat;
    if (f == null) return;
    const sizes = f.vars.map((v) => v.size);
    const pieces = f.slots.map((s) => tf.split(s, sizes));
    f.vars.forEach((variable, i) => {
      const old = this.parked.get(variable);
      if (old) tf.dispose(old);
      this.parked.set(
        variable,
        pieces.map((p) => tf.keep(p[i])),
      );
    });
    tf.dispose(f.slots);
    this.flat = null;
  }

  private state(variables: readonly Variable[]): FlatState {
    const key = variables.map((v) => v.id).join(',');
    if (this.flat?.key === key) return this.flat;
    tf.tidy(() => this.park());
    const parts = variables.map((variable) => {
      const p = this.parked.get(variable);
      if (p) this.parked.delete(variable);
      return p ?? this.slotNames.map(() => tf.zeros([variable.size]));
    });
    const slots = this.slotNames.map((_, k) =>
      tf.keep(
        parts.length === 1
          ? parts[0][k]
          : tf.concat(
              parts.map((p) => p[k]),
              0,
            ),
      ),
    );
    if (parts.length > 1) tf.dispose(parts.flat());
    this.flat = { vars: [...variables], key, slots };
    return this.flat;
  }

  /**
   * The update for step t from the flat gradient g, the flat values θ (only when `needsParams`) and
   * the flat slots: returns the step δ (θ ← θ − δ) and the new slots. Runs inside a tidy.
   */
  protected abstract update(t: number, g: Tensor, slots: readonly Tensor[], theta: () => Tensor): { delta: Tensor; slots: Tensor[] };

  step(variables: readonly Variable[], grads: readonly Tensor[]): void {
    const where = `${this.constructor.name}.step`;
    if (variables.length !== grads.length) {
      throw new RangeError(`${where}: got ${variables.length} variables and ${grads.length} gradients`);
    }
    grads.forEach((g, i) => {
      if (g.size !== variables[i].size) {
        throw new RangeError(`${where}: gradient ${i} has ${g.size} values, variable ${i} has ${variables[i].size}`);
      }
    });
    if (variables.length === 0) {
      this.t += 1;
      this.stateVersion += 1;
      return;
    }
    tf.tidy(() => this.stepFlat(variables, flatten(grads)));
  }

  /**
   * @internal One update from the gradients of all variables as one flat tensor (concatenated in
   * the variables' order), as {@link flatten} gives.
   */
  stepFlat(variables: readonly Variable[], g: Tensor): void {
    this.t += 1;
    this.stateVersion += 1;
    const t = this.t;
    const s = this.state(variables);
    const slots = tf.tidy(() => {
      const { delta, slots } = this.update(t, g, s.slots, () => flatten(variables));
      if (subtractOnHeap(variables, delta)) return slots.map((x) => tf.keep(x));
      const pieces =
        variables.length === 1
          ? [delta]
          : tf.split(
              delta,
              variables.map((x) => x.size),
            );
      variables.forEach((variable, i) => {
        const d = variable.rank === 1 ? pieces[i] : tf.reshape(pieces[i], variable.shape);
        variable.assign(tf.sub(variable, d));
      });
      return slots.map((x) => tf.keep(x));
    });
    tf.dispose(s.slots);
    s.slots = slots;
  }

  getState(variables: readonly Variable[]): OptimizerState {
    const slots: Record<string, number[][]> = {};
    if (variables.length > 0) {
      const s = this.state(variables);
      const sizes = variables.map((v) => v.size);
      this.slotNames.forEach((name, k) => {
        const all = s.slots[k].dataSync();
        let off = 0;
        slots[name] = sizes.map((n) => {
          const part = Array.from(all.subarray(off, off + n));
          off += n;
          return part;
        });
      });
    }
    return { kind: this.constructor.name, iterations: this.t, scalars: this.scalars(), slots };
  }

  setState(variables: readonly Variable[], state: OptimizerState): void {
    const where = `${this.constructor.name}.setState`;
    if (state == null || state.kind !== this.constructor.name) {
      throw new TypeError(`${where}: state must come from a ${this.constructor.name}, got kind ${show(state?.kind)}`);
    }
    if (!Number.isInteger(state.iterations) || state.iterations < 0) {
      throw new RangeError(`${where}: state.iterations must be an integer >= 0, got ${show(state.iterations)}`);
    }
    const values = this.slotNames.map((name) => {
      const per = state.slots?.[name];
      if (variables.length === 0) return [];
      if (!Array.isArray(per) || per.length !== variables.length) {
        throw new RangeError(`${where}: state.slots.${name} must hold ${variables.length} arrays, got ${show(per)}`);
      }
      per.forEach((a, i) => {
        if (!Array.isArray(a) || a.length !== variables[i].size) {
          throw new RangeError(`${where}: state.slots.${name}[${i}] must have ${variables[i].size} values, got ${show(a)}`);
        }
      });
      return per.flat();
    });
    this.disposeState();
    this.stateVersion += 1;
    this.t = state.iterations;
    this.setScalars(state.scalars ?? {});
    if (variables.length > 0) {
      const slots = values.map((v) => tf.tensor1d(v, 'float32'));
      this.flat = { vars: [...variables], key: variables.map((v) => v.id).join(','), slots };
    }
  }

  /**
   * @internal The state for these variables as flat float32 arrays (each slot concatenated in the
   * variables' order; copies), the step count and the scalar state: what a fused step starts from.
   */
  flatState(variables: readonly Variable[]): { iterations: number; scalars: Record<string, number>; slots: Float32Array[] } {
    const s = variables.length > 0 ? this.state(variables) : null;
    const slots = s ? s.slots.map((x) => Float32Array.from(x.dataSync() as Float32Array)) : [];
    return { iterations: this.t, scalars: this.scalars(), slots };
  }

  /**
   * @internal Replace the state for these variables by flat float32 arrays (as {@link flatState}
   * gives; the arrays are taken, not copied), the step count and the scalar state.
   */
  setFlatState(variables: readonly Variable[], st: { iterations: number; scalars: Record<string, number>; slots: Float32Array[] }): void {
    const total = variables.reduce((a, v) => a + v.size, 0);
    if (st.slots.length !== this.slotNames.length || st.slots.some((x) => x.length !== total)) {
      throw new RangeError(`${this.constructor.name}.setFlatState: expected ${this.slotNames.length} slots of ${total} values`);
    }
    if (variables.length > 0) {
      const s = this.state(variables);
      tf.dispose(s.slots);
      s.slots = st.slots.map((x) => tf.tensor1d(x, 'float32'));
    }
    this.t = st.iterations;
    this.setScalars(st.scalars);
    this.stateVersion += 1;
  }

  private disposeState(): void {
    if (this.flat) tf.dispose(this.flat.slots);
    this.flat = null;
    for (const p of this.parked.values()) tf.dispose(p);
    this.parked.clear();
  }

  dispose(): void {
    this.disposeState();
  }
}

/** Adam and NAdam: θ ← θ − (cg·g + cm·m) / (√(v / bc2) + ε) with step-dependent cg, cm. */
abstract class MomentOptimizer extends FlatOptimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(where: string, opts: AdamOptions, defaultLr: number) {
    const o = { learningRate: defaultLr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...opts };
    checkPositive(where, 'learningRate', o.learningRate, true);
    for (const k of ['beta1', 'beta2'] as const) {
      if (typeof o[k] !== 'number' || !(o[k] >= 0 && o[k] < 1)) throw new RangeError(`${where}: ${k} must be in [0, 1), got ${show(o[k])}`);
    }
    checkPositive(where, 'epsilon', o.epsilon);
    super(o.learningRate, ['m', 'v']);
    this.beta1 = o.beta1;
    this.beta2 = o.beta2;
    this.epsilon = o.epsilon;
  }

  /** Coefficients (cg, cm) of the update for step t. */
  protected abstract coefficients(t: number): { cg: number; cm: number };

  /** torch's rule, elementwise: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², δ = (cg·g + cm·m) / (√(v/bc2) + ε). */
  protected update(t: number, g: Tensor, [ms, vs]: readonly Tensor[]): { delta: Tensor; slots: Tensor[] } {
    const { cg, cm } = this.coefficients(t);
    const bc2 = 1 - this.beta2 ** t;
    const m = tf.add(tf.mul(ms, this.beta1), tf.mul(g, 1 - this.beta1));
    const v = tf.add(tf.mul(vs, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
    const denom = tf.add(tf.sqrt(tf.mul(v, 1 / bc2)), this.epsilon);
    const num = cg === 0 ? tf.mul(m, cm) : tf.add(tf.mul(g, cg), tf.mul(m, cm));
    return { delta: tf.div(num, denom), slots: [m, v] };
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
    checkPositive('NAdam', 'momentumDecay', psi, true);
    this.momentumDecay = psi;
  }

  protected override scalars(): Record<string, number> {
    return { muProduct: this.muProduct };
  }

  protected override setScalars(s: Record<string, number>): void {
    const p = s.muProduct;
    if (typeof p !== 'number' || !Number.isFinite(p)) {
      throw new RangeError(`NAdam.setState: state.scalars.muProduct must be a finite number, got ${show(p)}`);
    }
    this.muProduct = p;
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
 * SGD as torch.optim.SGD with dampening 0: g ← g + λ·θ; b ← μ·b + g (b = g on the first step);
 * g ← g + μ·b (Nesterov) or b; θ ← θ − lr·g.
 */
export class SGD extends FlatOptimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(opts: SGDOptions = {}) {
    const lr = opts.learningRate ?? 1e-3;
    checkPositive('SGD', 'learningRate', lr, true);
    const momentum = opts.momentum ?? 0;
    checkPositive('SGD', 'momentum', momentum, true);
    const weightDecay = opts.weightDecay ?? 0;
    checkPositive('SGD', 'weightDecay', weightDecay, true);
    const nesterov = opts.nesterov ?? false;
    if (nesterov && momentum === 0) throw new RangeError('SGD: nesterov needs momentum > 0, got momentum 0');
    super(lr, momentum > 0 ? ['momentum'] : []);
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
  }

  protected update(_t: number, grad: Tensor, slots: readonly Tensor[], theta: () => Tensor): { delta: Tensor; slots: Tensor[] } {
    const g = this.weightDecay > 0 ? tf.add(grad, tf.mul(theta(), this.weightDecay)) : grad;
    if (this.momentum === 0) return { delta: tf.mul(g, this.learningRate), slots: [] };
    // The buffer starts at zero, so μ·0 + g = g on a variable's first step, as torch's clone.
    const b = tf.add(tf.mul(slots[0], this.momentum), g);
    const d = this.nesterov ? tf.add(g, tf.mul(b, this.momentum)) : b;
    return { delta: tf.mul(d, this.learningRate), slots: [b] };
  }
}
