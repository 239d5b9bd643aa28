/**
 * Configuration of `sii forecast`: the authors' protocol per data set (their
 * configs/time_series_forecasting/*.json and mts_forecasting/dm_*.py) and the scaled-down presets.
 */
import type { SlopeCompensation } from '@sii/init';
import type { BaseExperimentConfig, OdeTrainingConfig } from '../types.js';

export type ForecastName = 'tanks' | 'duffing' | 'airquality' | 'activity' | 'engine';
export const FORECAST_DATASETS: readonly ForecastName[] = ['tanks', 'duffing', 'airquality', 'activity', 'engine'];

export const FILE_DATASETS: Record<string, string> = {
  airquality: 'AirQualityUCI.xlsx or AirQualityUCI.csv (UCI data set 360)',
  activity: 'ConfLongDemo_JSI.txt (UCI data set 196)',
  engine: 'a LiU-ICE engine CSV with a header row (e.g. wltp_NF.csv)',
};

/** How z0 is chosen when the test set is evaluated. */
export type EvalInitialState = 'prior' | 'posterior-mean';

export interface ForecastConfig extends BaseExperimentConfig, Omit<OdeTrainingConfig, 'h'> {
  dataset: ForecastName;
  /** File of the UCI / engine data sets (required for them). */
  data: string | null;
  /** random_state of the authors' scikit-learn splits (their data_seed 42). */
  dataSeed: number;
  /** Window length in samples (null: the data set's protocol value, see DATASET_PROTOCOL). */
  window: number | null;
  /** Segment length for the 80/20 segment split of engine and air quality (null: 800). */
  segmentLength: number | null;
  /** Distance between training window starts (null: the data set's protocol value). */
  trainStride: number | null;
  /** Distance between test window starts (authors: 1). */
  testStride: number;
  /** Use at most this many training windows, evenly spaced (null: all, as the authors). */
  maxTrainWindows: number | null;
  /** Use at most this many test windows, evenly spaced (null: all, as the authors). */
  maxTestWindows: number | null;
  /** Solver step (null: the sampling time dt of the data set, as the authors). */
  h: number | null;
  /** Slope compensation of siiInit (authors: 'none'). */
  compensation: SlopeCompensation;
  /** Optimizer (authors: NAdam). */
  optimizer: 'nadam' | 'adam';
  /** ExponentialLR γ per epoch (null: the data set's protocol value; 1: constant). */
  lrDecay: number | null;
  /** Weight β of the KL term (authors 1.0). */
  klWeight: number;
  /** z0 at test time: 'prior' draws N(0, I) (authors), 'posterior-mean' uses the encoder's mean. */
  evalInitialState: EvalInitialState;
}

/** The authors' per-data-set values (file:line in their repository in docs/FIDELITY.md). */
export interface DatasetProtocol {
  window: number;
  segmentLength: number | null;
  trainStride: number;
  lrDecay: number;
}

export const DATASET_PROTOCOL: Record<ForecastName, DatasetProtocol> = {
  engine: { window: 400, segmentLength: 800, trainStride: 1, lrDecay: 0.999 },
  airquality: { window: 100, segmentLength: 800, trainStride: 10, lrDecay: 0.95 },
  activity: { window: 10, segmentLength: null, trainStride: 1, lrDecay: 0.999 },
  // Our own simulated tasks (not in the paper): the engine's optimizer settings, windows of 64.
  tanks: { window: 64, segmentLength: null, trainStride: 1, lrDecay: 0.999 },
  duffing: { window: 64, segmentLength: null, trainStride: 1, lrDecay: 0.999 },
};

export type PresetFields = Omit<ForecastConfig, 'dataset' | 'data' | 'seed' | 'inits' | 'backend' | 'scale'>;

/** The authors' protocol (paper scale): every value as in their code. */
export const AUTHORS_PROTOCOL: PresetFields = {
  seeds: 3,
  epochs: 100,
  states: 32,
  hidden: 128,
  layers: 3,
  activation: 'silu',
  solver: 'midpoint',
  h: null,
  eps: -0.01,
  compensation: 'none',
  batch: 512,
  lr: 1e-4,
  clip: 1,
  optimizer: 'nadam',
  lrDecay: null,
  klWeight: 1,
  evalInitialState: 'prior',
  dataSeed: 42,
  window: null,
  segmentLength: null,
  trainStride: null,
  testStride: 1,
  maxTrainWindows: null,
  maxTestWindows: null,
};

/**
 * Scaled-down presets: the paper's model and optimizer, less data and fewer epochs. Every value that
 * differs from AUTHORS_PROTOCOL is listed with its reason by `presetDeviations`.
 */
export const LAPTOP_CHANGES: Partial<PresetFields> = { epochs: 20, batch: 64, maxTrainWindows: 512, maxTestWindows: 256 };
export const TINY_CHANGES: Partial<PresetFields> = {
  seeds: 1,
  epochs: 2,
  states: 4,
  hidden: 8,
  batch: 8,
  window: 16,
  maxTrainWindows: 16,
  maxTestWindows: 16,
  testStride: 16,
};

const REASONS: Record<string, string> = {
  epochs: 'fewer epochs to finish in minutes on 2 CPU cores',
  batch: 'a smaller batch so that the subsampled training set still gives several updates per epoch',
  maxTrainWindows: 'training windows subsampled (evenly spaced) to bound the epoch time',
  maxTestWindows: 'test windows subsampled (evenly spaced) to bound the evaluation time',
  seeds: 'one run (smoke test)',
  states: 'tiny model (smoke test)',
  hidden: 'tiny model (smoke test)',
  window: 'short windows (smoke test)',
  testStride: 'fewer test windows (smoke test)',
};

export function forecastPreset(scale: ForecastConfig['scale']): PresetFields {
  if (scale === 'paper') return { ...AUTHORS_PROTOCOL };
  if (scale === 'laptop') return { ...AUTHORS_PROTOCOL, ...LAPTOP_CHANGES };
  return { ...AUTHORS_PROTOCOL, ...TINY_CHANGES };
}

/** Values resolved from the data set when the config leaves them null. */
export function resolveProtocol(c: ForecastConfig): DatasetProtocol & { lrDecay: number } {
  const p = DATASET_PROTOCOL[c.dataset];
  if (!p) throw new RangeError(`--dataset must be one of ${FORECAST_DATASETS.join(', ')}, got ${JSON.stringify(c.dataset)}`);
  return {
    window: c.window ?? p.window,
    segmentLength: p.segmentLength === null ? null : (c.segmentLength ?? p.segmentLength),
    trainStride: c.trainStride ?? p.trainStride,
    lrDecay: c.lrDecay ?? p.lrDecay,
  };
}

export interface Deviation {
  setting: string;
  authors: string;
  ours: string;
  reason: string;
}

/**
 * Every setting of `c` that differs from the authors' protocol for its data set, with the reason
 * (preset) or "set by flag". Empty for `--scale paper` without overrides.
 */
export function presetDeviations(c: ForecastConfig): Deviation[] {
  const out: Deviation[] = [];
  const preset = forecastPreset(c.scale) as unknown as Record<string, unknown>;
  const authors = AUTHORS_PROTOCOL as unknown as Record<string, unknown>;
  const cur = c as unknown as Record<string, unknown>;
  const proto = DATASET_PROTOCOL[c.dataset];
  for (const key of Object.keys(authors)) {
    const a = authors[key];
    const v = cur[key];
    // A null that resolves to the data set's value is the authors' value.
    if (v === a || (v === null && a === null)) continue;
    if (key in proto && v === (proto as unknown as Record<string, unknown>)[key]) continue;
    const fromPreset = preset[key] === v;
    out.push({
      setting: key,
      authors: show(a, key, proto),
      ours: show(v, key, proto),
      reason: fromPreset ? (REASONS[key] ?? `${c.scale} preset`) : 'set by flag',
    });
  }
  return out;
}

function show(v: unknown, key: string, proto: DatasetProtocol): string {
  if (v === null) {
    const p = (proto as unknown as Record<string, unknown>)[key];
    if (p !== undefined) return `${String(p)} (data set default)`;
    if (key === 'h') return 'dt';
    if (key.startsWith('max')) return 'all';
    return 'default';
  }
  return String(v);
}
