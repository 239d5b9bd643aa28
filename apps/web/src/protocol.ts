// Messages between the page and the training worker (structured-clone friendly, no classes).

import type { Point } from './plot.js';

export interface TrainConfig {
  /** Teacher and student states n and inputs m. */
  states: number;
  inputs: number;
  /** Student MLP: hidden width and number of Linear layers (ELU). */
  hidden: number;
  layers: number;
  /** Student solver and step. */
  solver: string;
  h: number;
  /** NAdam learning rate, gradient-norm clip, epochs, window length and batch size. */
  lr: number;
  clip: number;
  epochs: number;
  window: number;
  batch: number;
  /** Samples in the teacher trajectory (one solver step per sample). */
  samples: number;
  /** 'incl': teacher poles inside the Euler region; 'excl': outside the RK4 region (METHOD.md §7). */
  teacher: 'incl' | 'excl';
  seed: number;
  backend: 'wasm' | 'cpu';
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  states: 2,
  inputs: 1,
  hidden: 32,
  layers: 2,
  solver: 'midpoint',
  h: 0.1,
  lr: 5e-3,
  clip: 1,
  epochs: 100,
  window: 10,
  batch: 32,
  samples: 300,
  teacher: 'incl',
  seed: 1,
  backend: 'wasm',
};

export type ToWorker =
  | { type: 'setup'; config: TrainConfig; wasmPaths: Record<string, string> }
  | { type: 'start' }
  | { type: 'pause' }
  /** Ask where the run is (answered with 'probe'; messages are handled in order). */
  | { type: 'probe' };

export interface ModelProgress {
  /** Mean training MSE over the epoch's batches. */
  loss: number;
  /** Validation MSE (fresh initial state and input) over all windows. */
  val: number;
  /** hλ of ∂f/∂x at the origin (float64). */
  hLambda: Point[];
}

export type FromWorker =
  | {
      type: 'ready';
      backend: string;
      simd: boolean;
      threads: boolean;
      teacherHLambda: Point[];
      sii: ModelProgress;
      base: ModelProgress;
      windows: number;
    }
  | { type: 'epoch'; epoch: number; sii: ModelProgress; base: ModelProgress; ms: number; tensors: number }
  | { type: 'paused'; epoch: number }
  /** The answer to a probe: the last epoch posted and whether the run is held at an epoch boundary (paused). */
  | { type: 'probe'; epoch: number; held: boolean }
  | { type: 'done'; epoch: number }
  | { type: 'error'; message: string };
