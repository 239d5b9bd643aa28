export type {
  BuiltinDatasetOptions,
  RecordLengths,
  SimulatedForecastSplit,
  SimulatedRecord,
  SimulationTolerance,
} from './common.js';
export * from './duffing.js';
export * from './multisine.js';
export * from './tanks.js';
