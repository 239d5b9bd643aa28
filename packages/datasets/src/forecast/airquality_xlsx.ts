/**
 * AirQualityUCI.xlsx, the workbook the authors read (pandas.read_excel in their
 * mts_forecasting/process_quality.py), read with exceljs. The first worksheet's first non-empty row
 * is the header; the named columns are read as numbers, −200 marks a missing value. As the authors,
 * the rows form one series (Date and Time are not read) and missing values are interpolated over it.
 */
import type ExcelJS from 'exceljs';
import {
  AIR_QUALITY_INPUTS,
  AIR_QUALITY_TARGETS,
  type AirQualityOptions,
  type AirQualitySeries,
  assembleAirQuality,
  blockToSegment,
  loadAirQuality,
} from './airquality.js';
import type { ForecastLoadResult } from './airquality.js';
import { readFileBounded } from '../files.js';
import { MAX_TABLE_BYTES, strictDecimal } from './table.js';

type CellValue = ExcelJS.CellValue;

/** A cell's number: plain numbers, formula results and numeric text; null for an empty cell. */
function cellNumber(v: CellValue, where: string): number | null {
  if (v === null || v === undefined || v === '') return null;
  const finite = (x: number) => {
    if (!Number.isFinite(x)) throw new Error(`${where}: ${x} is not a finite number`);
    return x;
  };
  if (typeof v === 'number') return finite(v);
  if (typeof v === 'string') {
    const x = strictDecimal(v.trim(), ',');
    if (x === 'syntax') throw new Error(`${where}: cannot read '${v.length > 60 ? `${v.slice(0, 60)}…` : v}' as a number`);
    if (x === 'range') throw new Error(`${where}: '${v.trim()}' is beyond the range of finite numbers`);
    return x;
  }
  if (typeof v === 'object' && 'result' in v && typeof v.result === 'number') return finite(v.result);
  throw new Error(`${where}: cannot read ${JSON.stringify(v)} as a number`);
}

/**
 * ms since 1970 (UTC) of a row's Date cell (a date) and Time cell (a time of day: a Date on 1899-12-30
 * as Excel stores times, or text 'HH:MM:SS' / 'HH.MM.SS'); null when either cannot be read.
 */
function startTime(date: CellValue | undefined, time: CellValue | undefined): number | null {
  if (!(date instanceof Date) || !Number.isFinite(date.getTime())) return null;
  let ms: number | null = null;
  if (time instanceof Date && Number.isFinite(time.getTime()))
    ms = time.getTime() - Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate());
  else if (typeof time === 'string') {
    const t = /^(\d{1,2})[.:](\d{2})[.:](\d{2})$/.exec(time.trim());
    if (t) ms = ((Number(t[1]) * 60 + Number(t[2])) * 60 + Number(t[3])) * 1000;
  }
  if (ms === null) return null;
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return Number.isFinite(day + ms) ? day + ms : null;
}

function cellText(v: CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object' && 'richText' in v)
    return v.richText
      .map((r) => r.text)
      .join('')
      .trim();
  return String(v).trim();
}

/** exceljs is an optional peer dependency (a large install): only the Air Quality workbook needs it. */
async function loadExcelJs(): Promise<typeof ExcelJS> {
  try {
    return (await import('exceljs')).default;
  } catch {
    throw new Error('Air Quality .xlsx needs the optional package "exceljs": install it (npm install exceljs)');
  }
}

/** Read the workbook into one series with the named columns (missing values interpolated). */
export async function readAirQualityXlsx(
  path: string,
  opts: { inputColumns?: readonly string[]; targetColumns?: readonly string[]; missingValue?: number } = {},
): Promise<AirQualitySeries> {
  const inputNames = [...(opts.inputColumns ?? AIR_QUALITY_INPUTS)];
  const targetNames = [...(opts.targetColumns ?? AIR_QUALITY_TARGETS)];
  const missingValue = opts.missingValue ?? -200;
  const wb = new (await loadExcelJs()).Workbook();
  try {
    await wb.xlsx.load(readFileBounded(path, MAX_TABLE_BYTES, 'workbook') as unknown as ArrayBuffer);
  } catch (e) {
    throw new Error(`air quality: cannot read ${path} as an .xlsx workbook: ${(e as Error).message}`);
  }
  const ws = wb.worksheets[0];
  if (!ws) throw new Error(`${path}: the workbook has no worksheet`);
  const rows: { number: number; values: CellValue[] }[] = [];
  ws.eachRow({ includeEmpty: false }, (row, number) => {
    rows.push({ number, values: row.values as CellValue[] });
  });
  const headerRow = rows.shift();
  if (!headerRow) throw new Error(`${path}: the first worksheet is empty`);
  const header = headerRow.values.map(cellText); // exceljs rows are 1-based: header[0] is empty
  const names = [...inputNames, ...targetNames];
  const cols = names.map((name, j) => {
    let c = header.indexOf(name);
    if (c < 0) {
      const lower = name.toLowerCase();
      const matches = header.flatMap((h, i) => (h.toLowerCase() === lower ? [i] : []));
      if (matches.length === 1) c = matches[0];
    }
    if (c < 0) {
      const role = j < inputNames.length ? 'input' : 'target';
      throw new Error(
        `${path}: ${role} column '${name}' not found in the header (row ${headerRow.number}); columns: ${header.filter((h) => h !== '').join(', ')}`,
      );
    }
    return c;
  });
  // Rows whose named cells are all empty (trailing blank rows) are skipped.
  const data: number[][] = [];
  let firstDataRow: number | undefined;
  for (const row of rows) {
    const vals = cols.map((c, j) => cellNumber(row.values[c], `${path}: row ${row.number}, column '${names[j]}'`));
    if (vals.every((v) => v === null)) continue;
    firstDataRow ??= row.number;
    const empty = vals.indexOf(null);
    if (empty >= 0) throw new Error(`${path}: row ${row.number}, column '${names[empty]}' is empty`);
    data.push(vals as number[]);
  }
  if (data.length === 0) throw new Error(`${path}: no data rows`);
  const width = names.length;
  const block = new Float64Array(data.length * width);
  data.forEach((vals, k) => {
    vals.forEach((v, j) => {
      block[k * width + j] = v === missingValue ? Number.NaN : v;
    });
  });
  const missing = new Array<number>(width).fill(0);
  const run = blockToSegment(block, data.length, inputNames.length, names, missing, `${path}: `, 'the worksheet', missingValue);
  const first = rows.find((r) => r.number === firstDataRow);
  const start = first ? startTime(first.values[header.indexOf('Date')], first.values[header.indexOf('Time')]) : null;
  return { runs: [run], runStarts: [start], missing, inputNames, targetNames };
}

/**
 * Load the air-quality task from AirQualityUCI.xlsx (as the authors) or AirQualityUCI.csv, chosen by
 * the file extension; same options and defaults as loadAirQuality.
 */
export async function loadAirQualityFile(opts: AirQualityOptions): Promise<ForecastLoadResult & { missing: number[] }> {
  if (/\.xlsx$/i.test(opts.path)) return assembleAirQuality(await readAirQualityXlsx(opts.path, opts), opts);
  if (/\.(csv|txt)$/i.test(opts.path)) return loadAirQuality(opts);
  throw new Error(`air quality: ${opts.path} must be AirQualityUCI.xlsx or AirQualityUCI.csv (extension .xlsx or .csv)`);
}
