/** Small strict reader for delimited text tables (CSV-like), with line numbers for errors. */
import { Rng } from '@sii/linalg';
import { readFileBounded } from '../files.js';

export interface TextTable {
  file: string;
  header: string[];
  /** 1-based line number of the header row. */
  headerLine: number;
  /** Data rows as raw fields. */
  rows: string[][];
  /** 1-based line number in the file of each row. */
  lines: Int32Array;
}

export interface ParseTableOptions {
  file?: string;
  separator?: string;
}

/** Largest data table read (bytes): 512 MiB, a hundred times the largest of the paper's files. */
export const MAX_TABLE_BYTES = 512 * 1024 * 1024;

/** Read a text file (at most `maxBytes`), with an error naming the file when it cannot be read. */
export function readText(path: string, what: string, maxBytes = MAX_TABLE_BYTES): string {
  try {
    return readFileBounded(path, maxBytes, 'file').toString('utf8');
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/**
 * Split text into a header row and data rows. Blank lines, and lines made only of separators
 * (as at the end of AirQualityUCI.csv), are skipped. Fields are trimmed; double quotes around a
 * field are removed (no embedded separators are supported).
 */
export function parseTable(text: string, opts: ParseTableOptions = {}): TextTable {
  const file = opts.file ?? '<text>';
  const sep = opts.separator ?? ',';
  const all = text.split(/\r?\n/);
  let h = 0;
  while (h < all.length && isBlank(all[h], sep)) h++;
  if (h === all.length) throw new Error(`${file}: no header row (the file is empty)`);
  const header = all[h]
    .replace(/^\uFEFF/, '')
    .split(sep)
    .map(unquote);
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = h + 1; i < all.length; i++) {
    if (isBlank(all[i], sep)) continue;
    rows.push(all[i].split(sep).map(unquote));
    lines.push(i + 1);
  }
  return { file, header, headerLine: h + 1, rows, lines: Int32Array.from(lines) };
}

function isBlank(line: string, sep: string): boolean {
  for (const ch of line) if (ch !== sep && ch !== ' ' && ch !== '\t' && ch !== '\r') return false;
  return true;
}

/**
 * Index of a named column: exact match, else a unique case-insensitive match; otherwise an error
 * listing the available columns.
 */
export function columnIndex(table: TextTable, name: string, role: string): number {
  const exact = table.header.indexOf(name);
  if (exact >= 0) return exact;
  const lower = name.toLowerCase();
  const matches = table.header.flatMap((h, i) => (h.toLowerCase() === lower ? [i] : []));
  if (matches.length === 1) return matches[0];
  const available = table.header.filter((h) => h !== '').join(', ');
  throw new Error(`${table.file}: ${role} column '${name}' not found in the header (line ${table.headerLine}); columns: ${available}`);
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The number written in `field` in plain decimal notation ('.' or ',' as the decimal mark, an
 * optional exponent): 'syntax' when it is not one ('', '0x10', 'NaN', 'Infinity', '1,5' with '.'),
 * 'range' when it overflows a double ('1e999'). The one rule of the table and workbook loaders.
 */
export function strictDecimal(field: string, decimal: '.' | ','): number | 'syntax' | 'range' {
  const s = decimal === ',' ? field.replace(',', '.') : field;
  if (!NUMBER.test(s)) return 'syntax';
  const x = Number(s);
  return Number.isFinite(x) ? x : 'range';
}

/** Strict, finite number parsing ('.' or ',' as decimal mark); errors give file, line and column. */
export function parseNumber(field: string, decimal: '.' | ',', where: { file: string; line: number; column: string }): number {
  const x = strictDecimal(field, decimal);
  if (x === 'syntax') throw new Error(`${where.file}:${where.line}: cannot parse '${cut(field)}' as a number in column '${where.column}'`);
  if (x === 'range')
    throw new Error(`${where.file}:${where.line}: '${cut(field)}' in column '${where.column}' is beyond the range of finite numbers`);
  return x;
}

function cut(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** Read numeric columns of a table into a row-major Float64Array [rows, names.length]. */
export function numericColumns(table: TextTable, names: readonly string[], role: string, decimal: '.' | ',' = '.'): Float64Array {
  const idx = names.map((n) => columnIndex(table, n, role));
  const out = new Float64Array(table.rows.length * names.length);
  table.rows.forEach((row, r) => {
    idx.forEach((ci, j) => {
      const line = table.lines[r];
      if (ci >= row.length) {
        throw new Error(`${table.file}:${line}: row has ${row.length} fields, column '${names[j]}' is field ${ci + 1}`);
      }
      out[r * names.length + j] = parseNumber(row[ci], decimal, { file: table.file, line, column: names[j] });
    });
  });
  return out;
}

export interface SplitFractions {
  /** Share of segments for testing (default 0.2). */
  testFraction?: number;
  /** Share of segments for validation (default 0). */
  valFraction?: number;
  seed?: number | string;
}

/**
 * Seeded split of `count` segments into train/val/test index lists (each ascending):
 * order = Rng(seed).fork('split').permutation(count); the first round(test·count) go to test, the
 * next round(val·count) to validation, the rest to training (a non-zero share gets at least one).
 */
export function splitSegmentIndices(count: number, opts: SplitFractions = {}): { train: Int32Array; val: Int32Array; test: Int32Array } {
  const test = opts.testFraction ?? 0.2;
  const val = opts.valFraction ?? 0;
  if (!(test >= 0 && test < 1)) throw new RangeError(`testFraction must be in [0, 1), got ${test}`);
  if (!(val >= 0 && val < 1)) throw new RangeError(`valFraction must be in [0, 1), got ${val}`);
  const nTest = test > 0 ? Math.max(1, Math.round(test * count)) : 0;
  const nVal = val > 0 ? Math.max(1, Math.round(val * count)) : 0;
  if (count - nTest - nVal < 1) {
    throw new RangeError(
      `cannot split ${count} segments into ${nTest} test + ${nVal} validation + at least 1 training segment; use more data or shorter segments`,
    );
  }
  const order = new Rng(opts.seed ?? 0).fork('split').permutation(count);
  return {
    test: order.slice(0, nTest).sort(),
    val: order.slice(nTest, nTest + nVal).sort(),
    train: order.slice(nTest + nVal).sort(),
  };
}
