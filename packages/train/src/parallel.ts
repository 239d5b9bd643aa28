/**
 * Data-parallel training of an MLP neural ODE over several CPU cores (Node only): the batch is split
 * into contiguous shards, the calling thread computes the first shard and Node worker threads (each
 * with its own tfjs-core engine and WASM backend instance) the others; the shard gradients are
 * averaged with weights b_r / B, which is exactly the full-batch gradient of an MSE loss (a mean over
 * the batch): ∇L = Σ_r (b_r/B)·∇L_r. The update is made once, on the calling thread, by the given
 * optimizer (parameter-server style); the workers receive the parameters with the next request.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { MlpVectorField, type NeuralODE } from '@sii/neural-ode';
import { builtWorkerFactory, fastRolloutImpl, type MinimalWorker as NodeWorker } from '@sii/neural-ode/internal';
import { flatten, type Optimizer } from './optimizers.js';
import { show } from './show.js';
import { mse, NonFiniteStepError } from './step.js';

/** 'final': MSE of x_T against a [B, n] target; 'all': MSE of x_1 … x_T against a [T, B, n] target. */
export type ShardLoss = 'final' | 'all';

export interface DataParallelOptions {
  /** Number of replicas (the calling thread plus replicas − 1 worker threads); default 2. */
  replicas?: number;
  /** Loss: MSE of the final state ('final', default) or of all states ('all'). */
  loss?: ShardLoss;
  /** Clip the global gradient norm (torch clip_grad_norm_); off by default. */
  clipNorm?: number;
  /**
   * A NaN or ±Infinity loss or gradient (in any replica): 'throw' (default) a NonFiniteStepError
   * naming the replicas; 'skip' return the result flagged `skipped: true`. Either way no update is
   * applied (trainStep's rule).
   */
  nonFinite?: 'throw' | 'skip';
  /**
   * URL of the worker script (default: `parallel_worker.js` next to this module, or the built
   * `dist/parallel_worker.js` when running from the TypeScript sources).
   */
  workerUrl?: URL;
}

export interface ParallelGradients {
  /** Full-batch loss. */
  loss: number;
  /** Full-batch gradient of every variable, flat, in the order of `field.variables`. */
  grads: Float32Array;
  /** Replicas (0 = the calling thread) whose shard loss or gradient holds a NaN or ±Infinity. */
  nonFiniteReplicas: number[];
}

type Reply = { type: string; id?: number; loss?: number; grads?: Float32Array; message?: string };
type MinimalWorker = NodeWorker<Reply>;

type Pending = { resolve: (r: { loss: number; grads: Float32Array }) => void; reject: (e: Error) => void };

/**
 * Data-parallel trainer for `NeuralODE`s with an {@link MlpVectorField} (the fast rollout path).
 * Create with `await DataParallelTrainer.create(ode, optimizer, options)`, call `await step(x0,
 * inputs, target)` per batch, and `await dispose()` at the end (terminates the workers).
 */
export class DataParallelTrainer {
  readonly replicas: number;
  readonly loss: ShardLoss;
  readonly clipNorm: number | undefined;
  readonly nonFinite: 'throw' | 'skip';
  private readonly workers: MinimalWorker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private broken: Error | null = null;

  private constructor(
    readonly ode: NeuralODE,
    readonly optimizer: Optimizer,
    workers: MinimalWorker[],
    opts: Required<Pick<DataParallelOptions, 'replicas' | 'loss' | 'nonFinite'>> & { clipNorm?: number | undefined },
  ) {
    this.workers = workers;
    this.nonFinite = opts.nonFinite;
    this.replicas = opts.replicas;
    this.loss = opts.loss;
    this.clipNorm = opts.clipNorm;
  }

  /** Start replicas − 1 worker threads with replicas of `ode`'s field (weights are sent per step). */
  static async create(ode: NeuralODE, optimizer: Optimizer, opts: DataParallelOptions = {}): Promise<DataParallelTrainer> {
    const where = 'DataParallelTrainer.create';
    const field = ode?.field;
    if (!(field instanceof MlpVectorField)) {
      throw new TypeError(`${where}: the NeuralODE's field must be an MlpVectorField, got ${show(field)}`);
    }
    if (optimizer == null || typeof optimizer.step !== 'function') {
      throw new TypeError(`${where}: optimizer must have step(variables, grads), got ${show(optimizer)}`);
    }
    const replicas = opts.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 64) {
      throw new RangeError(`${where}: options.replicas must be an integer in [1, 64], got ${show(replicas)}`);
    }
    const loss = opts.loss ?? 'final';
    if (loss !== 'final' && loss !== 'all') throw new RangeError(`${where}: options.loss must be 'final' or 'all', got ${show(loss)}`);
    if (opts.clipNorm !== undefined && (!(opts.clipNorm > 0) || !Number.isFinite(opts.clipNorm))) {
      throw new RangeError(`${where}: options.clipNorm must be a finite number > 0, got ${show(opts.clipNorm)}`);
    }
    const nonFinite = opts.nonFinite ?? 'throw';
    if (nonFinite !== 'throw' && nonFinite !== 'skip') {
      throw new RangeError(`${where}: options.nonFinite must be 'throw' or 'skip', got ${show(nonFinite)}`);
    }
    const workers: MinimalWorker[] = [];
    if (replicas > 1) {
      const spawn = await builtWorkerFactory<Reply>(
        where,
        opts.workerUrl,
        new URL('./parallel_worker.js', import.meta.url),
        new URL('../dist/parallel_worker.js', import.meta.url),
      );
      const tab = ode.tableau;
      const init = {
        type: 'init',
        spec: { ...field.spec },
        leakyReluAlpha: field.leakyReluAlpha,
        tableau: { name: tab.name, a: tab.a, b: tab.b, c: tab.c, order: tab.order },
        h: ode.h,
        engine: ode.fastEngine,
      };
      try {
        for (let r = 1; r < replicas; r++) {
          const w = spawn();
          workers.push(w);
          await new Promise<void>((resolve, reject) => {
            w.on('message', (msg) => {
              if (msg.type === 'ready') resolve();
              else if (msg.type === 'error') reject(new Error(`${where}: worker failed to start: ${msg.message}`));
            });
            w.on('error', reject);
            w.postMessage(init);
          });
        }
      } catch (err) {
        await Promise.all(workers.map((w) => w.terminate()));
        throw err;
      }
    }
    const trainer = new DataParallelTrainer(ode, optimizer, workers, { replicas, loss, nonFinite, clipNorm: opts.clipNorm });
    for (const w of workers) trainer.listen(w);
    return trainer;
  }

  private listen(w: MinimalWorker): void {
    w.on('message', (msg) => {
      if (msg.type === 'grad' && msg.id != null) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.resolve({ loss: msg.loss!, grads: msg.grads! });
      } else if (msg.type === 'error') {
        const err = new Error(`DataParallelTrainer: worker error: ${msg.message}`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      }
    });
    w.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    w.on('exit', (code) => {
      if (this.closed) return;
      // A replica is gone: the trainer cannot continue.
      const err = new Error(`DataParallelTrainer: a worker exited unexpectedly (code ${code})`);
      this.broken = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  /** Shard boundaries [start, end) of a batch of B rows over the replicas (sizes differ by ≤ 1). */
  shards(B: number): Array<[number, number]> {
    const R = Math.min(this.replicas, B);
    const out: Array<[number, number]> = [];
    for (let r = 0; r < R; r++) out.push([Math.floor((r * B) / R), Math.floor(((r + 1) * B) / R)]);
    return out;
  }

  /**
   * Full-batch loss and gradient of MSE(rollout(x0, inputs), target), computed shard-parallel.
   * x0 [B, n], inputs [T, B or 1, m] (or the number of steps T when the field has no inputs),
   * target [B, n] (loss 'final') or [T, B, n] (loss 'all').
   */
  async computeGradients(x0: Tensor2D, inputs: Tensor3D | number, target: Tensor): Promise<ParallelGradients> {
    const where = 'DataParallelTrainer.computeGradients';
    if (this.closed) throw new Error(`${where}: the trainer was disposed`);
    if (this.broken) throw this.broken;
    const field = this.ode.field as MlpVectorField;
    const { states: n } = field.spec;
    if (!(x0 instanceof tf.Tensor) || x0.rank !== 2 || x0.shape[1] !== n) {
      throw new RangeError(`${where}: x0 must be a [batch, ${n}] tensor, got ${show(x0)}`);
    }
    const B = x0.shape[0];
    const T = typeof inputs === 'number' ? inputs : inputs.shape[0];
    const want = this.loss === 'final' ? [B, n] : [T, B, n];
    if (!(target instanceof tf.Tensor) || !tf.util.arraysEqual(target.shape, want)) {
      throw new RangeError(`${where}: target must have shape [${want.join(', ')}], got ${show(target)}`);
    }
    const shards = this.shards(B);
    const vars = field.variables;
    // Parameters and data for the workers (one read each).
    let params: Float32Array | null = null;
    let x0v: Float32Array | null = null;
    let uv: Float32Array | null = null;
    let tv: Float32Array | null = null;
    if (shards.length > 1) {
      const flatParams = flatten(vars);
      params = flatParams.dataSync() as Float32Array;
      flatParams.dispose();
      x0v = x0.dataSync() as Float32Array;
      uv = typeof inputs === 'number' ? null : (inputs.dataSync() as Float32Array);
      tv = target.dataSync() as Float32Array;
    }
    const remote = shards.slice(1).map(([a, b], r) => {
      const rows = b - a;
      const id = this.nextId++;
      const promise = new Promise<{ loss: number; grads: Float32Array }>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      const slice3 = (v: Float32Array, D0: number, D1: number, D2: number): Float32Array => {
        const out = new Float32Array(D0 * rows * D2);
        for (let k = 0; k < D0; k++) out.set(v.subarray((k * D1 + a) * D2, (k * D1 + b) * D2), k * rows * D2);
        return out;
      };
      const uShape = typeof inputs === 'number' ? null : inputs.shape;
      const uIn = uShape == null ? null : uShape[1] === 1 ? new Float32Array(uv!) : slice3(uv!, uShape[0], uShape[1], uShape[2]);
      const x0s = x0v!.slice(a * n, b * n);
      const ts = this.loss === 'final' ? tv!.slice(a * n, b * n) : slice3(tv!, T, B, n);
      const msg = {
        type: 'grad',
        id,
        params: new Float32Array(params!),
        loss: this.loss,
        x0: x0s,
        x0Shape: [rows, n],
        inputs: uIn,
        inputsShape: uShape == null ? null : [uShape[0], uShape[1] === 1 ? 1 : rows, uShape[2]],
        steps: T,
        target: ts,
        targetShape: this.loss === 'final' ? [rows, n] : [T, rows, n],
      };
      const transfer = [msg.params.buffer, x0s.buffer, ts.buffer, ...(uIn ? [uIn.buffer] : [])] as ArrayBuffer[];
      this.workers[r].postMessage(msg, transfer);
      return promise;
    });
    // The calling thread's shard, while the workers compute theirs.
    const [a0, b0] = shards[0];
    const sliced: Tensor[] = [];
    const keep = <X extends Tensor>(t: X): X => {
      sliced.push(t);
      return t;
    };
    const x0s = shards.length === 1 ? x0 : keep(tf.slice(x0, [a0, 0], [b0 - a0, n]) as Tensor2D);
    const us =
      typeof inputs === 'number' || shards.length === 1 || inputs.shape[1] === 1
        ? inputs
        : keep(tf.slice(inputs, [0, a0, 0], [T, b0 - a0, inputs.shape[2]]) as Tensor3D);
    const ts =
      shards.length === 1
        ? target
        : keep(this.loss === 'final' ? tf.slice(target, [a0, 0], [b0 - a0, n]) : tf.slice(target, [0, a0, 0], [T, b0 - a0, n]));
    let local: { value: Tensor; flat: Tensor };
    try {
      local = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => mse(fastRolloutImpl(this.ode, x0s, us, { output: this.loss, engine: this.ode.fastEngine }, false), ts),
          vars,
        );
        return { value, flat: flatten(vars.map((v) => grads[v.name])) };
      });
    } finally {
      tf.dispose(sliced);
    }
    const g0 = local.flat.dataSync() as Float32Array;
    const l0 = local.value.dataSync()[0];
    tf.dispose([local.value, local.flat]);
    const results = await Promise.all(remote);
    // ∇L = Σ_r (b_r / B)·∇L_r (float64 accumulation).
    const w0 = (b0 - a0) / B;
    const acc = Float64Array.from(g0, (v) => v * w0);
    let loss = l0 * w0;
    const nonFiniteReplicas = allFinite(l0, g0) ? [] : [0];
    results.forEach((res, r) => {
      const [a, b] = shards[r + 1];
      const w = (b - a) / B;
      loss += res.loss * w;
      for (let i = 0; i < acc.length; i++) acc[i] += res.grads[i] * w;
      if (!allFinite(res.loss, res.grads)) nonFiniteReplicas.push(r + 1);
    });
    return { loss, grads: Float32Array.from(acc), nonFiniteReplicas };
  }

  /**
   * One training step on the batch: parallel gradients, optional global-norm clipping, one
   * optimizer update of the calling thread's variables. Returns the loss and the gradient norm
   * before clipping. A NaN or ±Infinity loss or gradient in any replica (or a full-batch gradient that
   * overflows float32) applies no update: the parameters and the optimizer state are unchanged, and
   * the step throws a NonFiniteStepError naming the replicas (or, with options.nonFinite 'skip',
   * returns `skipped: true`), as trainStep does.
   */
  async step(x0: Tensor2D, inputs: Tensor3D | number, target: Tensor): Promise<{ loss: number; gradNorm: number; skipped?: true }> {
    const { loss, grads, nonFiniteReplicas } = await this.computeGradients(x0, inputs, target);
    let sq = 0;
    for (let i = 0; i < grads.length; i++) sq += grads[i] * grads[i];
    const gradNorm = Math.sqrt(sq);
    if (nonFiniteReplicas.length > 0 || !Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      if (this.nonFinite === 'skip') return { loss, gradNorm, skipped: true };
      const detail =
        nonFiniteReplicas.length > 0
          ? `non-finite values in replica${nonFiniteReplicas.length > 1 ? 's' : ''} ${nonFiniteReplicas.join(', ')} of ${this.replicas} (0 = this thread)`
          : 'the averaged gradient overflowed';
      throw new NonFiniteStepError(loss, gradNorm, 'DataParallelTrainer.step', detail);
    }
    if (this.clipNorm !== undefined) {
      // torch clip_grad_norm_: factor min(1, maxNorm / (norm + 1e-6)).
      const factor = Math.min(1, this.clipNorm / (gradNorm + 1e-6));
      if (factor < 1) for (let i = 0; i < grads.length; i++) grads[i] *= factor;
    }
    const vars = (this.ode.field as MlpVectorField).variables;
    const flat = tf.tensor1d(grads);
    try {
      const opt = this.optimizer as Optimizer & { stepFlat?: (v: readonly tf.Variable[], g: Tensor) => void };
      if (typeof opt.stepFlat === 'function') tf.tidy(() => opt.stepFlat!(vars, flat));
      else {
        const pieces = tf.split(
          flat,
          vars.map((v) => v.size),
        );
        const shaped = pieces.map((p, i) => tf.reshape(p, vars[i].shape));
        try {
          opt.step(vars, shaped);
        } finally {
          tf.dispose([...pieces, ...shaped]);
        }
      }
    } finally {
      flat.dispose();
    }
    return { loss, gradNorm };
  }

  /** Terminate the worker threads. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error('DataParallelTrainer: disposed'));
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** True when the loss and every gradient entry are finite. */
function allFinite(loss: number, grads: Float32Array): boolean {
  if (!Number.isFinite(loss)) return false;
  for (let i = 0; i < grads.length; i++) if (!Number.isFinite(grads[i])) return false;
  return true;
}
