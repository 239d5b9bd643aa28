/**
 * The authors' person-activity pipeline (their mts_forecasting/process_activity.py and
 * dm_activity.py), reproduced:
 * - lines are read in file order; a recording ends where the recording id changes, and (a quirk
 *   of theirs) the last recording of the file is never written out;
 * - per recording, the tag with the most samples (first of ankle L, ankle R, chest, belt on ties)
 *   is the reference; each of its samples becomes a row, and every tag contributes its sample with
 *   the nearest timestamp (first such sample on ties; timestamps read as float64 ticks);
 * - raw units (no standardization); inputs ankle L, ankle R, belt xyz (9), targets chest xyz (3);
 * - recordings split with scikit-learn's train_test_split(ids, test_size 0.2, random_state 42),
 *   the training ids split again 80/20 into train/validation; the test set is what they evaluate;
 * - windows of 10 rows at every start except the last one of each recording (their
 *   `indices[:-seq_len]`).
 */
import { ACTIVITY_TAGS } from './activity.js';
import type { ForecastLoadResult } from './airquality.js';
import { sklearnTrainTestSplit } from './numpy_split.js';
import { parseNumber, readText } from './table.js';
import { buildForecastSplit, checkPositiveInt, type Segment } from './types.js';

/** Their tag order (x1..z1, …, x4..z4 in their data.csv). */
export const AUTHORS_TAG_ORDER = [ACTIVITY_TAGS.ankleLeft, ACTIVITY_TAGS.ankleRight, ACTIVITY_TAGS.chest, ACTIVITY_TAGS.belt] as const;

interface TagSamples {
  t: number[];
  xyz: number[];
}

export interface AlignedRecording {
  id: string;
  /** Rows (reference-tag samples) × 12 raw coordinates: ankle L, ankle R, chest, belt xyz. */
  rows: number;
  values: Float64Array;
  /** Index into AUTHORS_TAG_ORDER of the reference tag. */
  reference: number;
}

function nearest(times: readonly number[], t: number): number {
  // numpy argmin(|times − t|): the first index of the minimum
  let best = 0;
  let bestD = Math.abs(times[0] - t);
  for (let j = 1; j < times.length; j++) {
    const d = Math.abs(times[j] - t);
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return best;
}

/** Align ConfLongDemo_JSI.txt as the authors' process_activity.py does. */
export function alignActivityAuthors(
  text: string,
  file = 'ConfLongDemo_JSI.txt',
  opts: { includeLastRecording?: boolean } = {},
): AlignedRecording[] {
  const out: AlignedRecording[] = [];
  let current: string | null = null;
  let tags = new Map<string, TagSamples>();
  const flush = () => {
    if (current === null) return;
    const arrays = AUTHORS_TAG_ORDER.map((tag) => tags.get(tag) ?? { t: [], xyz: [] });
    const emptyTag = AUTHORS_TAG_ORDER.find((_, i) => arrays[i].t.length === 0);
    if (emptyTag)
      throw new Error(`${file}: recording ${current} has no samples of tag ${emptyTag} (the authors' alignment needs all four tags)`);
    let reference = 0;
    arrays.forEach((a, i) => {
      if (a.t.length > arrays[reference].t.length) reference = i;
    });
    const ref = arrays[reference];
    const rows = ref.t.length;
    const values = new Float64Array(rows * 12);
    for (let r = 0; r < rows; r++) {
      arrays.forEach((a, i) => {
        const j = nearest(a.t, ref.t[r]);
        for (let c = 0; c < 3; c++) values[r * 12 + 3 * i + c] = a.xyz[3 * j + c];
      });
    }
    out.push({ id: current, rows, values, reference });
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((lineText, i) => {
    if (lineText.trim() === '') return;
    const line = i + 1;
    const f = lineText.split(',');
    if (f.length !== 8)
      throw new Error(
        `${file}:${line}: expected 8 comma-separated fields (recording, tag, ticks, date, x, y, z, activity), got ${f.length}`,
      );
    const id = f[0].trim();
    const tag = f[1].trim();
    const ticks = f[2].trim();
    if (!/^\d+(\.\d*)?$/.test(ticks)) throw new Error(`${file}:${line}: cannot parse timestamp '${ticks}'`);
    if (current !== null && id !== current) {
      flush();
      tags = new Map();
    }
    current = id;
    let s = tags.get(tag);
    if (!s) {
      s = { t: [], xyz: [] };
      tags.set(tag, s);
    }
    const where = (column: string) => ({ file, line, column });
    // float(ticks) in Python and Number() both round to the nearest double
    const tNumber = Number(ticks);
    if (!Number.isFinite(tNumber))
      throw new Error(`${file}:${line}: timestamp '${ticks.slice(0, 40)}' is beyond the range of finite numbers`);
    s.t.push(tNumber);
    s.xyz.push(
      parseNumber(f[4].trim(), '.', where('x')),
      parseNumber(f[5].trim(), '.', where('y')),
      parseNumber(f[6].trim(), '.', where('z')),
    );
  });
  if (current === null) throw new Error(`${file}: no data lines`);
  if (opts.includeLastRecording) flush();
  if (out.length === 0)
    throw new Error(
      `${file}: only one recording (${current}); the authors' pipeline drops the file's last recording (includeLastRecording keeps it)`,
    );
  return out;
}

export interface ActivityAuthorsOptions {
  /** Path of ConfLongDemo_JSI.txt. */
  path: string;
  /** Window length (their sequence_len, default 10). */
  window?: number;
  /** random_state of both splits (their data_seed, default 42). */
  dataSeed?: number;
  /** Keep the file's last recording, which their code drops (default false). */
  includeLastRecording?: boolean;
  /** Sample time (their 0.02 s). */
  dt?: number;
}

const INPUT_COLS = [0, 1, 2, 3, 4, 5, 9, 10, 11];
const TARGET_COLS = [6, 7, 8];

/** The authors' activity task: train / validation / test by recording, raw units, windows of 10. */
export function loadActivityAuthors(
  opts: ActivityAuthorsOptions,
): ForecastLoadResult & { ids: { train: string[]; val: string[]; test: string[] } } {
  const window = opts.window ?? 10;
  checkPositiveInt('window', window);
  const recs = alignActivityAuthors(readText(opts.path, 'person activity'), opts.path, opts);
  const seed = opts.dataSeed ?? 42;
  const first = sklearnTrainTestSplit(recs.length, 0.2, seed);
  const second = sklearnTrainTestSplit(first.train.length, 0.2, seed);
  const idx = { train: second.train.map((i) => first.train[i]), val: second.test.map((i) => first.train[i]), test: first.test };
  // Their starts are the recording's rows but the last `window` ones: cut windows from the
  // recording without its last row.
  const segment = (r: AlignedRecording): Segment => {
    const n = Math.max(0, r.rows - 1);
    const inputs = new Float64Array(n * 9);
    const targets = new Float64Array(n * 3);
    for (let k = 0; k < n; k++) {
      INPUT_COLS.forEach((c, j) => {
        inputs[k * 9 + j] = r.values[k * 12 + c];
      });
      TARGET_COLS.forEach((c, j) => {
        targets[k * 3 + j] = r.values[k * 12 + c];
      });
    }
    return { length: n, inputDim: 9, targetDim: 3, inputs, targets };
  };
  const pick = (a: Int32Array) => Array.from(a, (i) => segment(recs[i]));
  const names = (tags: string[]) => tags.flatMap((t) => ['x', 'y', 'z'].map((c) => `${t}.${c}`));
  const split = buildForecastSplit({
    name: 'person-activity',
    dt: opts.dt ?? 0.02,
    inputNames: names(['ankleLeft', 'ankleRight', 'belt']),
    targetNames: names(['chest']),
    window,
    stride: 1,
    train: pick(idx.train),
    val: pick(idx.val),
    test: pick(idx.test),
    standardize: false,
  });
  const ids = (a: Int32Array) => Array.from(a, (i) => recs[i].id);
  return { ...split, segmentIndices: idx, ids: { train: ids(idx.train), val: ids(idx.val), test: ids(idx.test) } };
}
