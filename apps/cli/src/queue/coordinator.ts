/**
 * The coordinator side of `--queue`: a sweep's units become one BullMQ flow (the sweep as the parent job
 * in SWEEP_QUEUE, one child job per unit in UNIT_QUEUE), and the results come back through the same
 * hooks as the local pool (pool.ts runQueue), so a study writes its run folder the same way either way.
 *
 * Job ids are `<sweep>.<generation>.<unit key>`: deterministic, so BullMQ never holds two jobs for one
 * unit of one generation, and the coordinator settles each unit once (results keyed by unit key).
 * The sweep id and the number of generations are kept in the run folder (queue.json): `--resume`
 * re-attaches to the jobs of earlier generations, collects those that finished meanwhile, keeps waiting
 * for those under way and enqueues a new generation only for units with no live job (never enqueued,
 * or failed: a resume trains a failed unit again, as a local resume does).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { FlowProducer, Job, Queue, QueueEvents } from 'bullmq';
import type { QueueHooks } from '../pool.js';
import type { Run } from '../run.js';
import { readJson, timestamp } from '../runfolder.js';
import { type CheckpointPlace, dropCheckpoints } from './checkpoints.js';
import { checkReachable, connect, type QueueAddress, SWEEP_QUEUE, UNIT_QUEUE } from './connection.js';

/** The file in the run folder that ties it to its jobs on the queue. */
export const QUEUE_FILE = 'queue.json';

export interface UnitJobData {
  /** The study (command) the unit belongs to, e.g. 'teacher-student'. */
  study: string;
  /** The unit's key within its sweep, e.g. 'teacher-0003'. */
  key: string;
  /** The task a worker thread runs (TeacherTask, ImplicitTask, ExperimentTask). */
  task: unknown;
  /** Where a worker may keep the unit's per-epoch checkpoints (experiment arms use them). */
  checkpoint?: CheckpointPlace;
}

export interface QueueUnit<T> {
  key: string;
  task: T;
}

export interface QueueSweepOptions {
  address: QueueAddress;
  run: Run;
  study: string;
  /** Attempts per unit (BullMQ `attempts`: 1 = no retry). */
  attempts: number;
  /** First retry delay; BullMQ's exponential backoff doubles it per attempt. */
  backoffMs: number;
  /** How often every pending unit's state is read (events also trigger reads). */
  pollMs?: number;
  note(line: string): void;
}

interface QueueRecord {
  sweep: string;
  generations: number;
  redis: string;
}

export interface QueueSweepStats {
  sweep: string;
  /** Units enqueued by this invocation, and results that had finished before it attached. */
  enqueued: number;
  collectedOnAttach: number;
}

const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'wait']);

export function unitJobId(sweep: string, generation: number, key: string): string {
  return `${sweep}.${generation}.${key}`;
}

/** JSON results store non-finite numbers as strings (runfolder jsonReplacer); turn them back. */
export function parseResult<R>(text: string): R {
  return JSON.parse(text, (_k, v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? Number.NaN : v)) as R;
}

function readRecord(run: Run, study: string): QueueRecord {
  const file = run.path(QUEUE_FILE);
  if (existsSync(file)) {
    const r = readJson<QueueRecord>(file);
    if (typeof r?.sweep !== 'string' || !/^[\w-]+$/.test(r.sweep) || !Number.isSafeInteger(r.generations) || r.generations < 0) {
      throw new Error(`${file}: not a queue record (expected {sweep, generations}), got ${JSON.stringify(r).slice(0, 80)}`);
    }
    return r;
  }
  return { sweep: `${study}-${timestamp()}-${randomBytes(3).toString('hex')}`, generations: 0, redis: '' };
}

/** Run `units` through the queue; resolves when every unit completed or failed (or hooks.stop()). */
export async function runOnQueue<T, R>(
  units: readonly QueueUnit<T>[],
  opts: QueueSweepOptions,
  hooks: QueueHooks<T, R>,
): Promise<QueueSweepStats> {
  await checkReachable(opts.address);
  const record = readRecord(opts.run, opts.study);
  record.redis = opts.address.display;
  const conn = connect(opts.address);
  const eventsConn = connect(opts.address);
  const unitQueue = new Queue<UnitJobData>(UNIT_QUEUE, { connection: conn });
  const flow = new FlowProducer({ connection: conn });
  const events = new QueueEvents(UNIT_QUEUE, { connection: eventsConn });
  const pending = new Map<string, QueueUnit<T>>();
  const slots = new Map<string, number>();
  const stats: QueueSweepStats = { sweep: record.sweep, enqueued: 0, collectedOnAttach: 0 };
  const place: CheckpointPlace = { sweep: record.sweep, run: resolve(opts.run.dir) };
  let failures = 0;
  let wake: () => void = () => {};

  const slotOf = (jobId: string, unit: QueueUnit<T>): number => {
    let s = slots.get(jobId);
    if (s === undefined) {
      const used = new Set(slots.values());
      for (s = 0; used.has(s); s++);
      slots.set(jobId, s);
      hooks.onStart?.(s, unit.task);
    }
    return s;
  };

  /** Read one job's state; settle its unit when it completed or failed for good. Returns the state. */
  const settle = async (jobId: string): Promise<string> => {
    const unit = pending.get(jobId);
    if (!unit) return 'settled';
    // The state first, then the job: a job read before its state could still be active (no return value yet).
    const state = await unitQueue.getJobState(jobId);
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return state;
    const job = state === 'unknown' ? undefined : await Job.fromId(unitQueue, jobId);
    if (!pending.has(jobId)) return 'settled'; // another read settled it meanwhile
    pending.delete(jobId);
    const slot = slotOf(jobId, unit);
    slots.delete(jobId);
    if (state === 'completed') {
      let result: R;
      try {
        result = parseResult<R>(String(job?.returnvalue));
        if (typeof result !== 'object' || result === null)
          throw new Error(`expected a JSON object, got ${String(job?.returnvalue).slice(0, 40)}`);
      } catch (e) {
        failures++;
        await hooks.onError(slot, unit.task, new Error(`job ${jobId} returned an unreadable result: ${(e as Error).message}`));
        return state;
      }
      await hooks.onDone(slot, unit.task, result, undefined);
    } else if (state === 'failed' && job) {
      failures++;
      const attempts = job.attemptsMade;
      await hooks.onError(
        slot,
        unit.task,
        new Error(`${job.failedReason ?? 'failed'} (job ${jobId}, ${attempts} attempt${attempts === 1 ? '' : 's'})`),
      );
    } else {
      failures++;
      await hooks.onError(slot, unit.task, new Error(`job ${jobId} is no longer on the queue (removed?); resume to enqueue it again`));
    }
    // The unit is recorded in the run folder: its checkpoints (if a worker wrote any) are done with.
    await dropCheckpoints(conn, place, unit.key).catch((e) =>
      opts.note(`queue: dropping ${unit.key}'s checkpoint: ${(e as Error).message}`),
    );
    if (pending.size === 0) wake();
    return state;
  };

  try {
    // Attach: the newest job of each unit over earlier generations decides what to do with it.
    const toEnqueue: QueueUnit<T>[] = [];
    for (const unit of units) {
      let found: { id: string; state: string } | undefined;
      for (let g = record.generations; g >= 1 && !found; g--) {
        const id = unitJobId(record.sweep, g, unit.key);
        const state = await unitQueue.getJobState(id);
        if (state !== 'unknown') found = { id, state };
      }
      if (found && (found.state === 'completed' || LIVE_STATES.has(found.state))) {
        pending.set(found.id, unit);
        if (found.state === 'completed') {
          stats.collectedOnAttach++;
          await settle(found.id);
        }
      } else {
        toEnqueue.push(unit);
      }
    }
    if (stats.collectedOnAttach > 0)
      opts.note(`queue: collected ${stats.collectedOnAttach} unit(s) that finished while no coordinator was attached`);
    if (pending.size > 0) opts.note(`queue: re-attached to ${pending.size} unit(s) still on the queue`);
    if (toEnqueue.length > 0) {
      const generation = ++record.generations;
      opts.run.writeJson(QUEUE_FILE, record);
      const parentId = `${record.sweep}.${generation}`;
      await flow.add({
        name: opts.study,
        queueName: SWEEP_QUEUE,
        data: { study: opts.study, run: opts.run.dir, units: toEnqueue.length },
        opts: { jobId: parentId },
        children: toEnqueue.map((u) => ({
          name: u.key,
          queueName: UNIT_QUEUE,
          data: { study: opts.study, key: u.key, task: u.task, checkpoint: place } satisfies UnitJobData,
          opts: {
            jobId: unitJobId(record.sweep, generation, u.key),
            attempts: opts.attempts,
            backoff: { type: 'exponential', delay: opts.backoffMs },
            // A failed unit is recorded by the coordinator; the sweep's parent still completes.
            ignoreDependencyOnFailure: true,
          },
        })),
      });
      for (const u of toEnqueue) pending.set(unitJobId(record.sweep, generation, u.key), u);
      stats.enqueued = toEnqueue.length;
      opts.note(
        `queue: enqueued ${toEnqueue.length} unit(s) as ${parentId} on ${opts.address.display} (start workers with: sii worker --queue <url>)`,
      );
    } else {
      opts.run.writeJson(QUEUE_FILE, record);
    }

    events.on('active', ({ jobId }) => {
      const unit = pending.get(jobId);
      if (unit) slotOf(jobId, unit);
    });
    events.on('progress', ({ jobId, data }) => {
      const unit = pending.get(jobId);
      const p = data as { epoch?: number; valLoss?: number; trainLoss?: number };
      if (unit && typeof p?.epoch === 'number')
        hooks.onEpoch?.(slotOf(jobId, unit), unit.task, p.epoch, Number(p.valLoss), Number(p.trainLoss));
    });
    const onFinished = ({ jobId }: { jobId: string }) => {
      if (pending.has(jobId)) void settle(jobId).catch((e) => opts.note(`queue: reading ${jobId}: ${(e as Error).message}`));
    };
    events.on('completed', onFinished);
    events.on('failed', onFinished);
    await events.waitUntilReady();

    const pollMs = opts.pollMs ?? 1000;
    while (pending.size > 0 && !hooks.stop?.()) {
      // Every pending unit is read each round: events can be missed across reconnects.
      for (const id of [...pending.keys()]) await settle(id);
      if (pending.size === 0 || hooks.stop?.()) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, pollMs);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    if (pending.size === 0 && failures === 0) {
      // Every result is in the run folder: drop the sweep's jobs from Redis (a failed sweep keeps them to inspect).
      const sweeps = new Queue(SWEEP_QUEUE, { connection: conn });
      for (let g = 1; g <= record.generations; g++) {
        await sweeps.remove(`${record.sweep}.${g}`, { removeChildren: true }).catch(() => 0);
      }
      await sweeps.close().catch(() => {});
    }
    return stats;
  } finally {
    await events.close().catch(() => {});
    await flow.close().catch(() => {});
    await unitQueue.close().catch(() => {});
    conn.disconnect();
    eventsConn.disconnect();
  }
}
