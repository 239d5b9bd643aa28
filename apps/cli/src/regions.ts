/** Stability-region outlines for the figures: the curves and colours of @sii/rk's methodRegions. */
import { methodRegions } from '@sii/rk';
import type { RegionCurve } from './charts.js';

/** Default nested set of the paper's first figure. */
export const DEFAULT_REGION_METHODS = ['euler', 'midpoint', 'kutta3', 'rk4'] as const;

/** Region curves, largest region first (drawn underneath). */
export function regionCurves(methods: readonly string[], points = 400): RegionCurve[] {
  return methodRegions(methods, { points }).map(({ name, boundary, color }) => ({ name, boundary, color }));
}
