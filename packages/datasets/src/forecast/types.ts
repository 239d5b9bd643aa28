/**
 * Common output type of every forecasting data set in @sii/datasets, and the helpers that build it.
 *
 * NOTE TO THE OTHER @sii/datasets ENGINEER (built-in input–output systems: cascaded tanks, Duffing, …):
 * please produce `ForecastSplit` / `ForecastDataset` with these helpers, so that every forecasting
 * experiment consumes one type. The usual pipeline is
 *
 *   const series: Segment[] = [...]                       // simulated or parsed, Float64, row-major
 *   const split = buildForecastSplit({ name, dt, inputNames, targetNames,
 *     train: trainSegments, test: testSegments, window: 100, stride: 1 })
 *
 * or, step by step: `fitStandardization(train)` → `standardize(segments, stats)` →
 * `makeWindows(segments, { window, stride })`. Statistics always come from the training segments only.
 *
 * Layout: `inputs` is a row-major Float32Array of shape [N, T, m] (sample, time step, channel),
 * `targets` [N, T, p]. Values are standardized: raw = value · std + mean (see `unstandardize`).
 */

/** One contiguous, uniformly sampled stretch of data (Float64, row-major). */
export interface Segment {
  /** Number of time steps. */
  length: number;
  inputDim: number;
  targetDim: number;
  /** [length, inputDim] row-major. */
  inputs: Float64Array;
  /** [length, targetDim] row-major. */
  targets: Float64Array;
}

/** Per-channel statistics used to standardize (population standard deviation, ddof 0). */
export interface StandardizationStats {
  inputMean: Float64Array;
  inputStd: Float64Array;
  targetMean: Float64Array;
  targetStd: Float64Array;
}

export interface ForecastShape {
  /** Number of windows N. */
  samples: number;
  /** Time steps per window T. */
  steps: number;
  /** Input channels m. */
  inputDim: number;
  /** Target channels p. */
  targetDim: number;
}

/** A windowed, standardized forecasting data set (one split). */
export interface ForecastDataset {
  name: string;
  /** [N, T, m] row-major, standardized. */
  inputs: Float32Array;
  /** [N, T, p] row-major, standardized. */
  targets: Float32Array;
  shape: ForecastShape;
  /** Sample time between consecutive steps (seconds, or hours for air quality). */
  dt: number;
  inputNames: readonly string[];
  targetNames: readonly string[];
  /** Training statistics (shared by every split of one data set). */
  stats: StandardizationStats;
  /** For window k: origins[2k] = segment index within this split, origins[2k+1] = start step. */
  origins: Int32Array;
}

export interface ForecastSplit {
  train: ForecastDataset;
  /** Present when a validation fraction was requested. */
  val?: ForecastDataset;
  test: ForecastDataset;
  /** Same object as `train.stats`. */
  stats: StandardizationStats;
}

/** Create a Segment from row-major arrays, validating sizes. */
export function makeSegment(inputs: ArrayLike<number>, targets: ArrayLike<number>, inputDim: number, targetDim: number): Segment {
  checkPositiveInt('inputDim', inputDim);
  checkPositiveInt('targetDim', targetDim);
  if (inputs.length % inputDim !== 0) {
    throw new RangeError(`inputs.length (${inputs.length}) is not a multiple of inputDim (${inputDim})`);
  }
  const length = inputs.length / inputDim;
  if (targets.length !== length * targetDim) {
    throw new RangeError(`targets.length (${targets.length}) must equal length·targetDim = ${length}·${targetDim} = ${length * targetDim}`);
  }
  return {
    length,
    inputDim,
    targetDim,
    inputs: Float64Array.from(inputs),
    targets: Float64Array.from(targets),
  };
}

/**
 * Cut one long series into consecutive non-overlapping segments of `segmentLength` steps; the
 * remainder shorter than a segment is dropped (as the authors do).
 */
export function splitIntoSegments(series: Segment, segmentLength: number): Segment[] {
  checkPositiveInt('segmentLength', segmentLength);
  const out: Segment[] = [];
  const { inputDim: m, targetDim: p } = series;
  for (let start = 0; start + segmentLength <= series.length; start += segmentLength) {
    out.push({
      length: segmentLength,
      inputDim: m,
      targetDim: p,
      inputs: series.inputs.slice(start * m, (start + segmentLength) * m),
      targets: series.targets.slice(start * p, (start + segmentLength) * p),
    });
  }
  return out;
}

/**
 * Per-channel mean and population std over every time step of the given (training) segments.
 * A constant channel (std 0) gets std 1 so that standardizing only removes its mean.
 */
export function fitStandardization(segments: readonly Segment[]): StandardizationStats {
  if (segments.length === 0) throw new RangeError('fitStandardization: segments is empty');
  const { inputDim, targetDim } = checkSameDims(segments);
  const [inputMean, inputStd] = channelMoments(segments, 'inputs', inputDim);
  const [targetMean, targetStd] = channelMoments(segments, 'targets', targetDim);
  return { inputMean, inputStd, targetMean, targetStd };
}

/** Return new segments with (x − mean) / std applied per channel. */
export function standardize(segments: readonly Segment[], stats: StandardizationStats): Segment[] {
  const { inputDim, targetDim } = checkSameDims(segments);
  if (segments.length > 0) {
    if (stats.inputMean.length !== inputDim || stats.inputStd.length !== inputDim) {
      throw new RangeError(`stats has ${stats.inputMean.length} input channels, segments have ${inputDim}`);
    }
    if (stats.targetMean.length !== targetDim || stats.targetStd.length !== targetDim) {
      throw new RangeError(`stats has ${stats.targetMean.length} target channels, segments have ${targetDim}`);
    }
  }
  return segments.map((s) => ({
    length: s.length,
    inputDim: s.inputDim,
    targetDim: s.targetDim,
    inputs: applyAffine(s.inputs, s.inputDim, stats.inputMean, stats.inputStd),
    targets: applyAffine(s.targets, s.targetDim, stats.targetMean, stats.targetStd),
  }));
}

/** Undo standardization of channel-last data: raw = value · std + mean (Float64 result). */
export function unstandardize(values: ArrayLike<number>, mean: ArrayLike<number>, std: ArrayLike<number>): Float64Array {
  const c = mean.length;
  if (c === 0 || std.length !== c) {
    throw new RangeError(`mean and std must have the same non-zero length (got ${c} and ${std.length})`);
  }
  if (values.length % c !== 0) {
    throw new RangeError(`values.length (${values.length}) is not a multiple of the channel count (${c})`);
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * std[i % c] + mean[i % c];
  return out;
}

export interface WindowOptions {
  /** Steps per window T. */
  window: number;
  /** Distance between consecutive window starts inside a segment (default 1: every start). */
  stride?: number;
}

export interface Windows {
  inputs: Float32Array;
  targets: Float32Array;
  shape: ForecastShape;
  origins: Int32Array;
}

/**
 * All windows of `window` steps inside each segment, starts 0, stride, 2·stride, … while the window
 * fits (windows never cross segment boundaries). Segments shorter than the window give none.
 */
export function makeWindows(segments: readonly Segment[], opts: WindowOptions): Windows {
  const window = opts.window;
  const stride = opts.stride ?? 1;
  checkPositiveInt('window', window);
  checkPositiveInt('stride', stride);
  const { inputDim: m, targetDim: p } = checkSameDims(segments);
  let count = 0;
  for (const s of segments) if (s.length >= window) count += Math.floor((s.length - window) / stride) + 1;
  const inputs = new Float32Array(count * window * m);
  const targets = new Float32Array(count * window * p);
  const origins = new Int32Array(count * 2);
  let k = 0;
  segments.forEach((s, si) => {
    for (let start = 0; start + window <= s.length; start += stride) {
      inputs.set(s.inputs.subarray(start * m, (start + window) * m), k * window * m);
      targets.set(s.targets.subarray(start * p, (start + window) * p), k * window * p);
      origins[2 * k] = si;
      origins[2 * k + 1] = start;
      k++;
    }
  });
  return { inputs, targets, shape: { samples: count, steps: window, inputDim: m, targetDim: p }, origins };
}

export interface BuildForecastOptions extends WindowOptions {
  name: string;
  dt: number;
  inputNames: readonly string[];
  targetNames: readonly string[];
  train: readonly Segment[];
  test: readonly Segment[];
  val?: readonly Segment[];
  /** Standardize with training statistics (default true). With false, stats are mean 0 / std 1. */
  standardize?: boolean;
  /**
   * What the statistics are computed over: 'segments' (every training time step once, default) or
   * 'windows' (every time step of every training window, so overlapping windows count a step more
   * than once: the authors' `np.vstack(train_samples)` in their dm_engine.py / dm_quality.py).
   */
  statistics?: 'segments' | 'windows';
  /** Window stride of the training split (default `stride`). */
  trainStride?: number;
  /** Window stride of the test and validation splits (default `stride`). */
  testStride?: number;
}

/**
 * Statistics over the time steps of every window of `window` steps at `stride` in each segment
 * (a step inside k windows counts k times), population std; std 0 becomes 1 as in fitStandardization.
 */
export function fitWindowStandardization(segments: readonly Segment[], window: number, stride: number): StandardizationStats {
  checkPositiveInt('window', window);
  checkPositiveInt('stride', stride);
  const { inputDim, targetDim } = checkSameDims(segments);
  const weights = segments.map((s) => {
    const w = new Float64Array(s.length);
    for (let start = 0; start + window <= s.length; start += stride) for (let i = start; i < start + window; i++) w[i] += 1;
    return w;
  });
  const total = weights.reduce((acc, w) => acc + w.reduce((a, b) => a + b, 0), 0);
  if (total === 0) throw new RangeError(`fitWindowStandardization: no training segment holds a window of ${window} steps`);
  const moments = (key: 'inputs' | 'targets', dim: number): [Float64Array, Float64Array] => {
    const mean = new Float64Array(dim);
    const m2 = new Float64Array(dim);
    segments.forEach((s, k) => {
      const a = s[key];
      for (let i = 0; i < a.length; i++) mean[i % dim] += weights[k][Math.floor(i / dim)] * a[i];
    });
    for (let c = 0; c < dim; c++) mean[c] /= total;
    segments.forEach((s, k) => {
      const a = s[key];
      for (let i = 0; i < a.length; i++) m2[i % dim] += weights[k][Math.floor(i / dim)] * (a[i] - mean[i % dim]) ** 2;
    });
    const std = Float64Array.from(m2, (v) => (v > 0 ? Math.sqrt(v / total) : 1));
    return [mean, std];
  };
  const [inputMean, inputStd] = moments('inputs', inputDim);
  const [targetMean, targetStd] = moments('targets', targetDim);
  return { inputMean, inputStd, targetMean, targetStd };
}

/** Fit statistics on `train`, standardize every split and cut windows. */
export function buildForecastSplit(opts: BuildForecastOptions): ForecastSplit {
  if (!(opts.dt > 0)) throw new RangeError(`dt must be > 0, got ${opts.dt}`);
  if (opts.train.length === 0) throw new RangeError(`${opts.name}: the training split has no segments`);
  const { inputDim, targetDim } = checkSameDims([...opts.train, ...opts.test, ...(opts.val ?? [])]);
  if (opts.inputNames.length !== inputDim) {
    throw new RangeError(`inputNames has ${opts.inputNames.length} names for ${inputDim} input channels`);
  }
  if (opts.targetNames.length !== targetDim) {
    throw new RangeError(`targetNames has ${opts.targetNames.length} names for ${targetDim} target channels`);
  }
  const stats =
    opts.standardize === false
      ? {
          inputMean: new Float64Array(inputDim),
          inputStd: new Float64Array(inputDim).fill(1),
          targetMean: new Float64Array(targetDim),
          targetStd: new Float64Array(targetDim).fill(1),
        }
      : opts.statistics === 'windows'
        ? fitWindowStandardization(opts.train, opts.window, opts.trainStride ?? opts.stride ?? 1)
        : fitStandardization(opts.train);
  const make = (segments: readonly Segment[], stride: number): ForecastDataset => {
    const w = makeWindows(standardize(segments, stats), { window: opts.window, stride });
    return {
      name: opts.name,
      inputs: w.inputs,
      targets: w.targets,
      shape: w.shape,
      dt: opts.dt,
      inputNames: opts.inputNames,
      targetNames: opts.targetNames,
      stats,
      origins: w.origins,
    };
  };
  const testStride = opts.testStride ?? opts.stride ?? 1;
  const split: ForecastSplit = { train: make(opts.train, opts.trainStride ?? opts.stride ?? 1), test: make(opts.test, testStride), stats };
  if (opts.val) split.val = make(opts.val, testStride);
  return split;
}

function checkSameDims(segments: readonly Segment[]): { inputDim: number; targetDim: number } {
  const first = segments[0];
  if (!first) return { inputDim: 0, targetDim: 0 };
  segments.forEach((s, i) => {
    if (s.inputDim !== first.inputDim || s.targetDim !== first.targetDim) {
      throw new RangeError(`segment ${i} has dims (${s.inputDim}, ${s.targetDim}), segment 0 has (${first.inputDim}, ${first.targetDim})`);
    }
    if (s.inputs.length !== s.length * s.inputDim || s.targets.length !== s.length * s.targetDim) {
      throw new RangeError(`segment ${i}: array sizes do not match length ${s.length}`);
    }
  });
  return { inputDim: first.inputDim, targetDim: first.targetDim };
}

function channelMoments(segments: readonly Segment[], key: 'inputs' | 'targets', dim: number): [Float64Array, Float64Array] {
  const mean = new Float64Array(dim);
  const m2 = new Float64Array(dim);
  let n = 0;
  for (const s of segments) n += s.length;
  if (n === 0) throw new RangeError('fitStandardization: the segments hold no time steps');
  for (const s of segments) {
    const a = s[key];
    for (let i = 0; i < a.length; i++) mean[i % dim] += a[i];
  }
  for (let c = 0; c < dim; c++) mean[c] /= n;
  // two-pass variance for accuracy
  for (const s of segments) {
    const a = s[key];
    for (let i = 0; i < a.length; i++) {
      const d = a[i] - mean[i % dim];
      m2[i % dim] += d * d;
    }
  }
  const std = new Float64Array(dim);
  for (let c = 0; c < dim; c++) {
    const v = Math.sqrt(m2[c] / n);
    std[c] = v > 0 ? v : 1;
  }
  return [mean, std];
}

function applyAffine(a: Float64Array, dim: number, mean: Float64Array, std: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] - mean[i % dim]) / std[i % dim];
  return out;
}

export function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}
