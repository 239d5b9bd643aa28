/** One training step of a benchmark configuration on @sii/neural-ode, timed. */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { defaultWeights } from '@sii/mlp';
import {
  type FastRolloutEngine,
  fastRollout,
  initBackend,
  MlpVectorField,
  NeuralODE,
  startSimdThreads,
  stopSimdThreads,
} from '@sii/neural-ode';
import { fastRolloutEngine } from '@sii/neural-ode/internal';
import { Adam, DataParallelTrainer, mse, NAdam, RolloutStep, trainStep } from '@sii/train';
import { type BenchConfig, benchSpec, stepFlops } from './configs.js';

/**
 * 'fast': the fast rollout with its default engine ('auto'); 'fast-simd' / 'fast-tfjs': with the
 * engine forced (the package's WebAssembly SIMD kernels / tfjs kernels); 'fast×N': 'fast' on N
 * threads (SIMD engine: rollouts split by rows, startSimdThreads; tfjs engine: data-parallel
 * replicas, DataParallelTrainer); 'plain': the per-op autodiff path.
 */
export type BasePath = 'plain' | 'fast' | 'fast-simd' | 'fast-tfjs';
export const BASE_PATHS: readonly BasePath[] = ['fast', 'fast-simd', 'fast-tfjs', 'plain'];
export type PathName = BasePath | `fast×${number}`;

function engineOf(path: BasePath): FastRolloutEngine {
  return path === 'fast-simd' ? 'simd' : path === 'fast-tfjs' ? 'tfjs' : 'auto';
}
export type BackendName = 'wasm' | 'cpu';

export interface SiiResult {
  config: string;
  backend: BackendName;
  path: PathName;
  medianMs: number;
  minMs: number;
  iters: number;
  gflops: number;
  kernels: number;
  /**
   * What took the steps: 'simd' — the whole step in the SIMD module (RolloutStep, as fit() takes it);
   * 'tfjs' — the rollout on the tape and trainStep.
   */
  stepEngine?: 'simd' | 'tfjs';
  /** Process CPU time (user + system) per timed step, ms: on a loaded machine a better measure than wall time. */
  cpuMs?: number;
  /** Kernel-time breakdown of one profiled step: kernel name → [count, total ms]. */
  kernelTimes: Record<string, [number, number]>;
  peakMB: number;
  loss: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** Seeded standard normals (Box–Muller over a 32-bit LCG; benchmark data only). */
function normals(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next()));
    const t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t);
    if (i + 1 < count) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/**
 * Time `iters` training steps (after `warmup`) of configuration `c` on `backend` with the plain
 * autodiff path (per-op tape, field in 'autodiff' mode) or the fast path (fastRollout); with
 * replicas > 1 the fast path data-parallel over that many replicas (this thread + worker threads).
 */
export async function runSii(
  c: BenchConfig,
  backend: BackendName,
  basePath: BasePath,
  iters: number,
  warmup: number,
  replicas = 1,
): Promise<SiiResult> {
  const path: PathName = replicas > 1 ? `fast×${replicas}` : basePath;
  await initBackend({ backend });
  const spec = benchSpec(c);
  const field = new MlpVectorField(spec, defaultWeights(spec, 0), { gradMode: basePath !== 'plain' ? 'custom' : 'autodiff' });
  const ode = new NeuralODE(field, {
    method: c.method,
    step: c.h,
    fast: basePath !== 'plain',
    fastEngine: engineOf(basePath),
    checkFinite: false,
  });
  const { batch: B, T, n, m } = c;
  const x0 = tf.tensor2d(normals(B * n, 1), [B, n]);
  const u = m > 0 ? tf.tensor3d(normals(T * B * m, 2), [T, B, m]) : null;
  const target = c.loss === 'all' ? tf.tensor3d(normals(T * B * n, 3), [T, B, n]) : tf.tensor2d(normals(B * n, 3), [B, n]);
  const opt = c.opt === 'nadam' ? new NAdam({ learningRate: c.lr }) : new Adam({ learningRate: c.lr });
  const inputs: Tensor3D | number = u ?? T;
  const lossFn = (): Scalar => {
    let pred: Tensor;
    if (basePath !== 'plain') pred = fastRollout(ode, x0, inputs, { output: c.loss, engine: ode.fastEngine });
    else {
      const all = ode.rollout(x0, inputs);
      pred = c.loss === 'all' ? all : (tf.reshape(tf.slice(all, [T - 1, 0, 0], [1, B, n]), [B, n]) as Tensor2D);
    }
    return mse(pred, target);
  };
  const clip = c.clip > 0 ? { clipNorm: c.clip } : {};
  // Several threads: the SIMD engine splits each rollout by rows over worker threads
  // (startSimdThreads); the tfjs engine trains data-parallel replicas (DataParallelTrainer).
  const simdSplit = replicas > 1 && fastRolloutEngine(ode) === 'simd';
  if (simdSplit) await startSimdThreads(replicas);
  const trainer = replicas > 1 && !simdSplit ? await DataParallelTrainer.create(ode, opt, { replicas, loss: c.loss, ...clip }) : null;
  // One thread, fast path: the step fit() takes for a rollout loss (RolloutStep, engine 'auto': the
  // whole step in the SIMD module where it applies), on the data as the arrays they are.
  const rolloutStep = replicas === 1 && basePath !== 'plain' ? new RolloutStep({ ode, optimizer: opt, output: c.loss, ...clip }) : null;
  const arrays =
    rolloutStep?.engine === 'simd'
      ? {
          x0: x0.dataSync() as Float32Array,
          inputs: u ? (u.dataSync() as Float32Array) : T,
          target: target.dataSync() as Float32Array,
        }
      : { x0, inputs, target };
  const step = async (): Promise<{ loss: number }> =>
    trainer
      ? await trainer.step(x0, inputs, target)
      : rolloutStep
        ? rolloutStep.step(arrays)
        : trainStep(lossFn, opt, { variables: field.variables, ...clip });
  let loss = Number.NaN;
  for (let i = 0; i < warmup; i++) loss = (await step()).loss;
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    loss = (await step()).loss;
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  // One extra, profiled step: kernel count, per-kernel time, peak memory (profiling adds overhead;
  // data-parallel: this thread's kernels only).
  const kernelTimes: Record<string, [number, number]> = {};
  const info = await tf.profile(async () => {
    await step();
  });
  await trainer?.dispose();
  rolloutStep?.dispose();
  if (simdSplit) await stopSimdThreads();
  for (const k of info.kernels) {
    const e = kernelTimes[k.name] ?? [0, 0];
    kernelTimes[k.name] = e;
    e[0] += 1;
    e[1] += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  }
  opt.dispose();
  field.dispose();
  tf.dispose([x0, target, ...(u ? [u] : [])]);
  const med = median(times);
  return {
    config: c.name,
    backend,
    path,
    medianMs: med,
    minMs: Math.min(...times),
    iters,
    gflops: stepFlops(c) / (med * 1e6),
    stepEngine: rolloutStep?.engine ?? 'tfjs',
    cpuMs: (cpu.user + cpu.system) / 1000 / iters,
    kernels: info.kernels.length,
    kernelTimes,
    peakMB: info.peakBytes / 2 ** 20,
    loss,
  };
}
