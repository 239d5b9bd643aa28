/**
 * Poles from a file for `sii stability --poles`: JSON (an array of numbers, [re, im] pairs or
 * {re, im} objects) or plain text with one pole per line as "re im" or "re" (blank lines and
 * lines starting with # are skipped).
 */
import { readFileSync, statSync } from 'node:fs';
import { decimalOrNull } from './numbers.js';

export interface Pole {
  re: number;
  im: number;
}

function toPole(v: unknown, where: string): Pole {
  if (typeof v === 'number') return { re: v, im: 0 };
  if (Array.isArray(v) && (v.length === 1 || v.length === 2) && v.every((x) => typeof x === 'number')) {
    return { re: v[0], im: v[1] ?? 0 };
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== 're' && k !== 'im');
    // im may be left out (a real pole), but what is given must be a number: {"im": "2"} is an error, not 0.
    if (typeof o.re === 'number' && (o.im === undefined || typeof o.im === 'number') && extra.length === 0) {
      return { re: o.re, im: o.im ?? 0 };
    }
  }
  const text = JSON.stringify(v) ?? String(v);
  throw new TypeError(
    `${where}: expected a number, [re, im] or {re, im} with numbers, got ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`,
  );
}

export function parsePoles(text: string, source = 'poles'): Pole[] {
  const trimmed = text.trim();
  let poles: Pole[];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (e) {
      throw new TypeError(`${source}: invalid JSON (${(e as Error).message})`);
    }
    if (data && !Array.isArray(data) && typeof data === 'object' && Array.isArray((data as { poles?: unknown }).poles)) {
      data = (data as { poles: unknown[] }).poles;
    }
    if (!Array.isArray(data)) throw new TypeError(`${source}: expected a JSON array of poles`);
    poles = data.map((v, i) => toPole(v, `${source}[${i}]`));
  } else {
    poles = [];
    trimmed.split(/\r?\n/).forEach((line, i) => {
      const l = line.trim();
      if (l === '' || l.startsWith('#')) return;
      // "re im", "re,im", "re, im" or "re": one separator (blanks and at most one comma), decimal numbers only.
      const parts = l.split(/\s*,\s*|\s+/).map(decimalOrNull);
      if (parts.length > 2 || parts.some((x) => x === null)) {
        throw new TypeError(`${source}:${i + 1}: expected "re im" or "re" (decimal numbers), got "${l}"`);
      }
      poles.push({ re: parts[0] as number, im: (parts[1] as number | undefined) ?? 0 });
    });
  }
  poles.forEach((p, i) => {
    if (!Number.isFinite(p.re) || !Number.isFinite(p.im))
      throw new RangeError(`${source}[${i}]: pole must be finite, got ${p.re}, ${p.im}`);
  });
  if (poles.length === 0) throw new RangeError(`${source}: no poles found`);
  return poles;
}

/** Largest poles file read (bytes): 16 MiB, about a million poles. */
export const MAX_POLES_FILE_BYTES = 16 * 1024 * 1024;

export function readPolesFile(path: string): Pole[] {
  let text: string;
  try {
    const { size } = statSync(path);
    if (size > MAX_POLES_FILE_BYTES) {
      throw new RangeError(`--poles: ${path} has ${size} bytes, more than the limit of ${MAX_POLES_FILE_BYTES} for a poles file`);
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof RangeError) throw e;
    throw new Error(`--poles: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parsePoles(text, path);
}
