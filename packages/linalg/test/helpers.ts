import { expect } from 'vitest';
import { type Complex, cabs, csub } from '../src/index.js';

/**
 * Expect `got` to be the multiset `want` up to `tol`: each computed value is paired with its nearest
 * unpaired wanted one, at distance ≤ tol (or ≤ tol·max(1, |want|) when `relative`).
 */
export function matchSets(got: Complex[], want: Complex[], tol: number, relative = false): void {
  expect(got).toHaveLength(want.length);
  const left = [...want];
  for (const z of got) {
    let best = 0;
    for (let k = 1; k < left.length; k++) if (cabs(csub(z, left[k])) < cabs(csub(z, left[best]))) best = k;
    expect(cabs(csub(z, left[best]))).toBeLessThanOrEqual(relative ? tol * Math.max(1, cabs(left[best])) : tol);
    left.splice(best, 1);
  }
}
