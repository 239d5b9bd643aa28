// One palette for every plot of the project (the CLI's figures, the web demo, regionsSvg): a method
// keeps its colour everywhere. Methods that share a stability polynomial get shades of one hue
// (midpoint/heun/ralston, kutta3/heun3/ssprk3, rk4/rk38).
import type { Complex } from '@sii/linalg';
import { getTableau } from './registry.js';
import { stabilityBoundary, stabilityPolynomial } from './stability.js';

/** Colour per registered method (hex). */
export const METHOD_COLORS: Readonly<Record<string, string>> = Object.freeze({
  euler: '#d62728',
  midpoint: '#ff7f0e',
  heun: '#f0a030',
  ralston: '#c05800',
  kutta3: '#2ca02c',
  heun3: '#78c26b',
  ssprk3: '#1b6e2a',
  rk4: '#1f77b4',
  rk38: '#6baed6',
  adaptive_heun: '#e377c2',
  bosh3: '#17becf',
  dopri5: '#9467bd',
  tsit5: '#8c564b',
});

/** Colour per initialization (SII vs the baseline), distinct from the method hues above. */
export const INIT_COLORS: Readonly<Record<string, string>> = Object.freeze({ sii: '#3949ab', baseline: '#a6611a' });

const FALLBACK = ['#7f7f7f', '#bcbd22', '#393b79', '#637939', '#843c39'];

/** A method's colour; names outside the palette get a stable grey/olive shade from their characters. */
export function methodColor(name: string): string {
  const c = METHOD_COLORS[name];
  if (c) return c;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return FALLBACK[h % FALLBACK.length];
}

export interface MethodRegion {
  name: string;
  color: string;
  /** Coefficients of the stability polynomial R(z). */
  R: Float64Array;
  /** Closed curves |R(z)| = 1 (see stabilityBoundary). */
  boundary: Complex[][];
}

/**
 * The stability regions of registered methods, ready to plot: polynomial, boundary curves and
 * colour, ordered by decreasing polynomial degree (largest region first, so smaller ones are drawn
 * on top). Every region plot of the project takes its curves from here.
 */
export function methodRegions(names: readonly string[], opts: { points?: number } = {}): MethodRegion[] {
  if (!Array.isArray(names)) throw new TypeError(`methodRegions: names must be an array of method names, got ${JSON.stringify(names)}`);
  return names
    .map((name) => {
      const R = stabilityPolynomial(getTableau(name));
      return { name, color: methodColor(name), R, boundary: stabilityBoundary(R, { points: opts.points ?? 400 }) };
    })
    .sort((a, b) => b.R.length - a.R.length);
}
