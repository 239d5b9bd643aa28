// @sii/neural-ode — differentiable neural ODE layers and solvers on tfjs-core with the WASM (SIMD)
// backend, Jacobians and poles. See README.md. Call `await initBackend()` first. Internals (no API
// promise) are exported from '@sii/neural-ode/internal' (src/internal.ts).
export {
  ACTIVATION_NAMES,
  type ActivationName,
  activate,
  activationBackward,
  GELU_C,
  GELU_K,
  LEAKY_RELU_ALPHA,
  SELU_ALPHA,
  SELU_SCALE,
} from './activations.js';
export {
  type BackendInfo,
  type BackendName,
  backendInfo,
  type InitBackendOptions,
  initBackend,
  type WasmPaths,
} from './backend.js';
export {
  jacobian,
  jacobianMatrices,
  poles,
  polesAlongTrajectory,
  type StabilityReport,
  stabilityCheck,
  type TrajectoryPoles,
} from './diagnostics.js';
export {
  FAST_ROLLOUT_ENGINES,
  type FastRolloutEngine,
  type FastRolloutOptions,
  type FastRolloutOutput,
  fastRollout,
} from './fast_rollout.js';
export { type Interpolation, SampledInput, type SampledInputOptions } from './inputs.js';
export {
  deserializeModel,
  loadModel,
  MODEL_FORMAT,
  MODEL_VERSION,
  type ModelFile,
  readModelFile,
  saveModel,
  serializeModel,
} from './io.js';
export {
  defaultWeights,
  type GradMode,
  type MlpOptions,
  type MlpSpec,
  MlpVectorField,
  type MlpWeights,
  type VectorField,
} from './mlp.js';
export { NeuralODE, type NeuralODEOptions, type RolloutOptions } from './neural_ode.js';
export {
  DEFAULT_TENSOR_ATOL,
  DEFAULT_TENSOR_RTOL,
  type OdeintTensorOptions,
  type OdeintTensorResult,
  type OdeintTensorStats,
  odeintTensor,
  odeintTensorDetailed,
  type TensorOdeFunction,
} from './odeint.js';
export {
  type DataParallelOptions,
  DataParallelTrainer,
  type ParallelGradients,
  type ShardLoss,
} from './parallel.js';
export {
  type SimdThreadOptions,
  simdThreads,
  startSimdThreads,
  stopSimdThreads,
} from './simd/threads.js';
export type { TableauLike } from './tableau.js';
export {
  Adam,
  type AdamOptions,
  clipByGlobalNorm,
  flatten,
  globalNorm,
  mse,
  NAdam,
  type NAdamOptions,
  type Optimizer,
  type TfjsOptimizerLike,
  type TrainStepOptions,
  type TrainStepResult,
  trainStep,
} from './train.js';
