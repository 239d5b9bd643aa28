/** mse on bad input (found by fuzzing): empty tensors used to give an arbitrary number, not an error. */
import { initBackend } from '@sii/neural-ode';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mse } from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

describe('mse', () => {
  it('empty prediction and target throw naming the shape', () => {
    expect(() => mse(tf.zeros([0]), tf.zeros([0]))).toThrow('mse: prediction and target are empty (shape [0])');
    expect(() => mse(tf.zeros([2, 0]), tf.zeros([2, 0]))).toThrow('mse: prediction and target are empty (shape [2, 0])');
  });
  it('a hand-worked case: ((1−0)² + (2−4)² + (3−3)²)/3 = 5/3', () => {
    const v = mse(tf.tensor1d([1, 2, 3]), tf.tensor1d([0, 4, 3]));
    expect(v.dataSync()[0]).toBeCloseTo(5 / 3, 6);
  });
  it('different shapes throw naming both', () => {
    expect(() => mse(tf.zeros([2, 3]), tf.zeros([3, 2]))).toThrow('mse: prediction shape [2, 3] differs from target shape [3, 2]');
  });
});
