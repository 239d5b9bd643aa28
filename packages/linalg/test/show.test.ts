import { describe, expect, it } from 'vitest';
import { showValue } from '../src/index.js';

describe('showValue', () => {
  it('shows primitives as String does and strings quoted', () => {
    expect([NaN, -Infinity, 1.5, true, null, undefined, 3n].map(showValue)).toEqual([
      'NaN',
      '-Infinity',
      '1.5',
      'true',
      'null',
      'undefined',
      '3',
    ]);
    expect(showValue('a"b')).toBe('"a\\"b"');
  });

  it('shows arrays and typed arrays by their first six entries, nested values by the same rule', () => {
    expect(showValue([1, 'x', [2, 3]])).toBe('[1, "x", [2, 3]]');
    expect(showValue([1, 2, 3, 4, 5, 6, 7])).toBe('[1, 2, 3, 4, 5, 6, …]');
    expect(showValue(Float64Array.of(0.5, NaN))).toBe('Float64Array [0.5, NaN]');
    expect(showValue([])).toBe('[]');
  });

  it('shows tensors by shape, functions by name, plain objects as JSON, class instances by class', () => {
    expect(showValue({ shape: [2, 3], dtype: 'float32', dataSync: () => [] })).toBe('Tensor[2, 3]');
    expect(showValue(function relu() {})).toBe('[function relu]');
    expect(showValue({ a: 1, b: [2] })).toBe('{"a":1,"b":[2]}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(showValue(cyclic)).toBe('[object Object]');
    expect(showValue(new Map())).toBe('[object Map]');
    class Tableau {}
    expect(showValue(new Tableau())).toBe('[object Tableau]');
  });

  it('cuts long texts at 200 characters', () => {
    const text = showValue('x'.repeat(500));
    expect(text).toHaveLength(201);
    expect(text.endsWith('…')).toBe(true);
    expect(showValue({ k: 'y'.repeat(300) })).toHaveLength(201);
  });
});
