// @sii/neural-ode — differentiable neural ODE layers and solvers on tfjs-core with the WASM (SIMD)
// backend, Jacobians and poles. See README.md. Call `await initBackend()` first.
// The MLP contract (ActivationName, MlpSpec, MlpWeights, layer shapes, PyTorch's default init) lives
// in @sii/mlp; this package adds the tfjs layers.
export { activate, activationBackward } from './activations.js';
export {
  type BackendInfo,
  type BackendName,
  backendInfo,
  CHAINED_OPS,
  type InitBackendOptions,
  initBackend,
  registerChainedOps,
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
  fastRolloutApplies,
  fastRolloutEngine,
  SIMD_AUTO_MAX_WIDTH,
} from './fast_rollout.js';
export { GRADIENT_KERNELS, registerGradients } from './gradients.js';
export { type Interpolation, SampledInput, type SampledInputOptions } from './inputs.js';
export {
  decodeFloat32,
  deserializeModel,
  encodeFloat32,
  loadModel,
  MODEL_FORMAT,
  MODEL_VERSION,
  type ModelFile,
  readModelFile,
  saveModel,
  serializeModel,
} from './io.js';
export { type GradMode, type MlpOptions, MlpVectorField, type VectorField } from './mlp.js';
export { NeuralODE, type NeuralODEOptions, type RolloutOptions } from './neural_ode.js';
export {
  DEFAULT_ATOL,
  DEFAULT_RTOL,
  fieldFunction,
  fixedGrid,
  nextStep,
  type OdeFunc,
  type OdeintOptions,
  type OdeintResult,
  type OdeintStats,
  odeint,
  odeintDetailed,
} from './odeint.js';
export {
  MIN_ROWS_PER_THREAD,
  type SimdThreadOptions,
  simdThreads,
  startSimdThreads,
  stopSimdThreads,
} from './simd/threads.js';
export { isAdaptive, resolveTableau, rkStages, rkStep, type TableauLike } from './tableau.js';
