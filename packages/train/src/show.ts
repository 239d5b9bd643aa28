/** Argument checks of @sii/train; values in messages are shown by @sii/linalg's showValue. */
import { showValue as show } from '@sii/linalg';

export { show };

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
