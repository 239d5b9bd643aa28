/**
 * Run folders: `<out>/<command>-<timestamp>/` holding the configuration, JSON results, SVG figures
 * and the HTML report. Every file is written atomically (temporary file in the same folder, then
 * rename), so a killed run never leaves a half-written result behind.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Write `content` to `path` atomically: temp file + fsync + rename. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

/** JSON.stringify replacer: typed arrays as plain arrays, non-finite numbers as strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** UTC timestamp `YYYYMMDD-HHMMSS`. */
export function timestamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}${p(
    date.getUTCMinutes(),
  )}${p(date.getUTCSeconds())}`;
}

/** Create a fresh run folder `<base>/<command>-<timestamp>[-k]` and return its absolute path. */
export function createRunDir(base: string, command: string, date = new Date()): string {
  const root = resolve(base);
  mkdirSync(root, { recursive: true });
  const stem = `${command}-${timestamp(date)}`;
  for (let k = 1; ; k++) {
    const dir = join(root, k === 1 ? stem : `${stem}-${k}`);
    if (existsSync(dir)) continue;
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Names of the files a run folder holds (documented in the README). */
export const RUN_FILES = {
  config: 'config.json',
  results: 'results.json',
  lines: 'results.jsonl',
  report: 'report.html',
  status: 'status.json',
  figures: 'figures',
  teachers: 'teachers',
} as const;
