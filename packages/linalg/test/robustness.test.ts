/** Bad input found by fuzzing the built package: silent garbage before, a clear error now. */
import { describe, expect, it } from 'vitest';
import { eigenvalues, fromRows, Rng } from '../src/index.js';

describe('Rng.uniform / fillUniform with a width hi − lo that overflows', () => {
  it('throws naming lo and hi (it returned lo on every call)', () => {
    expect(() => new Rng(1).uniform(-1e308, 1e308)).toThrow('uniform: hi − lo overflows, got lo=-1e+308, hi=1e+308');
    expect(() => new Rng(1).fillUniform(new Float64Array(3), -Number.MAX_VALUE, Number.MAX_VALUE)).toThrow(
      /fillUniform: hi − lo overflows/,
    );
  });
  it('the widest finite width still samples the whole interval', () => {
    const g = new Rng(2);
    const xs = Array.from({ length: 64 }, () => g.uniform(-8e307, 8e307));
    expect(xs.every((x) => x >= -8e307 && x < 8e307)).toBe(true);
    expect(xs.some((x) => x > 0)).toBe(true);
    expect(xs.some((x) => x < 0)).toBe(true);
  });
});

describe('fromRows with entries that are not numbers', () => {
  it('throws naming the entry (a string became NaN silently)', () => {
    expect(() => fromRows([[1, 'a' as unknown as number]])).toThrow('fromRows: rows[0][1] must be a number, got "a"');
    expect(() =>
      eigenvalues([
        [1, 2],
        [null as unknown as number, 4],
      ]),
    ).toThrow('fromRows: rows[1][0] must be a number, got null');
  });
  it('NaN (a number) is still stored; the finiteness check belongs to the consumers', () => {
    expect(Number.isNaN(fromRows([[Number.NaN]]).data[0])).toBe(true);
    expect(() => eigenvalues([[Number.NaN]])).toThrow('eigenvalues: a[0][0] must be finite, got NaN');
  });
});
