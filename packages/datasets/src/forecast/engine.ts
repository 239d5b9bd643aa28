/**
 * LiU-ICE engine test-bench data (Linköping University, Vehicular Systems): a CSV with a header row
 * of named signals, sampled every 0.05 s (e.g. the WLTP cycle file wltp_NF.csv).
 *
 * Paper set-up: predict the intercooler pressure from 7 measured signals. Column names are
 * configurable; the defaults are the names used by the authors' code (matched exactly, else
 * case-insensitively). Segments of 800 samples split 80/20 into train/test with a seed, windows of
 * 400 steps at every start.
 */
import { assemble, type ForecastLoadOptions, type ForecastLoadResult } from './airquality.js';
import { numericColumns, parseTable, readText } from './table.js';
import { checkPositiveInt, type Segment, splitIntoSegments } from './types.js';

/** Air mass flow, throttle position, engine speed, ambient pressure, intake manifold pressure, wastegate position, injected fuel mass. */
export const ENGINE_INPUTS = [
  'air_mass_flow',
  'throttle_position',
  'engine_speed',
  'ambient_pressure',
  'intake_manifold_pressure',
  'wastegate_position',
  'injected_fuel_mass',
] as const;
export const ENGINE_TARGETS = ['Intercooler_pressure'] as const;

export interface EngineParseOptions {
  file?: string;
  inputColumns?: readonly string[];
  targetColumns?: readonly string[];
  /** Field separator (default ','). */
  separator?: string;
}

/** Parse the engine CSV into one series (all rows, in file order). */
export function parseEngine(text: string, opts: EngineParseOptions = {}): { series: Segment; inputNames: string[]; targetNames: string[] } {
  const file = opts.file ?? 'engine.csv';
  const inputNames = [...(opts.inputColumns ?? ENGINE_INPUTS)];
  const targetNames = [...(opts.targetColumns ?? ENGINE_TARGETS)];
  if (inputNames.length === 0 || targetNames.length === 0) throw new RangeError('inputColumns and targetColumns must not be empty');
  const table = parseTable(text, { file, separator: opts.separator ?? ',' });
  if (table.rows.length === 0) throw new Error(`${file}: no data rows`);
  const inputs = numericColumns(table, inputNames, 'input');
  const targets = numericColumns(table, targetNames, 'target');
  return {
    series: {
      length: table.rows.length,
      inputDim: inputNames.length,
      targetDim: targetNames.length,
      inputs,
      targets,
    },
    inputNames,
    targetNames,
  };
}

export interface EngineOptions extends ForecastLoadOptions, Omit<EngineParseOptions, 'file'> {
  /** Path of the CSV file. */
  path: string;
  /** Sample time (default 0.05 s). */
  dt?: number;
}

/**
 * Load the LiU-ICE forecasting task. Defaults: segmentLength 800, window 400, stride 1,
 * testFraction 0.2, valFraction 0, seed 0, dt 0.05 s.
 */
export function loadEngine(opts: EngineOptions): ForecastLoadResult {
  const segmentLength = opts.segmentLength ?? 800;
  const window = opts.window ?? 400;
  checkPositiveInt('segmentLength', segmentLength);
  checkPositiveInt('window', window);
  if (window > segmentLength) throw new RangeError(`window (${window}) must not exceed segmentLength (${segmentLength})`);
  const parsed = parseEngine(readText(opts.path, 'engine'), { ...opts, file: opts.path });
  const segments = splitIntoSegments(parsed.series, segmentLength);
  if (segments.length === 0) {
    throw new Error(`${opts.path}: ${parsed.series.length} rows are fewer than one segment of ${segmentLength}`);
  }
  return assemble('liu-ice-engine', segments, parsed.inputNames, parsed.targetNames, opts.dt ?? 0.05, window, opts);
}
