// @sii/train — training on tfjs-core: torch-rule optimizers, gradient clipping, learning-rate
// schedules, the data-parallel trainer and fit(), the one training loop. See README.md.
export {
  type BatchInfo,
  type Divergence,
  type EpochInfo,
  type FitOptions,
  type FitResult,
  type FitState,
  fit,
  fitAsync,
  type StateNumber,
} from './fit.js';
export {
  Adam,
  type AdamOptions,
  FlatOptimizer,
  flatten,
  NAdam,
  type NAdamOptions,
  type Optimizer,
  type OptimizerState,
  SGD,
  type SGDOptions,
  type StatefulOptimizer,
} from './optimizers.js';
export {
  type RolloutBatch,
  RolloutStep,
  type RolloutStepOptions,
  STEP_ENGINES,
  type StepEngine,
  simdStepObstacle,
} from './rollout_step.js';
export { ExponentialLR, LinearLR, type LinearLROptions, type LrSchedule } from './schedules.js';
export {
  clipByGlobalNorm,
  globalNorm,
  mse,
  NonFiniteStepError,
  type TfjsOptimizerLike,
  type TrainStepOptions,
  type TrainStepResult,
  trainStep,
} from './step.js';
export { type DataParallelOptions, DataParallelTrainer, type ParallelGradients, type ShardLoss } from './parallel.js';
