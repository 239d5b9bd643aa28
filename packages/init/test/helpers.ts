// Test helpers computed independently of the package under test.
import type { Complex } from '@sii/linalg';

/** |p(z)| for real ascending coefficients, by complex Horner written out by hand. */
export function absPoly(coeffs: ArrayLike<number>, re: number, im: number): number {
  let ar = 0;
  let ai = 0;
  for (let k = coeffs.length - 1; k >= 0; k--) {
    const nr = ar * re - ai * im + coeffs[k];
    ai = ar * im + ai * re;
    ar = nr;
  }
  return Math.hypot(ar, ai);
}

/** Σ_{k≤p} z^k/k! coefficients. */
export function taylor(p: number): number[] {
  const c = [1];
  for (let k = 1; k <= p; k++) c.push(c[k - 1] / k);
  return c;
}

/**
 * Greedy matching of computed eigenvalues to expected poles (closest pair first); returns the
 * largest relative error |λ − p| / |p| over the matching.
 */
export function maxMatchedRelError(actual: readonly Complex[], expected: readonly Complex[]): number {
  if (actual.length !== expected.length) throw new Error(`length mismatch ${actual.length} vs ${expected.length}`);
  const pairs: { i: number; j: number; d: number }[] = [];
  for (let i = 0; i < actual.length; i++) {
    for (let j = 0; j < expected.length; j++) {
      const d = Math.hypot(actual[i].re - expected[j].re, actual[i].im - expected[j].im);
      pairs.push({ i, j, d });
    }
  }
  pairs.sort((a, b) => a.d - b.d);
  const usedA = new Set<number>();
  const usedE = new Set<number>();
  let worst = 0;
  for (const { i, j, d } of pairs) {
    if (usedA.has(i) || usedE.has(j)) continue;
    usedA.add(i);
    usedE.add(j);
    const e = expected[j];
    worst = Math.max(worst, d / Math.hypot(e.re, e.im));
  }
  return worst;
}

export function scalePoles(poles: readonly Complex[], s: number): Complex[] {
  return poles.map((p) => ({ re: p.re * s, im: p.im * s }));
}
