// @sii/neural-ode — differentiable neural ODE layers and solvers on tfjs-core with the WASM (SIMD)
// backend, Jacobians and poles. See README.md. Call `await initBackend()` first.
// The MLP contract (ActivationName, MlpSpec, MlpWeights, layer shapes, PyTorch's default init) lives
// in @sii/mlp; this package adds the tfjs layers. Internals (no API promise) are exported from
// '@sii/neural-ode/internal' (src/internal.ts).
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
  type FastRolloutCheckpoint,
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
  MODEL_LIMITS,
  MODEL_VERSION,
  type ModelFile,
  readModelFile,
  saveModel,
  serializeModel,
} from './io.js';
export {
  type GradMode,
  isMlpVectorField,
  MLP_VECTOR_FIELD_BRAND,
  type MlpOptions,
  MlpVectorField,
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
  type SimdThreadOptions,
  simdThreads,
  startSimdThreads,
  stopSimdThreads,
} from './simd/threads.js';
export type { TableauLike } from './tableau.js';
