// @sii/neural-ode/internal — pieces the package's own modules, the benchmark and the tests use that are
// not part of the public API (no stability promise): backend wiring lists, fast-rollout engine
// selection, the model-file float codec, layer shapes, tableau resolution and the tensor RK step.
export { CHAINED_OPS, registerChainedOps } from './backend.js';
export { fastRolloutApplies, fastRolloutEngine, SIMD_AUTO_MAX_WIDTH } from './fast_rollout.js';
export { GRADIENT_KERNELS, registerGradients } from './gradients.js';
export { decodeFloat32, encodeFloat32 } from './io.js';
export { layerShapes } from './mlp.js';
export { fieldFunction } from './odeint.js';
export { MIN_ROWS_PER_THREAD } from './simd/threads.js';
export { isAdaptive, resolveTableau } from './tableau.js';
export { linearCombination, rkStagesTensor, rkStepTensor, weightedSum } from './tensor_step.js';
