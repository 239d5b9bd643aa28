export {
  ACTIVATION_NAMES,
  type ActivationName,
  activation64,
  activationDerivative64,
  activationSlopeAtZero,
  assertActivationName,
  isActivationName,
  LEAKY_RELU_SLOPE,
  SELU_ALPHA,
  SELU_SCALE,
} from './activations.js';
export { heInit, type RngOrSeed, toRng, xavierInit, zeroLastInit } from './baselines.js';
export {
  assertWeightsMatch,
  hiddenPreactivations64,
  layerSizes,
  type MlpSpec,
  type MlpWeights,
  mlpForward64,
  mlpFunction64,
  mlpJacobian64,
} from './mlp.js';
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
  type SlopeCompensation,
  siiInit,
  siiWeightsFromFactors,
} from './sii.js';
export { type VerifyOptions, type VerifyResult, verify } from './verify.js';
