/**
 * Run tasks on a fixed number of slots: worker threads (one model per worker, built JS) or an
 * in-process function (tests, --workers 0). Failures of a task are reported and the queue goes on;
 * a crashed worker is replaced.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerMessage } from './train/types.js';

export type EpochReport = (epoch: number, valLoss: number, trainLoss: number) => void;

export interface TaskRunner<T, R> {
  readonly slots: number;
  /**
   * The tasks run outside this thread (worker threads): runQueue then hands a slot its next task
   * before it handles the finished one's result, so that writing results overlaps the next task.
   */
  readonly background?: boolean;
  run(slot: number, task: T, onEpoch: EpochReport): Promise<{ result: R; extra?: unknown }>;
  close(): Promise<void>;
}

/** Worker-thread runner; `script` is the built worker entry (train/worker.js). */
export class WorkerRunner<T, R> implements TaskRunner<T, R> {
  readonly background = true;
  private readonly workers: (Worker | null)[];
  constructor(
    readonly slots: number,
    private readonly script: URL = new URL('./train/worker.js', import.meta.url),
  ) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`workers must be an integer >= 1, got ${slots}`);
    this.workers = new Array(slots).fill(null);
  }

  private worker(slot: number): Worker {
    let w = this.workers[slot];
    if (!w) {
      w = new Worker(this.script);
      w.unref();
      this.workers[slot] = w;
    }
    return w;
  }

  /** `onCheckpoint` receives the worker's 'checkpoint' messages (experiments under `sii worker`). */
  run(slot: number, task: T, onEpoch: EpochReport, onCheckpoint?: (checkpoint: unknown) => void): Promise<{ result: R; extra?: unknown }> {
    const w = this.worker(slot);
    w.ref();
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        w.unref();
      };
      const onMessage = (msg: WorkerMessage) => {
        if (msg.type === 'epoch') onEpoch(msg.epoch, msg.valLoss, msg.trainLoss);
        else if (msg.type === 'checkpoint') onCheckpoint?.(msg.checkpoint);
        else if (msg.type === 'done') {
          cleanup();
          resolve({ result: msg.result as R, extra: msg.extra });
        } else if (msg.type === 'error') {
          cleanup();
          reject(new Error(msg.message));
        }
      };
      const onError = (e: Error) => {
        cleanup();
        this.workers[slot] = null;
        reject(e);
      };
      const onExit = (code: number) => {
        cleanup();
        this.workers[slot] = null;
        reject(new Error(`worker ${slot} exited with code ${code}`));
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage(task);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w?.terminate()));
    this.workers.fill(null);
  }
}

/** In-process runner (tests; --workers 0). */
export class InlineRunner<T, R> implements TaskRunner<T, R> {
  readonly slots = 1;
  constructor(private readonly fn: (task: T, onEpoch: EpochReport) => Promise<{ result: R; extra?: unknown }>) {}
  run(_slot: number, task: T, onEpoch: EpochReport) {
    return this.fn(task, onEpoch);
  }
  async close(): Promise<void> {}
}

export interface QueueHooks<T, R> {
  onStart?(slot: number, task: T): void;
  onEpoch?(slot: number, task: T, epoch: number, valLoss: number, trainLoss: number): void;
  /**
   * Awaited before the slot takes its next task (e.g. to write results atomically); with a background
   * runner the next task is already posted (runQueue).
   */
  onDone(slot: number, task: T, result: R, extra: unknown): void | Promise<void>;
  onError(slot: number, task: T, error: Error): void | Promise<void>;
  /** Checked before a slot takes its next task: true stops the queue (tasks under way finish). */
  stop?(): boolean;
}

/**
 * Run every task, each slot taking the next one from the queue in order. With a background runner
 * a slot posts its next task before onDone handles the finished one (onDone's writes overlap the
 * next task's work; onStart of the next task still follows onDone, and its epoch reports are held
 * until then); after a failure the slot calls onError first, so that stop() sees it.
 */
export async function runQueue<T, R>(tasks: readonly T[], runner: TaskRunner<T, R>, hooks: QueueHooks<T, R>): Promise<void> {
  let next = 0;
  const take = (): T | undefined => (next < tasks.length && !hooks.stop?.() ? tasks[next++] : undefined);
  const loop = async (slot: number) => {
    /** Posts `task` to the runner; its epoch reports wait until started() (onStart) was called. */
    const launch = (task: T) => {
      let held: [number, number, number][] | null = [];
      const run = runner.run(slot, task, (e, v, t) => (held ? held.push([e, v, t]) : hooks.onEpoch?.(slot, task, e, v, t)));
      run.catch(() => {}); // handled when awaited; not an unhandled rejection while onDone runs
      const started = () => {
        hooks.onStart?.(slot, task);
        for (const [e, v, t] of held ?? []) hooks.onEpoch?.(slot, task, e, v, t);
        held = null;
      };
      return { task, run, started };
    };
    let current = (() => {
      const task = take();
      return task === undefined ? undefined : launch(task);
    })();
    current?.started();
    while (current) {
      let outcome: { ok: true; value: { result: R; extra?: unknown } } | { ok: false; error: Error };
      try {
        outcome = { ok: true, value: await current.run };
      } catch (e) {
        outcome = { ok: false, error: e instanceof Error ? e : new Error(String(e)) };
      }
      let following: ReturnType<typeof launch> | undefined;
      const early = outcome.ok && runner.background === true;
      if (early) {
        const task = take();
        following = task === undefined ? undefined : launch(task);
      }
      if (outcome.ok) await hooks.onDone(slot, current.task, outcome.value.result, outcome.value.extra);
      else await hooks.onError(slot, current.task, outcome.error);
      if (!early) {
        const task = take();
        following = task === undefined ? undefined : launch(task);
      }
      following?.started();
      current = following;
    }
  };
  await Promise.all(Array.from({ length: Math.min(runner.slots, Math.max(1, tasks.length)) }, (_, s) => loop(s)));
}
