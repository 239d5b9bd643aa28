/**
 * UCI Air Quality (AirQualityUCI.csv; the .xlsx of the same archive is read by airquality_xlsx.ts): hourly averages of 5 metal-oxide sensors, weather and
 * reference gas analyser concentrations, Italy 2004–2005. ';' separated, ',' decimal mark,
 * −200 marks a missing value.
 *
 * Paper set-up: predict the 4 gas references CO(GT), C6H6(GT), NOx(GT), NO2(GT) from the 8 sensor
 * and weather signals; NMHC(GT) is dropped (about 90 % missing). Missing values are linearly
 * interpolated (constant extrapolation at the ends), dt = 1 h, segments of 800 h split 80/20 into
 * train/test as the authors, windows of 100 steps (training every 10th start, test every start).
 */
import { buildForecastSplit, checkPositiveInt, type ForecastSplit, type Segment, splitIntoSegments } from './types.js';
import { sklearnTrainTestSplit } from './numpy_split.js';
import { columnIndex, parseNumber, parseTable, readText, type SplitFractions, splitSegmentIndices } from './table.js';

export const AIR_QUALITY_INPUTS = ['PT08.S1(CO)', 'PT08.S2(NMHC)', 'PT08.S3(NOx)', 'PT08.S4(NO2)', 'PT08.S5(O3)', 'T', 'RH', 'AH'] as const;
export const AIR_QUALITY_TARGETS = ['CO(GT)', 'C6H6(GT)', 'NOx(GT)', 'NO2(GT)'] as const;

export interface AirQualityParseOptions {
  file?: string;
  inputColumns?: readonly string[];
  targetColumns?: readonly string[];
  /** Marker of a missing value (default −200). */
  missingValue?: number;
}

export interface AirQualitySeries {
  /** Contiguous hourly runs (a gap in the timestamps starts a new run). */
  runs: Segment[];
  /** Start time of each run, ms since 1970 (timestamps read as UTC); null when not known (a workbook without readable Date and Time cells). */
  runStarts: (number | null)[];
  /** Missing values filled per column, inputs then targets. */
  missing: number[];
  inputNames: string[];
  targetNames: string[];
}

const HOUR_MS = 3_600_000;

function parseTimestamp(date: string, time: string, where: string): number {
  const d = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(date);
  const t = /^(\d{1,2})[.:](\d{2})[.:](\d{2})$/.exec(time);
  if (!d) throw new Error(`${where}: cannot parse date '${date}' (expected dd/mm/yyyy)`);
  if (!t) throw new Error(`${where}: cannot parse time '${time}' (expected HH.MM.SS)`);
  return Date.UTC(Number(d[3]), Number(d[2]) - 1, Number(d[1]), Number(t[1]), Number(t[2]), Number(t[3]));
}

/** Fill missing entries (NaN) of one column of a row-major block by linear interpolation. */
function interpolateColumn(a: Float64Array, rows: number, cols: number, c: number): number {
  let missing = 0;
  let prev = -1;
  for (let r = 0; r <= rows; r++) {
    const v = r < rows ? a[r * cols + c] : Number.NaN;
    if (r < rows && Number.isNaN(v)) {
      missing++;
      continue;
    }
    if (r < rows && prev === r - 1) {
      prev = r;
      continue;
    }
    // fill the gap (prev, r)
    if (prev < 0 && r === rows) return -1; // whole column missing
    const left = prev >= 0 ? a[prev * cols + c] : a[r * cols + c];
    const right = r < rows ? a[r * cols + c] : left;
    for (let k = prev + 1; k < r; k++) {
      // linear interpolation between the valid neighbours (constant beyond the ends)
      const w = prev >= 0 && r < rows ? (k - prev) / (r - prev) : 0;
      a[k * cols + c] = left + w * (right - left);
    }
    prev = r;
  }
  return missing;
}

/** Parse AirQualityUCI.csv text into contiguous hourly runs with missing values interpolated. */
export function parseAirQuality(text: string, opts: AirQualityParseOptions = {}): AirQualitySeries {
  const file = opts.file ?? 'AirQualityUCI.csv';
  const inputNames = [...(opts.inputColumns ?? AIR_QUALITY_INPUTS)];
  const targetNames = [...(opts.targetColumns ?? AIR_QUALITY_TARGETS)];
  const missingValue = opts.missingValue ?? -200;
  const table = parseTable(text, { file, separator: ';' });
  const dateCol = columnIndex(table, 'Date', 'date');
  const timeCol = columnIndex(table, 'Time', 'time');
  const names = [...inputNames, ...targetNames];
  const cols = names.map((n, j) => columnIndex(table, n, j < inputNames.length ? 'input' : 'target'));
  const width = names.length;
  if (table.rows.length === 0) throw new Error(`${file}: no data rows`);

  // group rows into runs of consecutive hours
  const runs: { start: number; rows: number[] }[] = [];
  let last = Number.NaN;
  table.rows.forEach((row, r) => {
    const line = table.lines[r];
    const where = `${file}:${line}`;
    if (row.length <= Math.max(dateCol, timeCol, ...cols)) {
      throw new Error(`${where}: row has ${row.length} fields, expected at least ${Math.max(dateCol, timeCol, ...cols) + 1}`);
    }
    const ts = parseTimestamp(row[dateCol], row[timeCol], where);
    if (!Number.isNaN(last) && ts <= last) {
      throw new Error(`${where}: timestamp ${row[dateCol]} ${row[timeCol]} is not after the previous row's`);
    }
    if (Number.isNaN(last) || ts - last !== HOUR_MS) runs.push({ start: ts, rows: [] });
    runs[runs.length - 1].rows.push(r);
    last = ts;
  });

  const missing = new Array<number>(width).fill(0);
  const segments: Segment[] = runs.map((run) => {
    const n = run.rows.length;
    const block = new Float64Array(n * width);
    run.rows.forEach((r, k) => {
      const row = table.rows[r];
      cols.forEach((ci, j) => {
        const v = parseNumber(row[ci], ',', { file, line: table.lines[r], column: names[j] });
        block[k * width + j] = v === missingValue ? Number.NaN : v;
      });
    });
    const where = `the run of lines ${table.lines[run.rows[0]]}–${table.lines[run.rows[n - 1]]}`;
    return blockToSegment(block, n, inputNames.length, names, missing, `${file}: `, where, missingValue);
  });
  return { runs: segments, runStarts: runs.map((r) => r.start), missing, inputNames, targetNames };
}

/**
 * Interpolate the missing (NaN) entries of a row-major block [n, inputs + targets] column by column
 * (linear inside, constant beyond the ends, as pandas interpolate + bfill + ffill), count them into
 * `missing`, and split the block into a Segment.
 */
export function blockToSegment(
  block: Float64Array,
  n: number,
  m: number,
  names: readonly string[],
  missing: number[],
  prefix: string,
  where: string,
  missingValue: number,
): Segment {
  const width = names.length;
  for (let j = 0; j < width; j++) {
    const count = interpolateColumn(block, n, width, j);
    if (count < 0) throw new Error(`${prefix}column '${names[j]}' has only missing values (${missingValue}) in ${where}`);
    missing[j] += count;
  }
  const p = width - m;
  const inputs = new Float64Array(n * m);
  const targets = new Float64Array(n * p);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < m; j++) inputs[k * m + j] = block[k * width + j];
    for (let j = 0; j < p; j++) targets[k * p + j] = block[k * width + m + j];
  }
  return { length: n, inputDim: m, targetDim: p, inputs, targets };
}

export interface ForecastLoadOptions extends SplitFractions {
  /** Steps per window (T). */
  window?: number;
  /** Distance between window starts inside a segment (both splits unless overridden below). */
  stride?: number;
  /** Distance between training window starts (default `stride`). */
  trainStride?: number;
  /** Distance between test (and validation) window starts (default `stride`). */
  testStride?: number;
  /** Length of the segments that are assigned to train/val/test as a whole. */
  segmentLength?: number;
  /** Standardize with training statistics (default true). */
  standardize?: boolean;
  /**
   * 'authors' (default): scikit-learn's train_test_split(segments, test_size = testFraction (0.2),
   * random_state = dataSeed (42)) reproduced exactly, no validation split, statistics over the
   * training windows (as their dm_engine.py / dm_quality.py). 'seeded': our seeded split
   * (testFraction, valFraction, seed; indices ascending) with statistics over the training segments.
   */
  protocol?: 'authors' | 'seeded';
  /** random_state of the authors' split (default 42, their data_seed). */
  dataSeed?: number;
}

export interface AirQualityOptions extends ForecastLoadOptions, Omit<AirQualityParseOptions, 'file'> {
  /** Path of AirQualityUCI.csv. */
  path: string;
}

export type ForecastLoadResult = ForecastSplit & {
  /**
   * Indices (into the loader's list of segments) of the segments of each split: in the authors'
   * permutation order with protocol 'authors', ascending with 'seeded'.
   */
  segmentIndices: { train: Int32Array; val: Int32Array; test: Int32Array };
};

/** The authors' air-quality protocol (their configs/time_series_forecasting/quality.json, dm_quality.py). */
export const AIR_QUALITY_PROTOCOL = { segmentLength: 800, window: 100, trainStride: 10, testStride: 1 } as const;

/**
 * Load the UCI Air Quality forecasting task from AirQualityUCI.csv (synchronous; see
 * loadAirQualityFile for the .xlsx the authors read). Defaults (the authors'): segmentLength 800,
 * window 100, training windows every 10 hours, test windows every hour, their 80/20 segment split
 * (protocol 'authors', random_state 42), dt 1 (hour).
 */
export function loadAirQuality(opts: AirQualityOptions): ForecastLoadResult & { missing: number[] } {
  if (/\.xlsx$/i.test(opts.path)) {
    throw new Error(
      `${opts.path}: an .xlsx workbook is read asynchronously; use loadAirQualityFile (accepts AirQualityUCI.xlsx or AirQualityUCI.csv)`,
    );
  }
  return assembleAirQuality(parseAirQuality(readText(opts.path, 'air quality'), { ...opts, file: opts.path }), opts);
}

/** Cut the parsed series into segments and assemble the split with the authors' defaults. */
export function assembleAirQuality(parsed: AirQualitySeries, opts: AirQualityOptions): ForecastLoadResult & { missing: number[] } {
  const segmentLength = opts.segmentLength ?? AIR_QUALITY_PROTOCOL.segmentLength;
  const window = opts.window ?? AIR_QUALITY_PROTOCOL.window;
  checkPositiveInt('segmentLength', segmentLength);
  checkPositiveInt('window', window);
  if (window > segmentLength) throw new RangeError(`window (${window}) must not exceed segmentLength (${segmentLength})`);
  const segments = parsed.runs.flatMap((run) => splitIntoSegments(run, segmentLength));
  if (segments.length === 0) {
    throw new Error(`${opts.path}: no contiguous run is as long as segmentLength ${segmentLength}`);
  }
  const authors = (opts.protocol ?? 'authors') === 'authors';
  const strides = {
    trainStride: opts.trainStride ?? opts.stride ?? (authors ? AIR_QUALITY_PROTOCOL.trainStride : 1),
    testStride: opts.testStride ?? opts.stride ?? AIR_QUALITY_PROTOCOL.testStride,
  };
  return {
    ...assemble('air-quality', segments, parsed.inputNames, parsed.targetNames, 1, window, { ...opts, ...strides }),
    missing: parsed.missing,
  };
}

/** Split segments (see ForecastLoadOptions.protocol) and build the windowed, standardized data set. */
export function assemble(
  name: string,
  segments: Segment[],
  inputNames: readonly string[],
  targetNames: readonly string[],
  dt: number,
  window: number,
  opts: ForecastLoadOptions,
): ForecastLoadResult {
  const protocol = opts.protocol ?? 'authors';
  if (protocol !== 'authors' && protocol !== 'seeded')
    throw new RangeError(`protocol must be 'authors' or 'seeded', got ${JSON.stringify(protocol)}`);
  let idx: { train: Int32Array; val: Int32Array; test: Int32Array };
  if (protocol === 'authors') {
    if (opts.valFraction)
      throw new RangeError(
        `valFraction must be 0 with protocol 'authors' (their engine and air-quality code has no validation split), got ${opts.valFraction}`,
      );
    const s = sklearnTrainTestSplit(segments.length, opts.testFraction ?? 0.2, opts.dataSeed ?? 42);
    idx = { train: s.train, val: new Int32Array(0), test: s.test };
  } else {
    idx = splitSegmentIndices(segments.length, opts);
  }
  const pick = (ids: Int32Array) => Array.from(ids, (i) => segments[i]);
  const stride = opts.stride ?? 1;
  const split = buildForecastSplit({
    name,
    dt,
    inputNames,
    targetNames,
    window,
    stride,
    trainStride: opts.trainStride ?? stride,
    testStride: opts.testStride ?? stride,
    train: pick(idx.train),
    test: pick(idx.test),
    ...(idx.val.length > 0 ? { val: pick(idx.val) } : {}),
    standardize: opts.standardize ?? true,
    statistics: protocol === 'authors' ? 'windows' : 'segments',
  });
  return { ...split, segmentIndices: idx };
}
