/**
 * `sii worker --queue redis://…`: takes units of any study from the BullMQ queue and runs each on a
 * worker thread with the same code as a local sweep (train/worker.js for teachers and implicit-
 * regularization students, experiments/worker.js for pixel, latent and forecast arms). Epoch progress
 * goes to the job (job.updateProgress), the result back as JSON (non-finite numbers as strings, as in
 * the run folder). Training runs off the main thread, so BullMQ's lock renewal is never starved.
 *
 * Shutdown: the first SIGTERM/SIGINT stops taking jobs and finishes those under way; a second one
 * releases them back to the queue (another worker takes them at once) and exits.
 */
import { hostname } from 'node:os';
import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Io } from '../commands/common.js';
import { WorkerRunner } from '../pool.js';
import { jsonReplacer } from '../runfolder.js';
import { decodeCheckpoint, encodeCheckpoint, type ArmCheckpoint, checkCheckpoint } from '../experiments/checkpoint.js';
import type { ExperimentTask } from '../experiments/types.js';
import { type CheckpointMode, CheckpointStore, checkpointPlaceOf } from './checkpoints.js';
import { checkReachable, connect, parseQueueUrl, SWEEP_QUEUE, UNIT_QUEUE } from './connection.js';
import type { UnitJobData } from './coordinator.js';

export interface WorkerCommandOptions {
  queue: string;
  /** Jobs run at once (one worker thread each). */
  concurrency: number;
  /** BullMQ lock: a job whose lock is not renewed for this long is stalled (its worker died). */
  lockDurationMs: number;
  /** How often this worker looks for stalled jobs (of any worker) and moves them back to wait. */
  stalledIntervalMs: number;
  /** A job stalled more often than this is failed instead of retried. */
  maxStalledCount: number;
  /** Name shown in Redis (CLIENT LIST) and in this worker's lines. */
  name?: string;
  /** Per-epoch checkpoints of experiment arms (default auto: the run folder when visible, else Redis). */
  checkpoints?: CheckpointMode;
}

export const WORKER_DEFAULTS = { concurrency: 1, lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1 } as const;

/** Task kinds the two worker-thread scripts run. */
const TRAIN_KINDS = new Set(['teacher', 'implicit']);
const EXPERIMENT_KINDS = new Set(['pixel', 'latent', 'forecast']);

/** Run jobs until SIGTERM/SIGINT (or until `signal` aborts: tests and embedding). */
export async function workerCommand(opts: WorkerCommandOptions, io: Io, signal?: AbortSignal): Promise<void> {
  const address = parseQueueUrl(opts.queue);
  await checkReachable(address);
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const runners = {
    train: new WorkerRunner<unknown, unknown>(opts.concurrency, new URL('../train/worker.js', import.meta.url)),
    experiments: new WorkerRunner<unknown, unknown>(opts.concurrency, new URL('../experiments/worker.js', import.meta.url)),
  };
  const free = Array.from({ length: opts.concurrency }, (_, i) => opts.concurrency - 1 - i);
  let releasing = false;

  // Signal handlers go in before the queue's Worker exists: it may take a job at once, and a SIGTERM that
  // arrived before them would kill the process instead of stopping it gracefully.
  let stopping = false;
  let requestStop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => {
    requestStop = resolve;
  });
  const stop = () => {
    if (stopping) {
      if (!releasing) {
        releasing = true;
        io.note(`[${name}] releasing the jobs under way back to the queue`);
        void runners.train.close();
        void runners.experiments.close();
      }
      return;
    }
    stopping = true;
    io.note(`[${name}] stopping: finishing the jobs under way (signal again to release them to the queue)`);
    requestStop();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  signal?.addEventListener('abort', stop);

  const processUnit = async (job: Job<UnitJobData>, token?: string): Promise<string> => {
    const task = job.data?.task as { kind?: unknown } | undefined;
    const kind = String(task?.kind);
    const runner = TRAIN_KINDS.has(kind) ? runners.train : EXPERIMENT_KINDS.has(kind) ? runners.experiments : undefined;
    if (!runner)
      throw new UnrecoverableError(
        `job ${job.id}: unknown unit kind ${JSON.stringify(task?.kind)} (is this sii older than the coordinator's?)`,
      );
    const slot = free.pop();
    if (slot === undefined) throw new Error(`job ${job.id}: no free slot (concurrency ${opts.concurrency})`);
    const t0 = Date.now();
    io.print(`[${name}] took ${job.id} (${job.data.study} ${job.data.key}, attempt ${job.attemptsMade + 1})`);
    // Experiment arms checkpoint every epoch; a checkpoint left by an earlier attempt is resumed from.
    const place = checkpointPlaceOf(job.data);
    const where = place && runner === runners.experiments ? checkpoints.target(place) : null;
    let message: unknown = task;
    let saving: Promise<void> = Promise.resolve();
    let onCheckpoint: ((c: unknown) => void) | undefined;
    const trained: number[] = [];
    try {
      if (place && where) {
        const resume = await latestCheckpoint(job, task as ExperimentTask);
        message = { ...task, checkpoints: { resume } };
        onCheckpoint = (c) => {
          const bytes = encodeCheckpoint(c as ArmCheckpoint);
          // One write at a time, in epoch order; a failed write costs a restart from an older epoch, not the unit.
          saving = saving
            .then(() => checkpoints.save(place, job.data.key, where, bytes))
            .catch((e) => io.note(`[${name}] checkpoint of ${job.id} not written: ${(e as Error).message}`));
        };
      }
      const { result } = await runner.run(
        slot,
        message,
        (epoch, valLoss, trainLoss) => {
          trained.push(epoch);
          job.updateProgress({ epoch, valLoss, trainLoss }).catch(() => {});
        },
        onCheckpoint,
      );
      await saving;
      // An arm's epochs trained here (a resumed one starts after its checkpoint's epoch).
      const span = runner === runners.experiments && trained.length > 0 ? `, epochs ${trained[0]}–${trained.at(-1)} trained here` : '';
      io.print(`[${name}] done ${job.id} in ${((Date.now() - t0) / 1000).toFixed(1)} s${span}`);
      return JSON.stringify(result, jsonReplacer);
    } catch (e) {
      await saving;
      if (releasing) {
        await job.moveToWait(token);
        io.print(`[${name}] released ${job.id}`);
        throw new WaitingError();
      }
      io.print(`[${name}] failed ${job.id} (attempt ${job.attemptsMade + 1}): ${(e as Error).message.split('\n')[0]}`);
      throw e;
    } finally {
      free.push(slot);
    }
  };

  /** The newest usable checkpoint of the job's unit (null: start at epoch 1); refused ones are named. */
  const latestCheckpoint = async (job: Job<UnitJobData>, task: ExperimentTask): Promise<ArmCheckpoint | null> => {
    let best: { c: ArmCheckpoint; where: string } | null = null;
    for (const stored of await checkpoints.load(checkpointPlaceOf(job.data)!, job.data.key)) {
      let checked: ReturnType<typeof checkCheckpoint>;
      try {
        checked = checkCheckpoint(task, decodeCheckpoint(stored.bytes));
      } catch (e) {
        checked = { refused: `unreadable: ${(e as Error).message}` };
      }
      if ('refused' in checked) io.print(`[${name}] refused the ${stored.where} checkpoint of ${job.id}: ${checked.refused}`);
      else if (!best || checked.ok.epoch > best.c.epoch) best = { c: checked.ok, where: stored.where };
    }
    if (best)
      io.print(
        `[${name}] resumes ${job.id} after epoch ${best.c.epoch} (checkpoint in ${best.where === 'folder' ? 'the run folder' : 'Redis'})`,
      );
    return best?.c ?? null;
  };

  const connections = [connect(address), connect(address), connect(address)];
  const checkpoints = new CheckpointStore(connections[2], opts.checkpoints ?? 'auto');
  const units = new Worker<UnitJobData, string>(UNIT_QUEUE, processUnit, {
    connection: connections[0],
    concurrency: opts.concurrency,
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: opts.maxStalledCount,
    name,
  });
  // A sweep's parent job becomes processable when all its units are done; completing it closes the flow.
  const sweeps = new Worker(SWEEP_QUEUE, async (job) => ({ sweep: job.id, completedBy: name }), {
    connection: connections[1],
    concurrency: 1,
    name,
  });
  for (const w of [units, sweeps]) w.on('error', (e) => io.note(`[${name}] queue error: ${e.message}`));
  await Promise.all([units.waitUntilReady(), sweeps.waitUntilReady()]);
  io.note(
    `[${name}] sii worker on ${address.display} (concurrency ${opts.concurrency}, lock ${opts.lockDurationMs} ms, stalled check every ${opts.stalledIntervalMs} ms)`,
  );

  await stopRequested;
  await Promise.all([units.close(), sweeps.close()]);
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  await Promise.all([runners.train.close(), runners.experiments.close()]);
  for (const c of connections) c.disconnect();
  io.note(`[${name}] stopped`);
}
