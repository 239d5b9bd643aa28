/**
 * `--queue` on implicit-regularization, quickstart and reproduce (real redis-server started by the
 * suite, the BUILT command under plain node, one `sii worker`): each at a tiny size gives the numbers
 * of its local run — results.json byte-identical for implicit-regularization and quickstart; for
 * reproduce (whose results.json holds wall times and folder names) every sub-study's results.json and
 * the claims table — and every unit of a queued study went through the worker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { hasRedis, type Proc, QueueLab, waitFor } from './helpers/queue.js';

if (!hasRedis) console.warn('queue-studies-e2e: redis-server is not installed; the tests are skipped');

const TIMEOUT = 600_000;
const lab = new QueueLab('sii-studies-');
let worker: Proc;

afterAll(() => lab.stop());

function onlyRun(out: string, command: string): string {
  const dirs = readdirSync(out).filter((d) => d.startsWith(`${command}-`));
  expect(dirs).toHaveLength(1);
  return join(out, dirs[0]);
}
const results = (dir: string) => readFileSync(join(dir, 'results.json'), 'utf8');
/** Job ids of the worker's `done` lines so far. */
const doneJobs = () => [...worker.out().matchAll(/\] done (\S+)/g)].map((m) => m[1]);

/** The command run locally and on the queue; returns both run folders and the jobs the worker finished for it. */
async function bothWays(name: string, args: string[], db: number): Promise<{ local: string; queued: string; jobs: string[] }> {
  const command = args[0];
  const local = runCli(lab.tmp, [...args, '--workers', '1', '--out', join(lab.tmp, `${name}-local`)]);
  expect(local.code, local.stderr).toBe(0);
  const before = doneJobs().length;
  const queued = lab.start([...args, '--queue', lab.url(db), '--out', join(lab.tmp, `${name}-queue`)]);
  const { code } = await queued.exited;
  expect(code, queued.out()).toBe(0);
  return {
    local: onlyRun(join(lab.tmp, `${name}-local`), command),
    queued: onlyRun(join(lab.tmp, `${name}-queue`), command),
    jobs: doneJobs().slice(before),
  };
}

describe.skipIf(!hasRedis)('--queue on implicit-regularization, quickstart and reproduce (real redis-server)', () => {
  beforeAll(async () => {
    ensureBuilt();
    await lab.startRedis();
    worker = lab.start(['worker', '--queue', lab.url(0), '--name', 'W']);
    await waitFor('the worker to connect', () => worker.out().includes('sii worker on'));
  }, TIMEOUT);

  it(
    'implicit-regularization: 2 solvers × 2 students on the queue equal the local run byte for byte',
    async () => {
      const args = ['implicit-regularization', '--solvers', 'euler,rk4', '--students', '2', '--epochs', '2'];
      const r = await bothWays('implicit', [...args, '--samples', '12', '--hidden', '6', '--progress', 'off'], 0);
      expect(results(r.queued)).toBe(results(r.local));
      expect(r.jobs.map((j) => j.slice(j.lastIndexOf('.') + 1)).sort()).toEqual([
        'student-euler-0000',
        'student-euler-0001',
        'student-rk4-0000',
        'student-rk4-0001',
      ]);
    },
    TIMEOUT,
  );

  it(
    'quickstart: its teacher–student part on the queue; results.json equals the local run byte for byte',
    async () => {
      const args = ['quickstart', '--teachers', '2', '--epochs', '2', '--samples', '30', '--hidden', '6', '--progress', 'off'];
      const r = await bothWays('quickstart', args, 0);
      expect(results(r.queued)).toBe(results(r.local));
      expect(r.jobs.map((j) => j.slice(j.lastIndexOf('.') + 1)).sort()).toEqual(['teacher-0000', 'teacher-0001']);
    },
    TIMEOUT,
  );

  it(
    'reproduce: the sub-studies with units go through the queue; every sub-study and the claims equal the local run',
    async () => {
      const args = ['reproduce', '--scale', 'tiny', '--only', 'ts-excl,perturbation,implicit', '--progress', 'off'];
      const r = await bothWays('reproduce', args, 0);
      const read = (dir: string) => JSON.parse(results(dir));
      const [loc, que] = [read(r.local), read(r.queued)];
      expect(que.claims).toEqual(loc.claims);
      for (const study of ['ts-excl', 'perturbation', 'implicit']) {
        expect(results(join(r.queued, que.studies[study].dir))).toBe(results(join(r.local, loc.studies[study].dir)));
      }
      // ts-excl's 3 teachers and implicit's students ran on the worker; perturbation (no units) ran here.
      const keys = r.jobs.map((j) => j.slice(j.lastIndexOf('.') + 1));
      expect(keys.filter((k) => k.startsWith('teacher-')).sort()).toEqual(['teacher-0000', 'teacher-0001', 'teacher-0002']);
      expect(keys.filter((k) => k.startsWith('student-')).length).toBeGreaterThan(0);
      expect(keys.every((k) => k.startsWith('teacher-') || k.startsWith('student-'))).toBe(true);
    },
    TIMEOUT,
  );
});
