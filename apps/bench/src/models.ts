/**
 * The paper's models as the experiments train them (`sii forecast`, `sii latent` at their default
 * 'laptop' scale): the CLI's own model classes and losses, one optimizer step on fixed random data,
 * timed like the MLP configurations. The PyTorch peer is peers/torch_models.py of this package.
 */
import {
  buildLatentModel,
  type ForecastConfig,
  ForecastModel,
  forecastLoss,
  forecastPreset,
  type LatentBatch,
  type LatentConfig,
  latentBatchLoss,
  latentPreset,
  registerConvGradients,
} from '@sii/cli';
import { initBackend } from '@sii/neural-ode';
import { Adam, NAdam, trainStep } from '@sii/train';
import type { Scalar, Variable } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { type ForecastBenchShape, MODEL_CONFIGS } from './model-configs.js';
import { median, type SiiResult } from './sii.js';

/** The forecast experiment's configuration at the laptop scale (the default of `sii forecast`). */
export function forecastBenchConfig(): ForecastConfig {
  return {
    ...forecastPreset('laptop'),
    dataset: 'tanks',
    data: null,
    seed: 0,
    inits: ['sii', 'baseline'],
    backend: 'wasm',
    scale: 'laptop',
  };
}

/** The latent experiment's configuration at the laptop scale (the default of `sii latent`). */
export function latentBenchConfig(): LatentConfig {
  return {
    ...latentPreset('laptop', 'mass-spring'),
    system: 'mass-spring',
    seed: 0,
    inits: ['sii', 'baseline'],
    backend: 'wasm',
    scale: 'laptop',
  };
}

/** Seeded uniform numbers in [0, 1) (32-bit LCG; benchmark data only). */
function uniforms(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state + 0.5) / 4294967296;
  }
  return out;
}

/** Standard normals from uniforms (Box–Muller). */
function normals(count: number, seed: number): Float32Array {
  const u = uniforms(2 * Math.ceil(count / 2), seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u[i]));
    out[i] = r * Math.cos(2 * Math.PI * u[i + 1]);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u[i + 1]);
  }
  return out;
}

interface ModelStep {
  variables: Variable[];
  loss: () => Scalar;
  optimizer: NAdam | Adam;
  clipNorm: number | null;
  /** matrix-product FLOPs of one training step (forward + weight and input gradients) */
  flops: number;
  dispose: () => void;
}

/**
 * FLOPs of the forecast step: per window the encoder on u_0, T·stages field evaluations and T decoder
 * evaluations, each layer in·out multiply-adds forward, the same again for the weight gradients and
 * for the input gradients (2 FLOPs per multiply-add).
 */
export function forecastStepFlops(c: ForecastConfig, shape: ForecastBenchShape): number {
  const { states: n, hidden: H, layers: L, batch: B } = c;
  const mlp = (i: number, o: number) => i * H + (L - 2) * H * H + H * o;
  const stages = c.solver === 'midpoint' ? 2 : c.solver === 'rk4' ? 4 : 1;
  const macs = B * (mlp(shape.inputs, 2 * n) + shape.steps * stages * mlp(n + shape.inputs, n) + shape.steps * mlp(n, shape.outputs));
  return 2 * 3 * macs;
}

function forecastStep(shape: ForecastBenchShape): ModelStep {
  const c = forecastBenchConfig();
  const { states: n, batch: B } = c;
  const { steps: T, inputs: m, outputs: p } = shape;
  const model = new ForecastModel(
    {
      inputs: m,
      outputs: p,
      states: n,
      hidden: c.hidden,
      layers: c.layers,
      activation: c.activation,
      solver: c.solver,
      h: shape.h,
      eps: c.eps,
      compensation: c.compensation,
    },
    'sii',
    '0/run/0',
  );
  const u = tf.tensor3d(normals(T * B * m, 1), [T, B, m]);
  const y = tf.tensor3d(normals(T * B * p, 2), [T, B, p]);
  const eps = tf.tensor2d(normals(B * n, 3), [B, n]);
  return {
    variables: model.variables,
    loss: () => forecastLoss(model, u, y, eps, c.klWeight),
    optimizer: c.optimizer === 'adam' ? new Adam({ learningRate: c.lr }) : new NAdam({ learningRate: c.lr }),
    clipNorm: c.clip,
    flops: forecastStepFlops(c, shape),
    dispose: () => {
      model.dispose();
      tf.dispose([u, y, eps]);
    },
  };
}

function latentStep(): ModelStep {
  const c = latentBenchConfig();
  registerConvGradients();
  const model = buildLatentModel(c, 'sii', '0/run/0');
  const S = c.frameSize;
  const B = c.batch;
  const batch: LatentBatch = {
    inputs: tf.tensor5d(uniforms(B * c.inputFrames * S * S * 3, 1), [B, c.inputFrames, S, S, 3]),
    targets: tf.tensor5d(uniforms(B * c.horizon * S * S * 3, 2), [B, c.horizon, S, S, 3]),
    size: B,
  };
  return {
    variables: model.variables,
    loss: () => latentBatchLoss(model, c, batch, c.horizon),
    optimizer: new Adam({ learningRate: c.lr }),
    clipNorm: c.clip,
    flops: Number.NaN,
    dispose: () => {
      model.dispose();
      tf.dispose([batch.inputs, batch.targets]);
    },
  };
}

/** Time `iters` training steps (after `warmup`) of a paper model on the wasm backend, as the experiment runs them. */
export async function runModelStep(name: string, iters: number, warmup: number): Promise<SiiResult> {
  const shape = MODEL_CONFIGS[name];
  if (!shape) throw new RangeError(`unknown model configuration ${JSON.stringify(name)}; known: ${Object.keys(MODEL_CONFIGS).join(', ')}`);
  await initBackend({ backend: 'wasm' });
  const s = shape.kind === 'forecast' ? forecastStep(shape) : latentStep();
  const clip = s.clipNorm !== null ? { clipNorm: s.clipNorm } : {};
  const step = () => trainStep(s.loss, s.optimizer, { variables: s.variables, ...clip });
  let loss = Number.NaN;
  for (let i = 0; i < warmup; i++) loss = step().loss;
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    loss = step().loss;
    times.push(performance.now() - t0);
  }
  const kernelTimes: Record<string, [number, number]> = {};
  const info = await tf.profile(() => {
    step();
  });
  for (const k of info.kernels) {
    const e = kernelTimes[k.name] ?? [0, 0];
    kernelTimes[k.name] = e;
    e[0] += 1;
    e[1] += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  }
  s.optimizer.dispose();
  s.dispose();
  const med = median(times);
  return {
    config: name,
    backend: 'wasm',
    path: 'fast',
    medianMs: med,
    minMs: Math.min(...times),
    iters,
    gflops: s.flops / (med * 1e6),
    kernels: info.kernels.length,
    kernelTimes,
    peakMB: info.peakBytes / 2 ** 20,
    loss,
  };
}

/** The sizes and optimizer settings the PyTorch peer builds the same model with (its --spec). */
export function modelPeerSpec(name: string): Record<string, unknown> {
  const shape = MODEL_CONFIGS[name];
  if (!shape) throw new RangeError(`unknown model configuration ${JSON.stringify(name)}`);
  if (shape.kind === 'forecast') {
    const c = forecastBenchConfig();
    return {
      states: c.states,
      inputs: shape.inputs,
      outputs: shape.outputs,
      hidden: c.hidden,
      layers: c.layers,
      steps: shape.steps,
      batch: c.batch,
      h: shape.h,
      optimizer: c.optimizer,
      lr: c.lr,
      clip: c.clip,
      klWeight: c.klWeight,
    };
  }
  const c = latentBenchConfig();
  return {
    states: c.states,
    hidden: c.hidden,
    layers: c.layers,
    frameSize: c.frameSize,
    inputFrames: c.inputFrames,
    horizon: c.horizon,
    batch: c.batch,
    h: c.h,
    lr: c.lr,
    clip: c.clip,
  };
}
