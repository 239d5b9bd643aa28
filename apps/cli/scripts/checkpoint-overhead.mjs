// Cost of one per-epoch arm checkpoint (what `sii worker` stores for pixel, latent and forecast units):
// a pixel arm's real FitState (its variables and Adam's moments after one step) at each scale, encoded
// as stored (JSON, gzip), its size, and the time to write it to a file (atomic: temp, fsync, rename) and
// to Redis (SET), plus the structured clone that carries it from the worker thread. CPU times from
// process.cpuUsage, wall times from hrtime; the median of `reps` repetitions.
//   node apps/cli/scripts/checkpoint-overhead.mjs [redis://127.0.0.1:6379/15] [reps]
// Needs the built CLI (pnpm --filter @sii/cli... build). Writes one key (sii:checkpoint:overhead:*) and
// a temporary file, both removed at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@sii/neural-ode';
import { Adam } from '@sii/train';
import * as tf from '@tensorflow/tfjs-core';
import { Redis } from 'ioredis';
import { encodeCheckpoint, makeCheckpoint } from '../dist/experiments/checkpoint.js';
import { PixelModel, pixelPreset } from '../dist/experiments/pixel.js';
import { writeFileAtomic } from '../dist/runfolder.js';

const url = process.argv[2];
const reps = Number(process.argv[3] ?? 5);
await initBackend();
const redis = url ? new Redis(url, { maxRetriesPerRequest: null }) : null;
const dir = mkdtempSync(join(tmpdir(), 'sii-ckpt-overhead-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = (f) => {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = f();
  const c = process.cpuUsage(c0);
  return { r, cpu: (c.user + c.system) / 1000, wall: Number(process.hrtime.bigint() - t0) / 1e6 };
};

for (const scale of ['tiny', 'laptop', 'paper']) {
  const preset = pixelPreset(scale, 'smnist');
  const config = { ...preset, seed: 0, inits: ['sii'], backend: 'wasm', scale, dataset: 'smnist', data: null, compensation: 'none' };
  const task = { kind: 'pixel', run: 0, runSeed: '0/run/0', init: 'sii', config };
  const features = preset.pixelsPerStep;
  const model = new PixelModel(config, features, 10, 'sii', task.runSeed);
  const vars = model.variables;
  const opt = new Adam({ learningRate: preset.lr });
  const grads = vars.map((v) => tf.mul(v, 1e-3));
  opt.step(vars, grads);
  tf.dispose(grads);
  const params = vars.reduce((s, v) => s + v.size, 0);
  const E = preset.epochs;
  const fitState = {
    format: 'sii-fit-state',
    version: 1,
    epoch: Math.ceil(E / 2),
    learningRate: preset.lr,
    optimizer: opt.getState(vars),
    rng: [1, 2, 3, 4],
    variables: vars.map((v) => ({ shape: v.shape, values: Array.from(v.dataSync()) })),
    initial: { accuracy: 0.1 },
    trainCurve: Array.from({ length: Math.ceil(E / 2) }, () => Math.random()),
    valCurves: { accuracy: Array.from({ length: Math.ceil(E / 2) }, () => Math.random()) },
    best: { epoch: 1, value: 0.5 },
    badEpochs: 0,
    reference: null,
  };
  const ckpt = makeCheckpoint(task, fitState, { curves: { trainLoss: fitState.trainCurve, testAccuracy: fitState.valCurves.accuracy } });
  const rows = { clone: [], encode: [], file: [], redis: [] };
  let bytes;
  for (let i = 0; i < reps; i++) {
    rows.clone.push(cpuMs(() => structuredClone(ckpt)).cpu);
    const e = cpuMs(() => encodeCheckpoint(ckpt));
    bytes = e.r;
    rows.encode.push(e.cpu);
    rows.file.push(cpuMs(() => writeFileAtomic(join(dir, 'c.json.gz'), bytes)).wall);
    if (redis) {
      const t0 = process.hrtime.bigint();
      await redis.set('sii:checkpoint:overhead:unit', bytes, 'EX', 600);
      rows.redis.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const mem = redis ? await redis.memory('USAGE', 'sii:checkpoint:overhead:unit') : null;
  const json = JSON.stringify(ckpt).length;
  console.log(
    `${scale}: ${params} parameters; checkpoint ${(json / 1e6).toFixed(2)} MB JSON, ${(bytes.length / 1e6).toFixed(2)} MB gzip` +
      `${mem ? ` (Redis MEMORY USAGE ${(mem / 1e6).toFixed(2)} MB)` : ''}; per epoch: clone ${median(rows.clone).toFixed(1)} ms CPU,` +
      ` encode ${median(rows.encode).toFixed(1)} ms CPU, file write ${median(rows.file).toFixed(1)} ms wall` +
      `${redis ? `, Redis SET ${median(rows.redis).toFixed(1)} ms wall` : ''}`,
  );
  opt.dispose();
  model.dispose();
}
if (redis) {
  await redis.del('sii:checkpoint:overhead:unit');
  redis.disconnect();
}
rmSync(dir, { recursive: true, force: true });
