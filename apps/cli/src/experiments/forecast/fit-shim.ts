// TEMPORARY stand-in for @sii/train's fit() until that package is merged (same option names).
import type { Rng as RngT } from '@sii/linalg';
import { Rng } from '@sii/linalg';
import { type Optimizer, trainStep } from '@sii/neural-ode';
import type { Scalar, Variable } from '@tensorflow/tfjs-core';

export interface ShimFitOptions<B> {
  variables: readonly Variable[];
  optimizer: Optimizer;
  epochs: number;
  batches: (epoch: number, rng: RngT) => Iterable<B>;
  loss: (batch: B, epoch: number) => Scalar;
  disposeBatch?: (batch: B) => void;
  clipNorm?: number;
  schedule?: { factor(step: number): number };
  validate?: (epoch: number) => Record<string, number>;
  seed: string;
  onEpoch?: (info: { epoch: number; trainLoss: number; metrics: Record<string, number> }) => void;
}

export function fit<B>(o: ShimFitOptions<B>) {
  const rng = new Rng(o.seed).fork('batches');
  const lr0 = o.optimizer.learningRate;
  const initial = o.validate?.(0) ?? {};
  const trainCurve: number[] = [];
  const valCurves: Record<string, number[]> = {};
  let diverged: { epoch: number; reason: string } | undefined;
  let epochsRun = 0;
  for (let e = 1; e <= o.epochs && !diverged; e++) {
    o.optimizer.learningRate = lr0 * (o.schedule?.factor(e - 1) ?? 1);
    let sum = 0;
    let count = 0;
    for (const b of o.batches(e, rng)) {
      try {
        const { loss } = trainStep(() => o.loss(b, e), o.optimizer, { variables: o.variables, ...(o.clipNorm ? { clipNorm: o.clipNorm } : {}) });
        if (!Number.isFinite(loss)) diverged = { epoch: e, reason: `training loss ${loss}` };
        sum += loss;
        count++;
      } finally {
        o.disposeBatch?.(b);
      }
      if (diverged) break;
    }
    const metrics = diverged ? {} : (o.validate?.(e) ?? {});
    trainCurve.push(sum / Math.max(1, count));
    for (const [k, v] of Object.entries(metrics)) (valCurves[k] ??= []).push(v);
    epochsRun = e;
    o.onEpoch?.({ epoch: e, trainLoss: sum / Math.max(1, count), metrics });
  }
  return { epochsRun, initial, trainCurve, valCurves, diverged };
}
