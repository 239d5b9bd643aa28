// Per-job overhead of the BullMQ queue: enqueue → result of an empty unit, with the job options and the
// flow shape `--queue` uses (a parent in sii-sweeps with one child in sii-units: attempts, exponential
// backoff, ignoreDependencyOnFailure) and the coordinator's path back (QueueEvents 'completed', then the
// job's return value read from Redis). One job at a time (latency), then a flow of N at once (throughput).
// The worker's processor returns at once: what is measured is BullMQ + Redis + the network, not training.
//   node apps/cli/scripts/queue-overhead.mjs redis://127.0.0.1:6379/15 [jobs]
// It uses its own queue names (overhead-*), on the database given; pick an empty one.
import { FlowProducer, Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const url = process.argv[2] ?? 'redis://127.0.0.1:6379/15';
const n = Number(process.argv[3] ?? 200);
const conn = () => new Redis(url, { maxRetriesPerRequest: null });
const cs = [conn(), conn(), conn(), conn()];
const UNITS = 'overhead-units';
const SWEEPS = 'overhead-sweeps';
const flow = new FlowProducer({ connection: cs[0] });
const queue = new Queue(UNITS, { connection: cs[0] });
const events = new QueueEvents(UNITS, { connection: cs[1] });
const worker = new Worker(UNITS, async () => '{}', { connection: cs[2], concurrency: 1 });
const sweeps = new Worker(SWEEPS, async () => null, { connection: cs[3] });
await Promise.all([events.waitUntilReady(), worker.waitUntilReady(), sweeps.waitUntilReady()]);
await queue.obliterate({ force: true });

const waiters = new Map();
events.on('completed', ({ jobId }) => waiters.get(jobId)?.());
const child = (id) => ({
  name: 'unit',
  queueName: UNITS,
  data: { study: 'overhead', key: id, task: {} },
  opts: { jobId: id, attempts: 3, backoff: { type: 'exponential', delay: 10000 }, ignoreDependencyOnFailure: true },
});
const tag = Date.now().toString(36);

const lat = [];
for (let i = 0; i < n; i++) {
  const id = `${tag}.1.u${i}`;
  const t0 = process.hrtime.bigint();
  const done = new Promise((r) => waiters.set(id, r));
  await flow.add({ name: 'sweep', queueName: SWEEPS, opts: { jobId: `${tag}.p${i}` }, children: [child(id)] });
  await done;
  const job = await Job.fromId(queue, id);
  JSON.parse(job.returnvalue);
  lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);
console.log(`one at a time, ${n} empty jobs: median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${lat.at(-1).toFixed(2)} ms (enqueue → result read)`);

const ids = Array.from({ length: n }, (_, i) => `${tag}.2.u${i}`);
const all = Promise.all(ids.map((id) => new Promise((r) => waiters.set(id, r))));
const t0 = process.hrtime.bigint();
await flow.add({ name: 'sweep', queueName: SWEEPS, opts: { jobId: `${tag}.p-all` }, children: ids.map(child) });
await all;
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`one flow of ${n} empty jobs, 1 worker (concurrency 1): ${ms.toFixed(0)} ms in all, ${(ms / n).toFixed(2)} ms per job`);

await queue.obliterate({ force: true });
await new Queue(SWEEPS, { connection: cs[0] }).obliterate({ force: true });
await Promise.all([worker.close(), sweeps.close(), events.close(), flow.close(), queue.close()]);
for (const c of cs) c.disconnect();
