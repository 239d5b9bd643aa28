import { describe, expect, it } from 'vitest';
import { complexToInput, parseComplex, parseComplexList } from '../src/complex-input.js';

describe('parseComplex', () => {
  it.each([
    ['-2', -2, 0],
    ['-1+3i', -1, 3],
    ['-0.5 - 2.5i', -0.5, -2.5],
    ['4i', 0, 4],
    ['-i', 0, -1],
    ['1e-1-2e1j', 0.1, -20],
    ['−3+i', -3, 1],
  ])('%s', (text, re, im) => {
    expect(parseComplex(text)).toEqual({ re, im });
  });

  it('rejects text that is not a complex number, naming it', () => {
    expect(() => parseComplex('abc')).toThrow(/"abc"/);
    expect(() => parseComplex('1+2')).toThrow(/"1\+2"/);
  });

  it('rejects numbers that overflow to Infinity', () => {
    expect(() => parseComplex('1e999')).toThrow('pole: "1e999" is not finite');
    expect(() => parseComplex('-1+1e400i')).toThrow('pole: "-1+1e400i" is not finite');
    expect(() => parseComplexList('-1, -2-1e309i')).toThrow(/"-2-1e309i" is not finite/);
  });

  it('reads lists and round-trips through complexToInput', () => {
    const list = parseComplexList('-5+20i, -25; 0.25-0.125i');
    expect(list).toEqual([
      { re: -5, im: 20 },
      { re: -25, im: 0 },
      { re: 0.25, im: -0.125 },
    ]);
    expect(parseComplexList(list.map(complexToInput).join(','))).toEqual(list);
  });
});
