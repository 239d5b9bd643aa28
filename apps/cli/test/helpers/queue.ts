/**
 * What the queue end-to-end tests share: a redis-server of their own (127.0.0.1, a free port, a
 * temporary directory, no persistence), the BUILT command started in the background, and polling.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { bin } from './cli.js';

export const hasRedis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;

export interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** One suite's Redis and processes, in a temporary directory `tmp` (removed by stop()). */
export class QueueLab {
  readonly tmp: string;
  private redis: ChildProcess | undefined;
  private port = 0;
  private readonly started: Proc[] = [];

  constructor(prefix: string) {
    this.tmp = mkdtempSync(join(tmpdir(), prefix));
  }

  url(db: number): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  async startRedis(): Promise<void> {
    const dir = join(this.tmp, 'redis');
    spawnSync('mkdir', ['-p', dir]);
    this.port = await freePort();
    this.redis = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    for (let i = 0; ; i++) {
      const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch (e) {
        probe.disconnect();
        if (i > 100) throw new Error(`redis-server on port ${this.port} did not start: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Start `node dist/bin.js ...args` in `tmp`; stdout and stderr collected together. */
  start(args: string[]): Proc {
    const child = spawn(process.execPath, [bin, ...args], { cwd: this.tmp, env: { ...process.env, FORCE_COLOR: '0' } });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const p = { child, out: () => text, exited };
    this.started.push(p);
    return p;
  }

  /** SIGKILL what a test left running (afterEach). */
  async killStarted(): Promise<void> {
    for (const p of this.started.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
  }

  /** Stop Redis and remove the temporary directory (afterAll). */
  async stop(): Promise<void> {
    await this.killStarted();
    const r = this.redis;
    if (r && r.exitCode === null) {
      const gone = new Promise((res) => r.once('exit', res));
      r.kill('SIGTERM');
      await gone;
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

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

/** Poll `check` every 100 ms until it returns a value (not undefined or false). */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 400_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
