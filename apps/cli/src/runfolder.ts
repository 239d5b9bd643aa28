/**
 * Run folders: `<out>/<command>-<timestamp>/` holding the configuration, JSON results, SVG figures
 * and the HTML report. Every file is written atomically (temporary file in the same folder, then
 * rename), so a killed run never leaves a half-written result behind.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * `mkdir -p` one level at a time. Node's `mkdirSync(path, { recursive: true })` never returns when
 * mkdir fails with ENOENT under an existing parent (e.g. anything under /proc); a plain mkdir throws.
 */
export function makeDirs(path: string): void {
  if (existsSync(path)) return;
  const parent = dirname(path);
  if (parent !== path) makeDirs(parent);
  try {
    mkdirSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/** The one system call writeFileAtomic needs to be replaceable by tests (short writes, ENOSPC). */
export type WriteSyncFn = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

/**
 * Write `content` to `path` atomically: temp file in the same folder, every byte written (short
 * writes are continued), fsync, then rename. On any failure the temp file is removed, the previous
 * file at `path` (if any) is left untouched, and the error names `path`.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, write: WriteSyncFn = writeSync): void {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let fd: number | undefined;
  try {
    makeDirs(dirname(path));
    fd = openSync(tmp, 'w');
    let offset = 0;
    while (offset < bytes.length) {
      const n = write(fd, bytes, offset, bytes.length - offset);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`write returned ${n} after ${offset} of ${bytes.length} bytes`);
      offset += n;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing: the original error is the one to report
      }
    }
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    const reason = err.code ? `${err.code}: ${err.message}` : err.message;
    throw new Error(`could not write ${path} (${bytes.length} bytes): ${reason}`, { cause: e });
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

/** Parse a JSON file; errors (missing, unreadable, corrupt, empty) name the file. */
export function readJson<T = unknown>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`cannot read ${path}: ${err.code ?? err.message}`, { cause: e });
  }
  if (text.trim() === '') throw new Error(`${path} is empty (expected JSON)`);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
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
  const fail = (e: unknown): never => {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`cannot create a run folder under ${root} (--out): ${err.message}`, { cause: e });
  };
  if (existsSync(root) && !statSync(root).isDirectory()) fail(new Error(`${root} is not a directory`));
  try {
    makeDirs(root);
  } catch (e) {
    fail(e);
  }
  const stem = `${command}-${timestamp(date)}`;
  for (let k = 1; ; k++) {
    const dir = join(root, k === 1 ? stem : `${stem}-${k}`);
    if (existsSync(dir)) continue;
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') fail(e);
    }
  }
}

/** Names of the files a run folder holds (documented in the README). */
export const RUN_FILES = {
  config: 'config.json',
  results: 'results.json',
  /** Wall times and elapsed time (results.json holds only what the seed fixes). */
  timings: 'timings.json',
  lines: 'results.jsonl',
  report: 'report.html',
  status: 'status.json',
  figures: 'figures',
  teachers: 'teachers',
} as const;
