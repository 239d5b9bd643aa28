// @sii/neural-ode/internal — what sibling workspace packages (the data-parallel trainer of @sii/train),
// the benchmark and the tests use that is not public API (no stability promise): the fast rollout
// without argument checks and its engine selection, the worker starter, backend wiring lists, the
// model-file float codec, the activation kernels' math, tableau resolution and the tensor RK step.
export { activate, activationBackward } from './activations.js';
export { CHAINED_OPS, registerChainedOps } from './backend.js';
export { fastRolloutApplies, fastRolloutEngine, fastRolloutImpl } from './fast_rollout.js';
export { GRADIENT_KERNELS, registerGradients } from './gradients.js';
export { decodeFloat32, encodeFloat32 } from './io.js';
export { builtWorkerFactory, type MinimalWorker } from './node_worker.js';
export { fieldFunction } from './odeint.js';
export { relaxedSimdSupported, type SimdKernelVariant, simdKernelVariant } from './simd/kernels.js';
export { type SimdMomentOptions, SimdMomentOptimizer } from './simd/optimizer.js';
export {
  AUTO_CHECKPOINT_BUDGET,
  resolveCheckpointEvery,
  rolloutArenaBytes,
  type SimdRolloutProblem,
} from './simd/mlp_rollout.js';
export { simdArena } from './simd/kernels.js';
export { heapTensor, heapView, saveShared, type WasmTensorHeap, wasmTensorHeap, withoutTensorHeap } from './simd/tfjs_heap.js';
export { MIN_ROWS_PER_THREAD } from './simd/threads.js';
export { SimdTrainStep, type SimdTrainStepOptions } from './simd/train_step.js';
export { isAdaptive, resolveTableau } from './tableau.js';
export { linearCombination, rkStagesTensor, rkStepTensor, weightedSum } from './tensor_step.js';
export { crossEntropyKernel, crossEntropySimdAvailable, weightedCrossEntropySimd } from './simd/cross_entropy.js';
export { auxKernelsAvailable } from './simd/aux_kernels.js';
export { linearSimd } from './simd/linear.js';
export { type LayerNormActivation, layerNormSimd } from './simd/layer_norm.js';
export {
  type BatchStats,
  batchNormActSimd,
  conv3dSimd,
  convBnActSimd,
  depthToSpaceBiasSimd,
  groupNormReluSimd,
  matMulSimd,
  maxPool3d2Simd,
} from './simd/conv3d.js';
