/**
 * Per-epoch arm checkpoints (what `sii worker` stores so that a moved unit resumes): for each
 * experiment, a tiny arm stopped after epoch 1 and resumed from that checkpoint, passed through its
 * stored form (gzip'd JSON), gives exactly the numbers of the uninterrupted arm; a checkpoint of
 * another configuration, run or init is refused; tensors are not leaked.
 */
import { Rng } from '@sii/linalg';
import { initBackend } from '@sii/neural-ode';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ArmCheckpoint,
  checkCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  rngPosition,
  setRngPosition,
} from '../src/experiments/checkpoint.js';
import { forecastPreset } from '../src/experiments/forecast.js';
import { latentPreset } from '../src/experiments/latent.js';
import { pixelPreset } from '../src/experiments/pixel.js';
import type { ArmResult, ExperimentTask } from '../src/experiments/types.js';
import { runArm } from '../src/experiments/worker-entry.js';
import { jsonReplacer } from '../src/runfolder.js';

beforeAll(async () => {
  await initBackend();
});

const base = { seed: 0, inits: ['sii' as const, 'baseline' as const], backend: 'wasm' as const, scale: 'tiny' as const };
const tasks: Record<string, ExperimentTask> = {
  pixel: {
    kind: 'pixel',
    run: 0,
    runSeed: 'c',
    init: 'sii',
    config: { ...pixelPreset('tiny', 'smnist'), ...base, epochs: 3, dataset: 'smnist', data: null } as ExperimentTask['config'],
  },
  forecast: {
    kind: 'forecast',
    run: 0,
    runSeed: 'c',
    init: 'baseline',
    config: { ...forecastPreset('tiny'), ...base, epochs: 3, dataset: 'tanks', data: null } as ExperimentTask['config'],
  },
  latent: {
    kind: 'latent',
    run: 0,
    runSeed: 'c',
    init: 'sii',
    config: { ...latentPreset('tiny'), ...base, epochs: 2, system: 'mass-spring' } as ExperimentTask['config'],
  },
};

/** The arm's numbers as results.json holds them (everything but the wall time). */
const numbers = (r: ArmResult) => JSON.stringify({ ...r, wallMs: 0 }, jsonReplacer);

describe('arm checkpoints', () => {
  for (const [kind, task] of Object.entries(tasks)) {
    it(`${kind}: resumed after epoch 1 from its stored checkpoint equals the uninterrupted arm`, async () => {
      const saved: ArmCheckpoint[] = [];
      const full = await runArm(task, undefined, { resume: null, save: (c) => saved.push(c) });
      expect(full.error).toBeUndefined();
      expect(saved.map((c) => c.epoch)).toEqual(Array.from({ length: task.config.epochs }, (_, i) => i + 1));
      const plain = await runArm(task);
      expect(numbers(plain)).toBe(numbers(full)); // checkpointing itself changes nothing

      const stored = decodeCheckpoint(encodeCheckpoint(saved[0]));
      const checked = checkCheckpoint(task, stored);
      if (!('ok' in checked)) throw new Error(checked.refused);
      const before = tf.memory().numTensors;
      const epochs: number[] = [];
      const again: number[] = [];
      const resumed = await runArm(task, (e) => epochs.push(e), { resume: checked.ok, save: (c) => again.push(c.epoch) });
      expect(tf.memory().numTensors).toBe(before);
      expect(epochs[0]).toBe(2); // training went on at epoch 2, not 1
      expect(again).toEqual(Array.from({ length: task.config.epochs - 1 }, (_, i) => i + 2));
      expect(numbers(resumed)).toBe(numbers(full));
    }, 300_000);
  }

  it('refuses a checkpoint of another configuration, run or init, or past the epochs, naming why', async () => {
    const task = tasks.pixel;
    const saved: ArmCheckpoint[] = [];
    await runArm({ ...task, config: { ...task.config, epochs: 1 } }, undefined, { resume: null, save: (c) => saved.push(c) });
    const c = saved[0];
    // written by a 1-epoch configuration: the 3-epoch task refuses it
    expect(checkCheckpoint(task, c)).toEqual({ refused: expect.stringMatching(/^written for another configuration \(fingerprint/) });
    const same = { ...task, config: { ...task.config, epochs: 1 } };
    expect('ok' in checkCheckpoint(same, c)).toBe(true);
    expect('refused' in checkCheckpoint({ ...same, init: 'baseline' }, c)).toBe(true);
    expect('refused' in checkCheckpoint({ ...same, run: 1 }, c)).toBe(true);
    expect('refused' in checkCheckpoint({ ...same, config: { ...same.config, lr: 2e-3 } as ExperimentTask['config'] }, c)).toBe(true);
    expect(checkCheckpoint(same, { ...c, epoch: 2, fit: { ...c.fit, epoch: 2 } })).toEqual({ refused: 'epoch 2 is not within 1..1' });
    expect(checkCheckpoint(same, { format: 'other' })).toEqual({
      refused: 'not an arm checkpoint (format sii-arm-checkpoint, version 1)',
    });
  });

  it('puts a generator back at its position, including the cached second normal', () => {
    const a = new Rng('p').fork('noise');
    a.uniform();
    a.normal(); // leaves the pair's second value cached
    const pos = JSON.parse(JSON.stringify(rngPosition(a)));
    const b = new Rng('p').fork('noise');
    setRngPosition(b, pos, 'test');
    const draws = (r: Rng) => [r.normal(), r.normal(), r.uniform(), r.fork('x').uniform()];
    expect(draws(b)).toEqual(draws(a));
    expect(() => setRngPosition(b, { s: [1, 2], spare: null }, 'arm.noise')).toThrow(/arm.noise is not a generator position/);
  });
});
