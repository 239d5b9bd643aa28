/**
 * UCI "Localization Data for Person Activity" (ConfLongDemo_JSI.txt): 25 recordings (A01 … E05) of
 * four UWB tags. Each line: recording, tag id, timestamp (.NET ticks of 100 ns), date string, x, y, z,
 * activity, e.g.
 *   A01,010-000-024-033,633790226051280329,27.05.2009 14:03:25:127,4.06,1.89,0.50,walking
 *
 * Paper set-up: predict the chest tag's xyz (3 targets) from the ankle and belt tags' xyz (9 inputs),
 * dt = 0.02 s. loadActivityAuthors (activity_authors.ts) reproduces the authors' pipeline; the variant
 * here is ours: each recording's tags are resampled onto one common timeline (from the latest
 * first sample to the earliest last sample of the tags, step dt) by linear interpolation; whole
 * recordings are split 60/20/20 into train/val/test with a seed, windows of 10 steps at every start.
 */
import { checkPositiveInt, type Segment } from './types.js';
import { assemble, type ForecastLoadOptions, type ForecastLoadResult } from './airquality.js';
import { parseNumber, readText } from './table.js';

export const ACTIVITY_TAGS = {
  ankleLeft: '010-000-024-033',
  ankleRight: '010-000-030-096',
  chest: '020-000-033-111',
  belt: '020-000-032-221',
} as const;

/** Default inputs: ankle left, ankle right, belt; target: chest. */
export const ACTIVITY_INPUT_TAGS = [ACTIVITY_TAGS.ankleLeft, ACTIVITY_TAGS.ankleRight, ACTIVITY_TAGS.belt] as const;
export const ACTIVITY_TARGET_TAGS = [ACTIVITY_TAGS.chest] as const;

/** Samples of one tag in one recording: times in seconds from the recording's first sample. */
export interface TagTrack {
  t: Float64Array;
  /** [samples, 3] row-major x, y, z. */
  xyz: Float64Array;
  /** Samples dropped because their timestamp repeated an earlier one. */
  duplicates: number;
}

export interface ActivityRecording {
  id: string;
  tags: Map<string, TagTrack>;
}

/** Largest .NET tick count (2^63 − 1). */
const MAX_TICKS = 9223372036854775807n;

/** Parse ConfLongDemo_JSI.txt text into recordings (in order of first appearance). */
export function parseActivity(text: string, file = 'ConfLongDemo_JSI.txt'): ActivityRecording[] {
  type Raw = { ticks: bigint; x: number; y: number; z: number; order: number }[];
  const byRec = new Map<string, Map<string, Raw>>();
  const lines = text.split(/\r?\n/);
  let count = 0;
  lines.forEach((lineText, i) => {
    if (lineText.trim() === '') return;
    const line = i + 1;
    const f = lineText.split(',').map((s) => s.trim());
    if (f.length !== 8) {
      throw new Error(
        `${file}:${line}: expected 8 comma-separated fields (recording, tag, ticks, date, x, y, z, activity), got ${f.length}`,
      );
    }
    const [rec, tag, tickText] = f as [string, string, string];
    if (!/^\d{3}-\d{3}-\d{3}-\d{3}$/.test(tag)) throw new Error(`${file}:${line}: malformed tag id '${tag}'`);
    if (!/^\d+$/.test(tickText)) throw new Error(`${file}:${line}: cannot parse timestamp '${tickText.slice(0, 40)}' (integer ticks)`);
    // .NET ticks are 64-bit: a longer number is not a timestamp (and would overflow the seconds)
    if (tickText.length > 19 || BigInt(tickText) > MAX_TICKS)
      throw new Error(`${file}:${line}: timestamp '${tickText.slice(0, 40)}' exceeds the largest .NET tick count ${MAX_TICKS}`);
    const where = (column: string) => ({ file, line, column });
    const x = parseNumber(f[4], '.', where('x'));
    const y = parseNumber(f[5], '.', where('y'));
    const z = parseNumber(f[6], '.', where('z'));
    let tags = byRec.get(rec);
    if (!tags) {
      tags = new Map();
      byRec.set(rec, tags);
    }
    let raw = tags.get(tag);
    if (!raw) {
      raw = [];
      tags.set(tag, raw);
    }
    // ticks exceed 2^53: keep them exact as bigint until made relative
    raw.push({ ticks: BigInt(tickText), x, y, z, order: count++ });
  });
  if (byRec.size === 0) throw new Error(`${file}: no data lines`);
  const out: ActivityRecording[] = [];
  for (const [id, tags] of byRec) {
    let t0: bigint | null = null;
    for (const raw of tags.values()) for (const s of raw) if (t0 === null || s.ticks < t0) t0 = s.ticks;
    const tracks = new Map<string, TagTrack>();
    for (const [tag, raw] of tags) {
      raw.sort((a, b) => (a.ticks < b.ticks ? -1 : a.ticks > b.ticks ? 1 : a.order - b.order));
      const t: number[] = [];
      const xyz: number[] = [];
      let duplicates = 0;
      let prev: bigint | null = null;
      for (const s of raw) {
        if (prev !== null && s.ticks === prev) {
          duplicates++;
          continue;
        }
        prev = s.ticks;
        t.push(Number(s.ticks - (t0 as bigint)) * 1e-7);
        xyz.push(s.x, s.y, s.z);
      }
      tracks.set(tag, { t: Float64Array.from(t), xyz: Float64Array.from(xyz), duplicates });
    }
    out.push({ id, tags: tracks });
  }
  return out;
}

/** Linear interpolation of a track's xyz at times `grid` (inside the track's time span). */
function interpolateTrack(track: TagTrack, grid: Float64Array, out: Float64Array, stride: number, offset: number): void {
  const { t, xyz } = track;
  let j = 0;
  for (let k = 0; k < grid.length; k++) {
    const tk = grid[k];
    while (j < t.length - 2 && t[j + 1] < tk) j++;
    const w = t.length === 1 ? 0 : Math.min(1, Math.max(0, (tk - t[j]) / (t[j + 1] - t[j])));
    const nb = t.length === 1 ? j : j + 1;
    for (let c = 0; c < 3; c++) {
      out[k * stride + offset + c] = xyz[3 * j + c] + w * (xyz[3 * nb + c] - xyz[3 * j + c]);
    }
  }
}

/**
 * Most resampled time steps over all recordings: 2^22 (4,194,304; about 23 h of recordings at the
 * default dt = 0.02 s, sixteen times the whole UCI file; 400 MB of float64 for its 12 channels).
 * Timestamps that jump by days would otherwise ask for gigabytes of grid.
 */
export const MAX_ACTIVITY_STEPS = 2 ** 22;

export interface ResampleOptions {
  /** The file the recordings came from (named in errors). */
  file?: string;
  dt?: number;
  inputTags?: readonly string[];
  targetTags?: readonly string[];
}

export interface ResampledActivity {
  segments: Segment[];
  /** Recording id of each segment. */
  ids: string[];
  /** Recordings left out, with the reason. */
  skipped: { id: string; reason: string }[];
}

/**
 * Resample each recording onto t = t0 + k·dt, t0 = latest first sample over the used tags, up to
 * the earliest last sample; inputs are the input tags' xyz in order, targets the target tags' xyz.
 */
export function resampleActivity(recordings: readonly ActivityRecording[], opts: ResampleOptions = {}): ResampledActivity {
  const dt = opts.dt ?? 0.02;
  const file = opts.file ?? 'resampleActivity';
  if (!(dt > 0) || !Number.isFinite(dt)) throw new RangeError(`${file}: dt must be a finite number > 0, got ${dt}`);
  const inputTags = opts.inputTags ?? ACTIVITY_INPUT_TAGS;
  const targetTags = opts.targetTags ?? ACTIVITY_TARGET_TAGS;
  if (inputTags.length === 0 || targetTags.length === 0) throw new RangeError('inputTags and targetTags must not be empty');
  const used = [...inputTags, ...targetTags];
  const segments: Segment[] = [];
  const ids: string[] = [];
  const skipped: { id: string; reason: string }[] = [];
  let total = 0;
  for (const rec of recordings) {
    const missing = used.filter((tag) => !rec.tags.has(tag));
    if (missing.length > 0) {
      skipped.push({ id: rec.id, reason: `no samples of tag(s) ${missing.join(', ')}` });
      continue;
    }
    const tracks = used.map((tag) => rec.tags.get(tag) as TagTrack);
    const t0 = Math.max(...tracks.map((tr) => tr.t[0]));
    const t1 = Math.min(...tracks.map((tr) => tr.t[tr.t.length - 1]));
    // 1e-9 tolerance so that round-off does not drop the last grid point
    const steps = t1 >= t0 ? Math.floor((t1 - t0) / dt + 1e-9) + 1 : 0;
    if (steps < 2) {
      skipped.push({ id: rec.id, reason: `the tags overlap for less than ${2 * dt} s` });
      continue;
    }
    total += steps;
    if (total > MAX_ACTIVITY_STEPS) {
      throw new RangeError(
        `${file}: recording ${rec.id} spans ${t1 - t0} s: ${steps} steps of dt = ${dt} s bring the resampled total to ${total}, above the limit of ${MAX_ACTIVITY_STEPS} (timestamps out of order or far apart?)`,
      );
    }
    const grid = new Float64Array(steps);
    for (let k = 0; k < steps; k++) grid[k] = t0 + k * dt;
    const m = 3 * inputTags.length;
    const p = 3 * targetTags.length;
    const inputs = new Float64Array(steps * m);
    const targets = new Float64Array(steps * p);
    tracks.forEach((tr, i) => {
      if (i < inputTags.length) interpolateTrack(tr, grid, inputs, m, 3 * i);
      else interpolateTrack(tr, grid, targets, p, 3 * (i - inputTags.length));
    });
    segments.push({ length: steps, inputDim: m, targetDim: p, inputs, targets });
    ids.push(rec.id);
  }
  return { segments, ids, skipped };
}

/** Channel names of the tags: '<tag>.x', '<tag>.y', '<tag>.z'. */
export function tagChannelNames(tags: readonly string[]): string[] {
  const label = new Map<string, string>(Object.entries(ACTIVITY_TAGS).map(([k, v]) => [v, k]));
  return tags.flatMap((tag) => ['x', 'y', 'z'].map((c) => `${label.get(tag) ?? tag}.${c}`));
}

export interface ActivityOptions extends Omit<ForecastLoadOptions, 'segmentLength'>, ResampleOptions {
  /** Path of ConfLongDemo_JSI.txt. */
  path: string;
}

/**
 * Load the person-activity task with linear-interpolation resampling and a seeded split (our
 * variant; the authors' pipeline is loadActivityAuthors in activity_authors.ts). Defaults: dt 0.02 s, window 10, stride 1,
 * testFraction 0.2, valFraction 0.2, seed 0; whole recordings are split.
 */
export function loadActivity(
  opts: ActivityOptions,
): ForecastLoadResult & { ids: { train: string[]; val: string[]; test: string[] }; skipped: ResampledActivity['skipped'] } {
  const window = opts.window ?? 10;
  checkPositiveInt('window', window);
  const dt = opts.dt ?? 0.02;
  const inputTags = opts.inputTags ?? ACTIVITY_INPUT_TAGS;
  const targetTags = opts.targetTags ?? ACTIVITY_TARGET_TAGS;
  const recs = parseActivity(readText(opts.path, 'person activity'), opts.path);
  const res = resampleActivity(recs, { file: opts.path, dt, inputTags, targetTags });
  if (res.segments.length === 0) {
    throw new Error(`${opts.path}: no usable recording (${res.skipped.map((s) => `${s.id}: ${s.reason}`).join('; ')})`);
  }
  const split = assemble('person-activity', res.segments, tagChannelNames(inputTags), tagChannelNames(targetTags), dt, window, {
    ...opts,
    protocol: 'seeded',
    valFraction: opts.valFraction ?? 0.2,
  });
  const pick = (a: Int32Array) => Array.from(a, (i) => res.ids[i]);
  const ids = { train: pick(split.segmentIndices.train), val: pick(split.segmentIndices.val), test: pick(split.segmentIndices.test) };
  return { ...split, ids, skipped: res.skipped };
}
