import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, MlpVectorField } from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

describe('MlpVectorField lifecycle', () => {
  it('holds exactly one tensor per variable and releases all of them on dispose', () => {
    const before = tf.memory().numTensors;
    const f = new MlpVectorField({ states: 3, inputs: 2, hidden: 8, layers: 3, activation: 'silu' });
    // 3 layers × (weight + bias): the initial-value tensors must not outlive construction
    expect(tf.memory().numTensors - before).toBe(6);
    f.setWeights(f.getWeights());
    expect(tf.memory().numTensors - before).toBe(6);
    f.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
