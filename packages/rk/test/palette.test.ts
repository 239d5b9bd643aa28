import { describe, expect, it } from 'vitest';
import {
  INIT_COLORS,
  METHOD_COLORS,
  methodColor,
  methodRegions,
  regionsSvg,
  stabilityAbs,
  tableauNames,
  taylorPolynomial,
} from '../src/index.js';

describe('palette', () => {
  it('gives every registered method its own colour, and the inits two more', () => {
    const names = tableauNames();
    for (const n of names) expect(METHOD_COLORS[n], n).toMatch(/^#[0-9a-f]{6}$/);
    const all = [...names.map((n) => METHOD_COLORS[n]), INIT_COLORS.sii, INIT_COLORS.baseline];
    expect(new Set(all).size).toBe(all.length);
  });

  it('is used by regionsSvg when no colour is given (euler red, rk4 blue)', () => {
    const svg = regionsSvg({
      methods: [
        { name: 'euler', R: taylorPolynomial(1) },
        { name: 'rk4', R: taylorPolynomial(4) },
      ],
    });
    expect(svg).toMatch(/data-method="euler"[^>]*fill="#d62728"/);
    expect(svg).toMatch(/data-method="rk4"[^>]*fill="#1f77b4"/);
  });

  it('gives unknown names a stable fallback colour', () => {
    expect(methodColor('my-method')).toBe(methodColor('my-method'));
    expect(methodColor('my-method')).toMatch(/^#[0-9a-f]{6}$/);
  });
});

describe('methodRegions', () => {
  it('orders regions largest first and puts every boundary point on |R| = 1', () => {
    const regions = methodRegions(['euler', 'rk4', 'midpoint'], { points: 64 });
    expect(regions.map((r) => r.name)).toEqual(['rk4', 'midpoint', 'euler']);
    expect(regions.map((r) => r.R.length)).toEqual([5, 3, 2]);
    expect(regions[2].color).toBe(METHOD_COLORS.euler);
    for (const r of regions) for (const c of r.boundary) for (const z of c) expect(stabilityAbs(r.R, z.re, z.im)).toBeCloseTo(1, 8);
    // Euler's boundary is the circle |1 + z| = 1: its leftmost point is z = −2.
    const xs = regions[2].boundary.flat().map((z) => z.re);
    expect(Math.min(...xs)).toBeCloseTo(-2, 3);
  });

  it('names an unknown method', () => {
    expect(() => methodRegions(['nope'])).toThrow(/nope/);
  });
});
