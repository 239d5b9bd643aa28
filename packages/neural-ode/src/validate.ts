/** Argument checks with messages that name the function, the argument and the offending value. */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { showValue as show } from '@sii/linalg';

export { show };

export function assertInt(where: string, arg: string, v: unknown, min: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${where}: ${arg} must be an integer >= ${min}, got ${show(v)}`);
  }
}

export function assertPositive(where: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`${where}: ${arg} must be a finite number > 0, got ${show(v)}`);
  }
}

export function assertFiniteNumbers(where: string, arg: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${where}: ${arg}[${i}] must be a finite number, got ${show(v)}`);
    }
  }
}

export function assertTensor(where: string, arg: string, t: unknown, rank?: number): asserts t is Tensor {
  if (!(t instanceof tf.Tensor)) {
    throw new TypeError(`${where}: ${arg} must be a tf.Tensor, got ${show(t)}`);
  }
  if (t.isDisposed) throw new Error(`${where}: ${arg} is a disposed tensor`);
  if (rank !== undefined && t.rank !== rank) {
    throw new RangeError(`${where}: ${arg} must have rank ${rank}, got shape [${t.shape.join(', ')}]`);
  }
  if (t.dtype !== 'float32') {
    throw new TypeError(`${where}: ${arg} must have dtype float32, got ${t.dtype}`);
  }
}

/** Throw when a tensor holds NaN or ±Infinity (one small synchronous read). */
export function assertFiniteTensor(where: string, arg: string, t: Tensor): void {
  const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(t))));
  const isBad = bad.dataSync()[0] === 1;
  bad.dispose();
  if (isBad) {
    throw new RangeError(`${where}: ${arg} contains NaN or Infinity (shape [${t.shape.join(', ')}])`);
  }
}

/**
 * Index of the first tensor holding NaN or ±Infinity, or −1: one synchronous read for all of them
 * (two small kernels per tensor and a stack).
 */
export function firstNonFinite(tensors: readonly Tensor[]): number {
  if (tensors.length === 0) return -1;
  const flags = tf.tidy(() => tf.stack(tensors.map((t) => tf.all(tf.isFinite(t)))));
  const ok = flags.dataSync();
  flags.dispose();
  for (let i = 0; i < ok.length; i++) if (ok[i] !== 1) return i;
  return -1;
}
