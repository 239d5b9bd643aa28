/** Shapes shared by the benchmark experiments (JSON-serialisable: they cross worker threads and files). */
import type { SlopeCompensation } from '@sii/init';
import type { FieldConfig, InitName } from './nn.js';

export type ExperimentKind = 'pixel' | 'latent' | 'forecast';
export type Scale = 'paper' | 'laptop' | 'tiny';

/** Fields every experiment configuration has. */
export interface BaseExperimentConfig {
  scale: Scale;
  /** Base seed: data (subsets, splits, permutation) come from it; run k uses `${seed}/run/${k}`. */
  seed: number;
  /** Number of runs (seeds) per init. */
  seeds: number;
  inits: InitName[];
  epochs: number;
  backend: 'wasm' | 'cpu';
}

/** The ODE's vector field, its solver and the optimizer: the same fields in every experiment. */
export interface OdeTrainingConfig {
  states: number;
  hidden: number;
  layers: number;
  activation: FieldConfig['activation'];
  solver: string;
  h: number;
  eps: number;
  /** siiInit's slope compensation (see nn.ts FieldConfig; absent in a preset: 'none', filled in by the command). */
  compensation?: SlopeCompensation;
  batch: number;
  lr: number;
  /** Global gradient-norm clip (null: none). */
  clip: number | null;
}

export interface ExperimentTask<C extends BaseExperimentConfig = BaseExperimentConfig> {
  kind: ExperimentKind;
  /** Run index k (0..seeds−1); both inits of a run share data, batch order and encoder/decoder init. */
  run: number;
  runSeed: string;
  init: InitName;
  config: C;
}

/** One trained model (one run × one init). */
export interface ArmResult {
  kind: ExperimentKind;
  run: number;
  runSeed: string;
  init: InitName;
  /** Final metrics (names per experiment). */
  metrics: Record<string, number>;
  /** Per-epoch curves (index e = after epoch e + 1; `epoch0` values may be stored separately). */
  curves: Record<string, number[]>;
  /** Experiment-specific payload (sample predictions, poles, …). */
  extra?: Record<string, unknown>;
  /** The ODE's initial poles (SII only), [re, im]. */
  initialPoles?: [number, number][];
  diverged: { epoch: number; reason: string } | null;
  error?: string;
  epochsRun: number;
  wallMs: number;
  parameters: number;
}

export type EpochCallback = (epoch: number, metric: number, trainLoss: number) => void;
