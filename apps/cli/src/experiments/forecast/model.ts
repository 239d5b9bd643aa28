/**
 * The authors' variational latent ODE for multivariate forecasting (METHOD.md §7):
 * - encoder g: the inputs at t0 only, u_0 ∈ R^m → LayerNorm–tanh MLP → (μ, log σ²) ∈ R^{2n};
 * - training: z0 = μ + σ·ε (reparameterised); evaluation: z0 ~ N(0, I), the prior (as theirs);
 * - latent ODE dz/dt = f(z, u), one solver step of h per sample with u_k held over step k + 1;
 * - decoder h: LayerNorm–ReLU MLP; prediction k = h(z_{k+1}), the state after k + 1 steps;
 * - loss: Σ_{batch, outputs} (ŷ − y)², averaged over time, + β·KL(q ‖ N(0, I)) summed over the
 *   latent states and averaged over the batch.
 */
import { Rng } from '@sii/linalg';
import type { MlpVectorField, NeuralODE } from '@sii/neural-ode';
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor2D, Tensor3D, Variable } from '@tensorflow/tfjs-core';
import { buildOde, type InitName } from '../nn.js';
import type { ForecastConfig } from './config.js';
import { NormalizedMlp } from './layers.js';

export interface ForecastModelSpec {
  inputs: number;
  outputs: number;
  states: number;
  hidden: number;
  layers: number;
  activation: ForecastConfig['activation'];
  solver: string;
  h: number;
  eps: number;
  compensation: ForecastConfig['compensation'];
}

export interface ForwardResult {
  /** Predictions, time-major [T, B, p]: row k decodes the state after k + 1 solver steps. */
  pred: Tensor3D;
  /** Encoder mean and log-variance [B, n] (training mode only). */
  mu?: Tensor2D;
  logvar?: Tensor2D;
}

export class ForecastModel {
  readonly encoder: NormalizedMlp;
  readonly decoder: NormalizedMlp;
  readonly field: MlpVectorField;
  readonly ode: NeuralODE;
  readonly initialPoles?: { re: number; im: number }[];

  constructor(
    readonly spec: ForecastModelSpec,
    init: InitName,
    runSeed: string,
  ) {
    const rng = new Rng(runSeed);
    // Encoder and decoder come from the run seed alone: both arms of a run share them.
    this.encoder = new NormalizedMlp(spec.inputs, spec.hidden, 2 * spec.states, spec.layers, 'tanh', rng.fork('encoder'));
    this.decoder = new NormalizedMlp(spec.states, spec.hidden, spec.outputs, spec.layers, 'relu', rng.fork('decoder'));
    const built = buildOde(init, { ...spec, inputs: spec.inputs }, runSeed);
    this.field = built.field;
    this.ode = built.ode;
    if (built.poles) this.initialPoles = built.poles;
  }

  get variables(): Variable[] {
    return [...this.encoder.variables, ...this.field.variables, ...this.decoder.variables];
  }

  get parameterCount(): number {
    return this.variables.reduce((s, v) => s + v.size, 0);
  }

  /**
   * u: inputs, time-major [T, B, m]. `noise` [B, n] is ε: in training z0 = μ + exp(½ log σ²)·ε, in
   * evaluation z0 = ε itself (a draw of the prior N(0, I)), or μ with `posteriorMean`.
   */
  forward(u: Tensor3D, noise: Tensor2D, mode: 'train' | 'prior' | 'posterior-mean'): ForwardResult {
    const [T, B, m] = u.shape;
    const n = this.spec.states;
    return tf.tidy(() => {
      let z0: Tensor2D;
      let mu: Tensor2D | undefined;
      let logvar: Tensor2D | undefined;
      if (mode === 'prior') {
        z0 = noise;
      } else {
        const out = this.encoder.apply(tf.reshape(tf.slice(u, [0, 0, 0], [1, B, m]), [B, m]) as Tensor2D);
        mu = tf.slice(out, [0, 0], [B, n]) as Tensor2D;
        logvar = tf.slice(out, [0, n], [B, n]) as Tensor2D;
        z0 = mode === 'train' ? (tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), noise)) as Tensor2D) : mu;
      }
      const states = this.ode.rollout(z0, u); // [T, B, n]: z_1 … z_T
      const pred = tf.reshape(this.decoder.apply(tf.reshape(states, [T * B, n]) as Tensor2D), [T, B, this.spec.outputs]) as Tensor3D;
      return mode === 'train' ? { pred, mu: mu!, logvar: logvar! } : { pred };
    });
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.field.dispose();
  }
}

/** KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ_states (μ² + σ² − 1 − log σ²), averaged over the batch. */
export function klToStandardNormal(mu: Tensor2D, logvar: Tensor2D): Scalar {
  return tf.tidy(() => tf.mean(tf.mul(tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(logvar, 1)), 1), 0.5)) as Scalar);
}

/** Σ over batch and outputs of (pred − y)², averaged over time; pred and y time-major [T, B, p]. */
export function reconstructionLoss(pred: Tensor3D, y: Tensor3D): Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.squaredDifference(pred, y)), pred.shape[0]) as Scalar);
}

/** The authors' training loss on one batch: reconstruction + β·KL. */
export function forecastLoss(model: ForecastModel, u: Tensor3D, y: Tensor3D, eps: Tensor2D, klWeight: number): Scalar {
  return tf.tidy(() => {
    const { pred, mu, logvar } = model.forward(u, eps, 'train');
    return tf.add(reconstructionLoss(pred, y), tf.mul(klToStandardNormal(mu!, logvar!), klWeight)) as Scalar;
  });
}
