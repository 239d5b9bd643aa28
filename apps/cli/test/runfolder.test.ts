import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirs, readJson, type WriteSyncFn, writeFileAtomic } from '../src/runfolder.js';
import { bin as cliBin, ensureBuilt } from './helpers/cli.js';

const dir = () => mkdtempSync(join(tmpdir(), 'sii-runfolder-'));

describe('writeFileAtomic', () => {
  it('continues short writes until every byte is written', () => {
    const d = dir();
    const path = join(d, 'out.bin');
    const data = new Uint8Array(200_000).map((_, i) => i % 251);
    let calls = 0;
    // At most 65,536 bytes per call, as a small filesystem or a pipe may do.
    const short: WriteSyncFn = (fd, buf, off, len) => {
      calls++;
      return writeSync(fd, buf, off, Math.min(len, 65_536));
    };
    writeFileAtomic(path, data, short);
    expect(calls).toBe(4); // ceil(200000 / 65536)
    expect(new Uint8Array(readFileSync(path))).toEqual(data);
    expect(readdirSync(d)).toEqual(['out.bin']);
  });

  it('on ENOSPC keeps the previous file, removes the temp file and names the path', () => {
    const d = dir();
    const path = join(d, 'results.json');
    writeFileSync(path, '{"old":true}\n');
    let written = 0;
    const full: WriteSyncFn = (fd, buf, off, len) => {
      if (written >= 1000) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      const n = writeSync(fd, buf, off, Math.min(len, 1000 - written));
      written += n;
      return n;
    };
    expect(() => writeFileAtomic(path, 'x'.repeat(5000), full)).toThrow(/results\.json.*ENOSPC/);
    expect(readFileSync(path, 'utf8')).toBe('{"old":true}\n');
    expect(readdirSync(d)).toEqual(['results.json']);
  });

  it('a write that makes no progress is an error, not an endless loop', () => {
    const d = dir();
    expect(() => writeFileAtomic(join(d, 'a.txt'), 'abc', () => 0)).toThrow(/a\.txt.*returned 0 after 0 of 3 bytes/);
    expect(readdirSync(d)).toEqual([]);
  });

  it('a path under a regular file fails with an error naming the path', () => {
    const d = dir();
    writeFileSync(join(d, 'file'), 'x');
    expect(() => writeFileAtomic(join(d, 'file', 'sub', 'r.json'), '{}')).toThrow(/file\/sub\/r\.json/);
  });
});

describe('readJson', () => {
  it('names the file when it is missing, empty or corrupt', () => {
    const d = dir();
    expect(() => readJson(join(d, 'none.json'))).toThrow(/none\.json: ENOENT/);
    writeFileSync(join(d, 'empty.json'), '  \n');
    expect(() => readJson(join(d, 'empty.json'))).toThrow(/empty\.json is empty/);
    writeFileSync(join(d, 'bad.json'), '{"a": ');
    expect(() => readJson(join(d, 'bad.json'))).toThrow(/bad\.json is not valid JSON/);
    writeFileSync(join(d, 'ok.json'), '{"a": [1, 2]}');
    expect(readJson(join(d, 'ok.json'))).toEqual({ a: [1, 2] });
  });
});

describe('--out where mkdir fails with ENOENT under an existing parent (found by fuzzing)', () => {
  // Node's recursive mkdirSync loops forever on /proc/<new>; the CLI must fail at once naming --out.
  it.skipIf(!existsSync('/proc/self'))('sii stability --out /proc/<new> exits 1 naming --out, no hang', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [cliBin, 'stability', '--out', '/proc/sii-no-such-dir/runs', '--progress', 'off'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot create a run folder under /proc/sii-no-such-dir/runs (--out)');
    expect(r.stderr).toContain('ENOENT');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('makeDirs creates missing levels and accepts an existing folder', () => {
    const base = mkdtempSync(join(tmpdir(), 'sii-makedirs-'));
    const deep = join(base, 'a', 'b', 'c');
    makeDirs(deep);
    makeDirs(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
  });
});
