export { heInit, xavierInit, zeroLastInit } from './baselines.js';
export {
  AUTHORS_TAYLOR_ORDER,
  DEFAULT_BOX,
  DEFAULT_EPS,
  DEFAULT_MAX_TRIES,
  getSolverTableau,
  type PoleBox,
  resolveStability,
  type SamplePolesOptions,
  type SamplePolesResult,
  type StabilitySpec,
  samplePoles,
  samplePolesDetailed,
  solverStability,
  taylorOrderForSolver,
} from './poles.js';
export {
  compensateSlopes,
  DEFAULT_BIAS_SCALE,
  referenceMatrix,
  type SiiOptions,
  type SiiPreset,
  type SiiResult,
  SLOPE_COMPENSATIONS,
  type SlopeCompensation,
  siiInit,
  siiWeightsFromFactors,
} from './sii.js';
export { type VerifyOptions, type VerifyResult, verify } from './verify.js';
