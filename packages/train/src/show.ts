/** A value as an error message shows it (tensors by shape, arrays abbreviated). */
import * as tf from '@tensorflow/tfjs-core';

export function show(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v == null) return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof tf.Tensor) return `Tensor[${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `[${v.slice(0, 6).map(show).join(', ')}${v.length > 6 ? ', …' : ''}]`;
  return Object.prototype.toString.call(v);
}

/** Throw unless `v` is a finite number > 0 (or >= 0 when `orZero`). */
export function checkPositive(where: string, arg: string, v: unknown, orZero = false): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!orZero && v === 0)) {
    throw new RangeError(`${where}: ${arg} must be a finite number ${orZero ? '>=' : '>'} 0, got ${show(v)}`);
  }
}

/** Throw unless `v` is an integer >= min. */
export function checkInt(where: string, arg: string, v: unknown, min: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${where}: ${arg} must be an integer >= ${min}, got ${show(v)}`);
  }
}
