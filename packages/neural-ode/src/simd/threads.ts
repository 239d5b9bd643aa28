/**
 * SIMD rollout threads (Node): `startSimdThreads(N)` starts N − 1 dedicated worker threads; from then
 * on every SIMD rollout with a batch of at least 4 rows per thread is split into N contiguous row
 * blocks (the trajectories of a batch are independent), one per thread, and the weight gradients are
 * summed. The threads meet through shared-memory mailboxes (mailbox.ts) twice per rollout (forward,
 * backward), not through messages.
 */
import { builtWorkerFactory, type MinimalWorker as NodeWorker } from '../node_worker.js';
import type { Arena } from './kernels.js';
import {
  CMD,
  CMD_BACKWARD,
  CMD_FORWARD,
  CMD_STOP,
  DONE,
  ID,
  MAILBOX_FLOATS,
  Mailbox,
  SEQ,
  STATUS,
  TAPED,
  WANT_INPUTS,
  waitChange,
} from './mailbox.js';
import { type SimdGradients, SimdRollout, type SimdRolloutData, type SimdRolloutProblem } from './mlp_rollout.js';
import { packedSizes, readGradients, writeData } from './packing.js';

type MinimalWorker = NodeWorker<{ type: string; message?: string }>;

interface Handle {
  worker: MinimalWorker;
  box: Mailbox;
  seq: number;
  /** Why the worker is gone (stopped, an uncaught error or its exit), when it is. */
  failure: string | null;
}

export interface SimdThreadOptions {
  /** How long a waiting thread spins before it blocks (ms; default 2): shorter wake-ups, busier cores. */
  spinMs?: number;
  /** The worker script (default: dist/simd/rollout_worker.js of this package). */
  workerUrl?: URL;
}

/** Rows per thread below which a rollout stays on one thread. */
export const MIN_ROWS_PER_THREAD = 4;
const MAX_THREADS = 16;
const WORKER_TIMEOUT_MS = 120_000;

let handles: Handle[] = [];
let spin = 2;

/** Threads the SIMD rollouts use (1: the calling thread only). */
export function simdThreads(): number {
  return handles.length + 1;
}

/**
 * Use `threads` threads (the calling one and threads − 1 workers) for SIMD rollouts from now on.
 * Node only; 1 stops the workers. Resolves with the number of threads in use.
 */
export async function startSimdThreads(threads: number, opts: SimdThreadOptions = {}): Promise<number> {
  const where = 'startSimdThreads';
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`${where}: threads must be an integer in [1, ${MAX_THREADS}], got ${String(threads)}`);
  }
  const spinMs = opts.spinMs ?? 2;
  if (!(spinMs >= 0) || !Number.isFinite(spinMs))
    throw new RangeError(`${where}: options.spinMs must be a finite number >= 0, got ${String(spinMs)}`);
  await stopSimdThreads();
  spin = spinMs;
  if (threads === 1) return 1;
  if (typeof process === 'undefined' || process.versions?.node == null) {
    throw new Error(`${where}: worker threads need Node (worker_threads)`);
  }
  const spawn = await builtWorkerFactory<{ type: string; message?: string }>(
    where,
    opts.workerUrl,
    new URL('./rollout_worker.js', import.meta.url),
    new URL('../../dist/simd/rollout_worker.js', import.meta.url),
  );
  const started: Handle[] = [];
  try {
    for (let t = 1; t < threads; t++) {
      const box = Mailbox.create();
      const worker = spawn();
      const handle: Handle = { worker, box, seq: Atomics.load(box.control, SEQ), failure: null };
      started.push(handle);
      worker.on('error', (err) => {
        handle.failure ??= `uncaught error: ${err.stack ?? err.message}`;
      });
      worker.once('exit', (code) => {
        handle.failure ??= `exited with code ${code}`;
      });
      await new Promise<void>((resolve, reject) => {
        worker.on('message', (msg) => {
          if (msg.type === 'ready') resolve();
          else if (msg.type === 'error') reject(new Error(`${where}: worker failed to start: ${msg.message}`));
        });
        worker.on('error', reject);
        worker.postMessage({ buffer: box.buffer, spinMs });
      });
      // A worker blocked on its mailbox must not keep the process alive.
      worker.unref();
    }
  } catch (err) {
    await Promise.all(started.map((h) => h.worker.terminate()));
    throw err;
  }
  handles = started;
  return simdThreads();
}

/** Stop the SIMD rollout workers (rollouts run on the calling thread again). */
export async function stopSimdThreads(): Promise<void> {
  const old = handles;
  handles = [];
  await Promise.all(
    old.map(async (h) => {
      const exited = new Promise<void>((resolve) => h.worker.once('exit', () => resolve()));
      post(h, CMD_STOP, 0, false, false);
      h.failure = 'stopped by stopSimdThreads (between this rollout and its backward pass?)';
      const t = setTimeout(() => void h.worker.terminate(), 5000);
      await exited;
      clearTimeout(t);
    }),
  );
}

function post(h: Handle, cmd: number, id: number, taped: boolean, wantInputs: boolean): void {
  if (h.failure != null) throw new Error(`SIMD rollout worker unavailable: ${h.failure}`);
  const c = h.box.control;
  c[CMD] = cmd;
  c[ID] = id;
  c[TAPED] = taped ? 1 : 0;
  c[WANT_INPUTS] = wantInputs ? 1 : 0;
  c[STATUS] = 0;
  h.seq = (h.seq + 1) | 0;
  Atomics.store(c, SEQ, h.seq);
  Atomics.notify(c, SEQ);
}

function finish(h: Handle): void {
  const c = h.box.control;
  for (;;) {
    const done = Atomics.load(c, DONE);
    if (done === h.seq) break;
    if (!waitChange(c, DONE, done, spin, WORKER_TIMEOUT_MS)) {
      const why = h.failure ?? `seq ${h.seq}, done ${done}, worker seen ${Atomics.load(c, SEQ)}`;
      throw new Error(`SIMD rollout worker did not answer within ${WORKER_TIMEOUT_MS / 1000} s (${why})`);
    }
  }
  if (c[STATUS] === 1) throw new Error(`SIMD rollout worker failed: ${h.box.error()}`);
}

/** Row counts of `parts` contiguous blocks of `B` rows, as even as possible. */
export function splitRows(B: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, p) => Math.floor(B / parts) + (p < B % parts ? 1 : 0));
}

/** Threads a batch of B rows is split over (at least MIN_ROWS_PER_THREAD rows each). */
function partCount(B: number): number {
  return Math.min(handles.length + 1, Math.floor(B / MIN_ROWS_PER_THREAD));
}

/** Whether `startSimdThreads` workers would take a share of this problem. */
export function splitApplies(p: SimdRolloutProblem): boolean {
  if (handles.length === 0 || p.batch < MIN_ROWS_PER_THREAD * 2) return false;
  if (!Mailbox.fits(p)) return false;
  const rows = Math.max(...splitRows(p.batch, partCount(p.batch)));
  const sub = packedSizes({ ...p, batch: rows, uBatch: p.uBatch === 1 ? 1 : rows });
  return sub.input + sub.output <= MAILBOX_FLOATS && sub.output + sub.gradients <= MAILBOX_FLOATS;
}

let nextId = 1;

interface Part {
  start: number;
  rows: number;
  problem: SimdRolloutProblem;
  handle: Handle | null;
}

/**
 * A rollout split by rows over the calling thread (the first block) and the workers (the others);
 * same interface as {@link SimdRollout}.
 */
export class SplitRollout {
  private readonly id = nextId++;
  private readonly parts: Part[];
  private local: SimdRollout;

  constructor(
    readonly problem: SimdRolloutProblem,
    arena: Arena,
    private readonly taped: boolean,
  ) {
    let start = 0;
    this.parts = splitRows(problem.batch, partCount(problem.batch)).map((rows, p) => {
      const part: Part = {
        start,
        rows,
        problem: { ...problem, batch: rows, uBatch: problem.uBatch === 1 ? 1 : rows },
        handle: p === 0 ? null : handles[p - 1],
      };
      start += rows;
      return part;
    });
    this.local = new SimdRollout(this.parts[0].problem, arena);
  }

  /** The inputs of one block: x_0's rows, and u's rows of every step (all of u when its batch is 1). */
  private slice(data: SimdRolloutData, part: Part): SimdRolloutData {
    const { n, m, steps: T, uBatch } = this.problem;
    const x0 = data.x0.subarray(part.start * n, (part.start + part.rows) * n);
    let u = data.u;
    if (u != null && uBatch !== 1) {
      const rows = new Float32Array(T * part.rows * m);
      for (let t = 0; t < T; t++)
        rows.set(u.subarray((t * uBatch + part.start) * m, (t * uBatch + part.start + part.rows) * m), t * part.rows * m);
      u = rows;
    }
    return { weights: data.weights, biases: data.biases, x0, u };
  }

  /** Scatter a block's [slices, rows, width] into the full [slices, B, width]. */
  private scatter(full: Float32Array, block: Float32Array, part: Part, width: number, batch: number): void {
    const slices = block.length / (part.rows * width);
    for (let t = 0; t < slices; t++) {
      full.set(block.subarray(t * part.rows * width, (t + 1) * part.rows * width), (t * batch + part.start) * width);
    }
  }

  /** A block's rows of a [slices, B, width] array. */
  private gather(full: Float32Array, part: Part, width: number, batch: number): Float32Array {
    const slices = full.length / (batch * width);
    const out = new Float32Array(slices * part.rows * width);
    for (let t = 0; t < slices; t++) {
      out.set(full.subarray((t * batch + part.start) * width, (t * batch + part.start + part.rows) * width), t * part.rows * width);
    }
    return out;
  }

  forward(data: SimdRolloutData): Float32Array {
    const { n, batch: B } = this.problem;
    const remote = this.parts.slice(1);
    for (const part of remote) {
      const box = part.handle!.box;
      box.writeProblem(part.problem);
      writeData(this.slice(data, part), box.data);
      post(part.handle!, CMD_FORWARD, this.id, this.taped, false);
    }
    const first = this.local.forward(this.slice(data, this.parts[0]));
    const full = new Float32Array((first.length / this.parts[0].rows) * B);
    this.scatter(full, first, this.parts[0], n, B);
    for (const part of remote) {
      finish(part.handle!);
      const sizes = packedSizes(part.problem);
      this.scatter(full, part.handle!.box.data.subarray(sizes.input, sizes.input + sizes.output), part, n, B);
    }
    return full;
  }

  evict(): void {
    this.local.evict();
  }

  backward(dy: Float32Array, wantInputs: boolean): SimdGradients {
    const { n, m, batch: B, steps: T, uBatch } = this.problem;
    const remote = this.parts.slice(1);
    for (const part of remote) {
      const box = part.handle!.box;
      box.writeProblem(part.problem);
      box.data.set(this.gather(dy, part, n, B), 0);
      post(part.handle!, CMD_BACKWARD, this.id, true, wantInputs);
    }
    const g = this.local.backward(this.gather(dy, this.parts[0], n, B), wantInputs);
    const x0 = new Float32Array(B * n);
    this.scatter(x0, g.x0, this.parts[0], n, B);
    let u: Float32Array | null = null;
    if (g.u != null) {
      u = new Float32Array(T * uBatch * m);
      if (uBatch === 1) u.set(g.u);
      else this.scatter(u, g.u, this.parts[0], m, B);
    }
    for (const part of remote) {
      finish(part.handle!);
      const r = readGradients(part.problem, part.handle!.box.data, packedSizes(part.problem).output, wantInputs);
      for (let l = 0; l < r.weights.length; l++) {
        addInto(g.weights[l], r.weights[l]);
        addInto(g.biases[l], r.biases[l]);
      }
      this.scatter(x0, r.x0, part, n, B);
      if (u != null && r.u != null) {
        if (uBatch === 1) addInto(u, r.u);
        else this.scatter(u, r.u, part, m, B);
      }
    }
    return { weights: g.weights, biases: g.biases, x0, u };
  }
}

function addInto(acc: Float32Array, x: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += x[i];
}
