/**
 * Upper limits of every size flag, checked before anything is allocated or a worker starts. They are
 * far above the paper's values (500 teachers, H 128, 300 samples, 100 epochs) and keep one allocation
 * well under a gigabyte; a value above a limit is a usage error naming the flag and the limit.
 */
export const LIMITS = {
  /** Teachers of a teacher–student sweep (paper 500). */
  teachers: 100_000,
  /** Hidden width of an MLP vector field or decoder (paper ≤ 128). */
  hidden: 4096,
  /** MLP layers. */
  layers: 64,
  /** ODE states. */
  states: 4096,
  /** Samples per trajectory; solver steps of `sii perturbation`. */
  samples: 1_000_000,
  steps: 1_000_000,
  /** Training epochs. */
  epochs: 100_000,
  /** Batch size, training window, trajectories, students per solver, seeds per init. */
  batch: 100_000,
  window: 100_000,
  trajectories: 10_000,
  students: 10_000,
  seeds: 10_000,
  /** Pixel task: examples per split, pixels per ODE step (one sCIFAR image has 1024 pixels). */
  examples: 1_000_000,
  pixelsPerStep: 1024,
  /** Latent task: sequences per split, frame side in pixels, frames per horizon. */
  sequences: 100_000,
  frameSize: 256,
  frames: 10_000,
  /** Forecast windows per split (also bounds segment lengths and strides, in samples). */
  windows: 1_000_000,
  /** Worker threads. */
  workers: 256,
} as const;
