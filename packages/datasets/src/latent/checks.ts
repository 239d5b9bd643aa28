/** Small argument checks shared by the latent, systems and teacher generators. */

import { showValue as show } from '@sii/linalg';

/** Throws a RangeError unless `value` is an integer in [min, max]. */
export function checkInt(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`${name} must be an integer ${range}, got ${show(value)}`);
  }
  return value;
}

/** Throws a RangeError unless `value` is a finite number > 0. */
export function checkPositive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, got ${show(value)}`);
  }
  return value;
}

/** Throws a RangeError unless `value` is a finite number >= 0. */
export function checkNonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${show(value)}`);
  }
  return value;
}

/** Throws a RangeError unless `value` is a finite number. */
export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number, got ${show(value)}`);
  }
  return value;
}

/** Throws a RangeError unless `value` is a pair [lo, hi] of finite numbers with min <= lo <= hi. */
export function checkRange(name: string, value: unknown, min = -Infinity): readonly [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    typeof value[0] !== 'number' ||
    typeof value[1] !== 'number' ||
    !Number.isFinite(value[0]) ||
    !Number.isFinite(value[1]) ||
    value[0] > value[1] ||
    value[0] < min
  ) {
    const lower = min === -Infinity ? '' : ` with lo >= ${min}`;
    throw new RangeError(`${name} must be [lo, hi] with finite lo <= hi${lower}, got ${show(value)}`);
  }
  return [value[0], value[1]];
}

/** Throws a TypeError unless `value` is a non-empty string or a finite number (a seed). */
export function checkSeed(name: string, value: unknown): number | string {
  if ((typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length > 0)) {
    return value;
  }
  throw new TypeError(`${name} must be a finite number or a non-empty string, got ${show(value)}`);
}

/** Throws a RangeError unless `value` is one of `allowed`. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${show(value)}`);
  }
  return value as T;
}

/** rng.uniform(lo, hi) that also accepts lo === hi (returns lo without drawing). */
export function uniformIn(rng: { uniform(lo: number, hi: number): number }, lo: number, hi: number): number {
  return hi > lo ? rng.uniform(lo, hi) : lo;
}
