// Fault injection on a real, small filesystem: a 256 KiB tmpfs mounted for the test (Linux, root).
// Filling it must never commit a truncated file: the error names the file, no temporary file is
// left behind, and files written earlier (including the previous version of the target) are untouched.
// Where mounting is not permitted (not root, not Linux, no CAP_SYS_ADMIN in a container) the test is
// skipped with the reason; the injected short-write and ENOSPC tests in runfolder.test.ts still run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WriteSyncFn, writeFileAtomic, writeJsonAtomic } from '../src/runfolder.js';

const SIZE = 256 * 1024;
let mountPoint = '';
let skipReason = '';

beforeAll(() => {
  if (process.platform !== 'linux') {
    skipReason = `tmpfs fault injection needs Linux (platform ${process.platform})`;
    return;
  }
  if (process.getuid?.() !== 0) {
    skipReason = `tmpfs fault injection needs root to mount a filesystem (uid ${process.getuid?.()})`;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sii-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE}`, 'tmpfs', dir], { stdio: 'pipe' });
    mountPoint = dir;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    skipReason = `mount -t tmpfs was not permitted here: ${(err.stderr?.toString() || err.message).trim()}`;
    rmSync(dir, { recursive: true, force: true });
  }
  if (skipReason) console.warn(`skipped: ${skipReason}`);
});

afterAll(() => {
  if (!mountPoint) return;
  execFileSync('umount', [mountPoint], { stdio: 'pipe' });
  rmSync(mountPoint, { recursive: true, force: true });
});

describe('writeFileAtomic on a full 256 KiB tmpfs', () => {
  it('commits no truncated file, names the file, leaves no temp file and keeps earlier files', (ctx) => {
    if (!mountPoint) ctx.skip(skipReason);
    const run = join(mountPoint, 'run');
    const config = join(run, 'config.json');
    const results = join(run, 'results.json');
    // An earlier run's files: these must survive everything below byte for byte.
    writeJsonAtomic(config, { seed: 1, teachers: 6 });
    const oldResults = `${JSON.stringify({ version: 1, values: Array.from({ length: 500 }, (_, i) => i / 7) })}\n`;
    writeFileAtomic(results, oldResults);
    const configBytes = readFileSync(config);
    expect(readFileSync(results, 'utf8')).toBe(oldResults);

    // Fill most of the filesystem, leaving less free space than the new results need.
    const { bsize, bavail } = statfsSync(mountPoint);
    const free = bsize * bavail;
    expect(free).toBeGreaterThan(64 * 1024);
    writeFileSync(join(mountPoint, 'filler.bin'), new Uint8Array(free - 64 * 1024));
    const left = statfsSync(mountPoint).bavail * bsize;
    expect(left).toBeLessThanOrEqual(64 * 1024);

    // 200,000 bytes into ≤ 64 KiB: the kernel accepts part of the data, then refuses with ENOSPC.
    // The real writeSync, observed: what the kernel accepted per call.
    const accepted: number[] = [];
    const observed: WriteSyncFn = (fd, buf, off, len) => {
      const n = writeSync(fd, buf, off, len);
      accepted.push(n);
      return n;
    };
    const big = 'x'.repeat(200_000);
    expect(() => writeFileAtomic(results, big, observed)).toThrow(/could not write .*run\/results\.json \(200000 bytes\): ENOSPC/);
    // A genuine short write happened (a helper that trusted one call would have committed these bytes).
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(accepted[0]).toBeGreaterThan(0);
    expect(accepted[0]).toBeLessThan(200_000);
    // A new file that does not fit is not created at all.
    const figure = join(run, 'figures', 'loss.svg');
    expect(() => writeFileAtomic(figure, `<svg>${'<path d="M0 0"/>'.repeat(20_000)}</svg>`)).toThrow(
      /could not write .*figures\/loss\.svg .*ENOSPC/,
    );

    expect(readFileSync(results, 'utf8')).toBe(oldResults);
    expect(readFileSync(config)).toEqual(configBytes);
    expect(readdirSync(run).sort()).toEqual(['config.json', 'figures', 'results.json']);
    expect(readdirSync(join(run, 'figures'))).toEqual([]);
    // The space taken by the failed temp files was released: as much is free as before the writes.
    expect(statfsSync(mountPoint).bavail * bsize).toBe(left);

    // Once there is room again the same write succeeds and is complete.
    rmSync(join(mountPoint, 'filler.bin'));
    writeFileAtomic(results, big);
    expect(readFileSync(results, 'utf8')).toBe(big);
    expect(readdirSync(run).sort()).toEqual(['config.json', 'figures', 'results.json']);
  });
});
