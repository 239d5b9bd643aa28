// @sii/mlp — the MLP vector field contract of sii (activations, spec, weights, float64 forward pass
// and Jacobian, PyTorch's default Linear init). See README.md.
export {
  ACTIVATION_NAMES,
  type Activation,
  type ActivationName,
  activation64,
  activationDerivative64,
  activationSlopeAtZero,
  activationSupSlope,
  assertActivationName,
  GELU_C,
  GELU_K,
  getActivation,
  isActivationName,
  LEAKY_RELU_SLOPE,
  SELU_ALPHA,
  SELU_SCALE,
} from './activations.js';
export {
  hiddenPreactivations64,
  type Mlp64Engine,
  type MlpFunction64Options,
  mlpForward64,
  mlpFunction64,
  mlpJacobian64,
} from './forward.js';
export { defaultWeights, linearInit, type RngOrSeed, toRng } from './init.js';
export {
  assertWeightsMatch,
  layerShapes,
  layerSizes,
  type MlpSpec,
  type MlpWeights,
  parameterCount,
  type WeightCheckOptions,
} from './spec.js';
export { affine64WasmAvailable } from './wasm64.js';
