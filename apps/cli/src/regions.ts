/** Stability-region outlines from @sii/rk for the figures. */
import { getTableau, stabilityBoundary, stabilityPolynomial } from '@sii/rk';
import { METHOD_COLORS, type RegionCurve } from './charts.js';

/** Default nested set of the paper's first figure. */
export const DEFAULT_REGION_METHODS = ['euler', 'midpoint', 'kutta3', 'rk4'] as const;

/** Region curves, largest region first (drawn underneath). */
export function regionCurves(methods: readonly string[], points = 400): RegionCurve[] {
  return methods
    .map((name) => {
      const R = stabilityPolynomial(getTableau(name));
      return { name, boundary: stabilityBoundary(R, { points }), color: METHOD_COLORS[name], degree: R.length };
    })
    .sort((a, b) => b.degree - a.degree)
    .map(({ name, boundary, color }) => ({ name, boundary, color }));
}
