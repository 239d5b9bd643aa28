/**
 * `--queue` and `sii worker` against a real Redis: the suite starts its own redis-server on 127.0.0.1
 * (free port, temporary directory, no persistence) and stops it afterwards. Every process is the BUILT
 * command under plain node. Each test uses its own Redis database.
 *
 * - a 6-teacher sweep through 2 worker processes gives results.json byte-identical to the local run;
 * - a worker killed with SIGKILL mid-job: its unit stalls, another worker takes it, each unit is done once;
 * - a unit that throws (its job's data made invalid through BullMQ's own API): retried, failed, exit 1;
 * - the coordinator killed and resumed: it collects what finished meanwhile without running it again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueUrl } from '../src/queue/connection.js';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { hasRedis, type Proc, waitFor as pollFor, QueueLab } from './helpers/queue.js';

if (!hasRedis) console.warn('queue-e2e: redis-server is not installed (apt-get install redis-server); the Redis tests are skipped');

const TINY6 = ['--setting', 'excl', '--teachers', '6', '--epochs', '2', '--samples', '30', '--hidden', '6', '--progress', 'plain'];
/** Short lock and stalled check so that a killed worker's unit is taken again within seconds. */
const FAST_STALL = ['--lock-duration', '2000', '--stalled-interval', '1000'];
const TIMEOUT = 300_000;

const lab = new QueueLab('sii-queue-');
const tmp = lab.tmp;
const url = (db: number) => lab.url(db);
const startRedis = () => lab.startRedis();
const startCli = (args: string[]) => lab.start(args);
const waitFor = (what: string, check: () => boolean) => pollFor(what, check, TIMEOUT);

function startWorker(db: number, name: string, extra: string[] = []): Proc {
  return startCli(['worker', '--queue', url(db), '--name', name, ...extra]);
}
const ready = (w: Proc) => waitFor('a worker to connect', () => w.out().includes('sii worker on'));

/** Job ids in a worker's `took` / `done` / `failed` lines. */
function lines(w: Proc, verb: 'took' | 'done' | 'failed' | 'released'): string[] {
  return [...w.out().matchAll(new RegExp(`\\] ${verb} (\\S+)`, 'g'))].map((m) => m[1]);
}
const unitKey = (jobId: string) => jobId.slice(jobId.lastIndexOf('.') + 1);

function onlyRun(out: string): string {
  const dirs = readdirSync(out).filter((d) => d.startsWith('teacher-student-'));
  expect(dirs).toHaveLength(1);
  return join(out, dirs[0]);
}
/** A teacher file without its wall time (the only field that changes from run to run). */
function teacherNumbers(dir: string, teacher: number): unknown {
  const t = JSON.parse(readFileSync(join(dir, 'teachers', `teacher-${String(teacher).padStart(4, '0')}.json`), 'utf8'));
  for (const r of Object.values(t.runs) as { wallMs?: number }[]) delete r.wallMs;
  return t;
}

const ALL_UNITS = Array.from({ length: 6 }, (_, i) => `teacher-${String(i).padStart(4, '0')}`);
let localDir = '';
let localResults = '';

afterEach(() => lab.killStarted());
afterAll(() => lab.stop());

describe('--queue URL', () => {
  it('accepts redis:// and rediss:// with host, port, database and password, and never shows the password', () => {
    expect(parseQueueUrl('redis://10.0.0.5:6380/3')).toMatchObject({ host: '10.0.0.5', port: 6380, db: 3, tls: false });
    const a = parseQueueUrl('rediss://:s3cret@redis.internal/2');
    expect(a).toMatchObject({ host: 'redis.internal', port: 6379, db: 2, tls: true, display: 'rediss://redis.internal:6379/2' });
    expect(a.display).not.toContain('s3cret');
  });

  it.each([
    ['http://127.0.0.1:6379', /unsupported scheme http/],
    ['redis://127.0.0.1:6379/zero', /the database must be a number, got "zero"/],
    ['127.0.0.1:6379', /unsupported scheme 127\.0\.0\.1|not a URL/],
    ['redis://127.0.0.1:6379/0?x=1', /no query/],
  ])('rejects %s naming --queue', (value, why) => {
    expect(() => parseQueueUrl(value)).toThrow(/^--queue: /);
    expect(() => parseQueueUrl(value)).toThrow(why);
  });

  it(
    'a bad --queue is a usage error (exit 2) before any run folder is created',
    () => {
      ensureBuilt();
      const out = join(tmp, 'bad-url');
      const r = runCli(tmp, ['teacher-student', ...TINY6, '--queue', 'http://x:1', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--queue <url>.*unsupported scheme http/s);
      const w = runCli(tmp, ['worker']);
      expect(w.code).toBe(2);
      expect(w.stderr).toContain("required option '--queue <url>' not specified");
    },
    TIMEOUT,
  );
});

describe.skipIf(!hasRedis)('sweeps on a BullMQ queue (real redis-server)', () => {
  beforeAll(async () => {
    ensureBuilt();
    await startRedis();
    const local = runCli(tmp, ['teacher-student', ...TINY6, '--workers', '2', '--out', join(tmp, 'local')]);
    expect(local.code, local.stderr).toBe(0);
    localDir = onlyRun(join(tmp, 'local'));
    localResults = readFileSync(join(localDir, 'results.json'), 'utf8');
  }, TIMEOUT);

  it(
    'a 6-teacher sweep through 2 worker processes writes results.json byte-identical to the local run',
    async () => {
      const a = startWorker(1, 'A');
      const b = startWorker(1, 'B');
      await Promise.all([ready(a), ready(b)]);
      const out = join(tmp, 'two-workers');
      const coord = startCli(['teacher-student', ...TINY6, '--queue', url(1), '--out', out]);
      const { code } = await coord.exited;
      expect(code, coord.out()).toBe(0);
      const dir = onlyRun(out);
      expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe(localResults);
      for (let t = 0; t < 6; t++) expect(teacherNumbers(dir, t)).toEqual(teacherNumbers(localDir, t));
      // Every unit done exactly once, and both workers took part.
      const done = [...lines(a, 'done'), ...lines(b, 'done')].map(unitKey).sort();
      expect(done).toEqual(ALL_UNITS);
      expect(lines(a, 'done').length).toBeGreaterThan(0);
      expect(lines(b, 'done').length).toBeGreaterThan(0);
      expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).state).toBe('complete');
      expect(JSON.parse(readFileSync(join(dir, 'queue.json'), 'utf8'))).toMatchObject({ generations: 1, redis: url(1) });
      // SIGTERM: an idle worker stops cleanly.
      a.child.kill('SIGTERM');
      expect((await a.exited).code).toBe(0);
      expect(a.out()).toContain('[A] stopped');
    },
    TIMEOUT,
  );

  it(
    'a worker killed with SIGKILL mid-job: its unit stalls, the other worker takes it, each unit is done once',
    async () => {
      const a = startWorker(2, 'A', FAST_STALL);
      await ready(a);
      const out = join(tmp, 'kill-worker');
      const coord = startCli(['teacher-student', ...TINY6, '--queue', url(2), '--out', out]);
      await waitFor('worker A to take a unit', () => lines(a, 'took').length > 0);
      const victim = lines(a, 'took')[0];
      a.child.kill('SIGKILL');
      expect((await a.exited).signal).toBe('SIGKILL');
      expect(lines(a, 'done')).not.toContain(victim);
      const b = startWorker(2, 'B', FAST_STALL);
      const { code } = await coord.exited;
      expect(code, coord.out()).toBe(0);
      expect(lines(b, 'took')).toContain(victim);
      const done = [...lines(a, 'done'), ...lines(b, 'done')].map(unitKey).sort();
      expect(done).toEqual(ALL_UNITS);
      expect(readFileSync(join(onlyRun(out), 'results.json'), 'utf8')).toBe(localResults);
    },
    TIMEOUT,
  );

  it(
    'a unit that throws is retried with backoff, then recorded as failed, and the coordinator exits 1',
    async () => {
      const out = join(tmp, 'failing');
      const coord = startCli(['teacher-student', ...TINY6, '--queue', url(3), '--out', out, '--attempts', '2', '--backoff', '200']);
      await waitFor('the units to be enqueued', () => coord.out().includes('enqueued 6 unit(s)'));
      // Before any worker runs: give teacher 1 a solver that does not exist, through BullMQ's own API.
      const connection = new Redis(url(3), { maxRetriesPerRequest: null });
      const queue = new Queue('sii-units', { connection });
      const jobs = await queue.getJobs(['waiting']);
      const job = jobs.find((j) => j.data.key === 'teacher-0001');
      expect(job).toBeDefined();
      await job!.updateData({ ...job!.data, task: { ...job!.data.task, config: { ...job!.data.task.config, solver: 'no-such-solver' } } });
      await queue.close();
      connection.disconnect();
      const w = startWorker(3, 'A');
      const { code } = await coord.exited;
      expect(code, coord.out()).toBe(1);
      expect(coord.out()).toMatch(/1 of 6 teachers failed after their retries on the queue \(teachers 1: .*no-such-solver/);
      const failed = lines(w, 'failed').map(unitKey);
      expect(failed).toEqual(['teacher-0001', 'teacher-0001']);
      expect(w.out()).toMatch(/failed \S+teacher-0001 \(attempt 1\)/);
      expect(w.out()).toMatch(/failed \S+teacher-0001 \(attempt 2\)/);
      const dir = onlyRun(out);
      const t1 = JSON.parse(readFileSync(join(dir, 'teachers', 'teacher-0001.json'), 'utf8'));
      expect(t1.runs.sii.error).toMatch(/no-such-solver.*2 attempts/s);
      for (const t of [0, 2, 3, 4, 5]) expect(teacherNumbers(dir, t)).toEqual(teacherNumbers(localDir, t));
      expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).state).toBe('failed');
    },
    TIMEOUT,
  );

  it(
    'SIGTERM: a worker finishes the unit under way and exits 0; a second SIGTERM releases it to the queue at once',
    async () => {
      const out = join(tmp, 'sigterm');
      const tiny3 = TINY6.map((v, i) => (TINY6[i - 1] === '--teachers' ? '3' : v));
      const coord = startCli(['teacher-student', ...tiny3, '--queue', url(6), '--out', out]);
      await waitFor('the units to be enqueued', () => coord.out().includes('enqueued 3 unit(s)'));
      const a = startWorker(6, 'A');
      await waitFor('worker A to take a unit', () => lines(a, 'took').length > 0);
      a.child.kill('SIGTERM');
      expect((await a.exited).code).toBe(0);
      expect(lines(a, 'took')).toHaveLength(1);
      expect(lines(a, 'done')).toEqual(lines(a, 'took'));
      const b = startWorker(6, 'B');
      await waitFor('worker B to take a unit', () => lines(b, 'took').length > 0);
      b.child.kill('SIGTERM');
      await waitFor('worker B to stop taking units', () => b.out().includes('[B] stopping'));
      b.child.kill('SIGTERM');
      expect((await b.exited).code).toBe(0);
      const released = lines(b, 'released');
      expect(released).toEqual(lines(b, 'took'));
      expect(lines(b, 'done')).toEqual([]);
      const c = startWorker(6, 'C', ['--concurrency', '2']);
      const { code } = await coord.exited;
      expect(code, coord.out()).toBe(0);
      // The released unit ran again on C as its first attempt (a release is not a failure); every unit once.
      expect(c.out()).toContain(`took ${released[0]} (teacher-student ${unitKey(released[0])}, attempt 1)`);
      expect([...lines(a, 'done'), ...lines(c, 'done')].map(unitKey).sort()).toEqual(ALL_UNITS.slice(0, 3));
      for (let t = 0; t < 3; t++) expect(teacherNumbers(onlyRun(out), t)).toEqual(teacherNumbers(localDir, t));
    },
    2 * TIMEOUT,
  );

  it(
    'sii pixel arms through a worker give results.json byte-identical to the local run',
    async () => {
      const args = ['pixel', '--scale', 'tiny', '--seeds', '1', '--epochs', '1', '--progress', 'plain'];
      const local = runCli(tmp, [...args, '--workers', '1', '--out', join(tmp, 'pixel-local')]);
      expect(local.code, local.stderr).toBe(0);
      const w = startWorker(5, 'A');
      const coord = startCli([...args, '--queue', url(5), '--out', join(tmp, 'pixel-queue')]);
      const { code } = await coord.exited;
      expect(code, coord.out()).toBe(0);
      expect(lines(w, 'done').map(unitKey).sort()).toEqual(['run-000-baseline', 'run-000-sii']);
      const results = (out: string) => {
        const d = readdirSync(out).filter((f) => f.startsWith('pixel-'));
        expect(d).toHaveLength(1);
        return readFileSync(join(out, d[0], 'results.json'), 'utf8');
      };
      expect(results(join(tmp, 'pixel-queue'))).toBe(results(join(tmp, 'pixel-local')));
    },
    TIMEOUT,
  );

  it(
    'the coordinator killed mid-sweep and resumed collects what finished meanwhile without running it again',
    async () => {
      const w = startWorker(4, 'A');
      await ready(w);
      const out = join(tmp, 'kill-coordinator');
      const coord = startCli(['teacher-student', ...TINY6, '--queue', url(4), '--out', out, '--abort-after', '2']);
      expect((await coord.exited).signal).toBe('SIGKILL');
      const dir = onlyRun(out);
      expect(readdirSync(join(dir, 'teachers')).filter((f) => f.endsWith('.json'))).toHaveLength(2);
      // The worker goes on without a coordinator.
      await waitFor('the worker to finish every unit', () => lines(w, 'done').length === 6);
      const resumed = runCli(tmp, ['teacher-student', '--resume', dir, '--queue', url(4), '--progress', 'plain']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain('2 of 6 teachers already finished');
      expect(resumed.stderr).toContain('collected 4 unit(s) that finished while no coordinator was attached');
      expect(resumed.stderr).not.toContain('enqueued');
      expect(lines(w, 'took').map(unitKey).sort()).toEqual(ALL_UNITS);
      expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe(localResults);
    },
    TIMEOUT,
  );
});
