import { type Complex, isComplexArray } from './complex.js';
import { denseMatrix } from './dense.js';
import { eigenvalues } from './eigen.js';

const EPS = 2 ** -52;

/** p(z) and p'(z) by Horner's rule for complex coefficients stored as (re[], im[]), ascending. */
function hornerWithDerivative(cr: Float64Array, ci: Float64Array, zr: number, zi: number) {
  let pr = 0;
  let pi = 0;
  let dr = 0;
  let di = 0;
  for (let k = cr.length - 1; k >= 0; k--) {
    // p' ← p' z + p ; p ← p z + c_k
    const ndr = dr * zr - di * zi + pr;
    di = dr * zi + di * zr + pi;
    dr = ndr;
    const npr = pr * zr - pi * zi + cr[k];
    pi = pr * zi + pi * zr + ci[k];
    pr = npr;
  }
  return { pr, pi, dr, di };
}

/** Σ |c_k| r^k: scale of the rounding error of Horner's rule at |z| = r. */
function absPoly(ca: Float64Array, r: number): number {
  let s = 0;
  for (let k = ca.length - 1; k >= 0; k--) s = s * r + ca[k];
  return s;
}

/**
 * Initial points for Aberth–Ehrlich (Bini 1996): circles whose radii come from the upper convex hull of
 * the points (k, log|c_k|); an edge from k_i to k_j carries j − i points on radius (|c_i|/|c_j|)^{1/(j−i)}.
 */
function initialPoints(ca: Float64Array): Complex[] {
  const deg = ca.length - 1;
  const hull: number[] = [];
  for (let k = 0; k <= deg; k++) {
    if (ca[k] === 0) continue;
    const y = Math.log(ca[k]);
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      const ya = Math.log(ca[a]);
      const yb = Math.log(ca[b]);
      // b is not above the segment a–k: drop it.
      if ((yb - ya) * (k - a) <= (y - ya) * (b - a)) hull.pop();
      else break;
    }
    hull.push(k);
  }
  const pts: Complex[] = [];
  const sigma = 0.7;
  for (let e = 0; e + 1 < hull.length; e++) {
    const i = hull[e];
    const j = hull[e + 1];
    const m = j - i;
    const u = (ca[i] / ca[j]) ** (1 / m);
    for (let q = 0; q < m; q++) {
      const t = (2 * Math.PI * q) / m + (2 * Math.PI * i) / deg + sigma;
      pts.push({ re: u * Math.cos(t), im: u * Math.sin(t) });
    }
  }
  return pts;
}

/** Aberth–Ehrlich simultaneous iteration; stops per root when the backward error is at rounding level. */
function aberth(cr: Float64Array, ci: Float64Array): Complex[] {
  const deg = cr.length - 1;
  const ca = Float64Array.from(cr, (x, k) => Math.hypot(x, ci[k]));
  const z = initialPoints(ca);
  const zr = Float64Array.from(z, (w) => w.re);
  const zi = Float64Array.from(z, (w) => w.im);
  const done = new Uint8Array(deg);
  const tol = 4 * (deg + 1) * EPS;
  for (let iter = 0; iter < 500; iter++) {
    let active = 0;
    for (let j = 0; j < deg; j++) {
      if (done[j]) continue;
      const { pr, pi, dr, di } = hornerWithDerivative(cr, ci, zr[j], zi[j]);
      if (Math.hypot(pr, pi) <= tol * absPoly(ca, Math.hypot(zr[j], zi[j]))) {
        done[j] = 1;
        continue;
      }
      active++;
      // S = Σ_{k≠j} 1/(z_j − z_k);  w = p / (p' − p·S)  (Aberth correction)
      let sr = 0;
      let si = 0;
      for (let k = 0; k < deg; k++) {
        if (k === j) continue;
        const ar = zr[j] - zr[k];
        const ai = zi[j] - zi[k];
        const m = ar * ar + ai * ai;
        sr += ar / m;
        si -= ai / m;
      }
      const denr = dr - (pr * sr - pi * si);
      const deni = di - (pr * si + pi * sr);
      const dm = denr * denr + deni * deni;
      if (dm === 0 || !Number.isFinite(dm)) {
        // Degenerate step: nudge the point and retry next sweep.
        zr[j] += (1 + Math.abs(zr[j])) * 1e-8;
        continue;
      }
      zr[j] -= (pr * denr + pi * deni) / dm;
      zi[j] -= (pi * denr - pr * deni) / dm;
    }
    if (active === 0) break;
  }
  return Array.from(zr, (re, k) => ({ re, im: zi[k] }));
}

/**
 * Newton polishing z ← z − p(z)/p'(z), at most `steps` times, accepting a step only if it lowers |p|
 * and is below 10⁻³ × the distance to the nearest other root estimate (well-separated roots only).
 */
function polish(cr: Float64Array, ci: Float64Array, roots: Complex[], j: number, steps: number): Complex {
  let { re, im } = roots[j];
  let near = Number.POSITIVE_INFINITY;
  for (let k = 0; k < roots.length; k++) {
    if (k !== j) near = Math.min(near, Math.hypot(re - roots[k].re, im - roots[k].im));
  }
  let h = hornerWithDerivative(cr, ci, re, im);
  for (let s = 0; s < steps; s++) {
    const dm = h.dr * h.dr + h.di * h.di;
    const pm = Math.hypot(h.pr, h.pi);
    if (dm === 0 || pm === 0) break;
    const stepR = (h.pr * h.dr + h.pi * h.di) / dm;
    const stepI = (h.pi * h.dr - h.pr * h.di) / dm;
    // A step that is not tiny against the root separation means a cluster (multiple root): Newton
    // would only shuffle the cluster at noise level, so leave it alone.
    if (Math.hypot(stepR, stepI) > 1e-3 * near) break;
    const nr = re - stepR;
    const ni = im - stepI;
    const h2 = hornerWithDerivative(cr, ci, nr, ni);
    if (!(Math.hypot(h2.pr, h2.pi) < pm)) break;
    re = nr;
    im = ni;
    h = h2;
  }
  return { re, im };
}

/**
 * Roots of p(z) = Σ_k c_k z^k (coefficients ascending, real numbers or `Complex`).
 *
 * - Leading (highest-degree) zero coefficients are trimmed; exact zero roots (c_0 = 0, …) are split off.
 * - A nonzero constant has no roots: returns []. The zero polynomial (or an empty list) throws.
 * - Real coefficients (also `Complex[]` whose imaginary parts are all 0): eigenvalues of the balanced
 *   companion matrix, then ≤ 3 guarded Newton steps; non-real roots come in exactly conjugate
 *   adjacent pairs, ordered like {@link eigenvalues}.
 * - Complex coefficients: Aberth–Ehrlich iteration from Newton-polygon starting circles, stopped at
 *   backward error 4(d+1)·ε·Σ|c_k||z|^k, then ≤ 3 guarded Newton steps; sorted by descending real
 *   part, then descending imaginary part.
 * Roots of multiplicity m are accurate to about ε^{1/m} (relative), as for any floating-point method.
 */
export function polyRoots(coeffsAscending: ArrayLike<number> | readonly Complex[]): Complex[] {
  const c = coeffsAscending;
  if (c === null || typeof c !== 'object' || typeof c.length !== 'number') {
    throw new TypeError('polyRoots: coeffsAscending must be an array of numbers or of Complex');
  }
  const len = c.length;
  const cr = new Float64Array(len);
  const ci = new Float64Array(len);
  const complexInput = isComplexArray(c);
  for (let k = 0; k < len; k++) {
    const v = c[k];
    if (complexInput) {
      const w = v as Complex;
      if (w === null || typeof w !== 'object' || !Number.isFinite(w.re) || !Number.isFinite(w.im)) {
        throw new RangeError(`polyRoots: coefficient ${k} must be a finite Complex, got ${JSON.stringify(w)}`);
      }
      cr[k] = w.re;
      ci[k] = w.im;
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RangeError(`polyRoots: coefficient ${k} must be a finite number, got ${String(v)}`);
      }
      cr[k] = v;
    }
  }
  let hi = len - 1;
  while (hi >= 0 && cr[hi] === 0 && ci[hi] === 0) hi--;
  if (hi < 0) throw new RangeError(`polyRoots: the zero polynomial has no isolated roots (coefficients ${JSON.stringify(Array.from(cr))})`);
  let lo = 0;
  while (cr[lo] === 0 && ci[lo] === 0) lo++;
  const zeroRoots: Complex[] = [];
  for (let k = 0; k < lo; k++) zeroRoots.push({ re: 0, im: 0 });
  const pr = cr.slice(lo, hi + 1);
  const pi = ci.slice(lo, hi + 1);
  const deg = hi - lo;
  if (deg === 0) return zeroRoots;

  if (pi.every((x) => x === 0)) {
    const roots = realRoots(pr, pi, deg);
    // zero roots have real part 0: merge them into the order of the others
    return sortRealOrder([...roots, ...zeroRoots]);
  }
  const raw = aberth(pr, pi);
  const roots = raw.map((_, j) => polish(pr, pi, raw, j, 3));
  roots.push(...zeroRoots);
  return roots.sort((a, b) => b.re - a.re || b.im - a.im);
}

function realRoots(pr: Float64Array, pi: Float64Array, deg: number): Complex[] {
  if (deg === 1) return [{ re: -pr[0] / pr[1], im: 0 }];
  // Companion matrix of the monic polynomial z^d + Σ a_k z^k, a_k = c_k / c_d:
  // ones on the subdiagonal, −a_k in the last column (its characteristic polynomial is p / c_d).
  const C = denseMatrix(deg, deg);
  for (let i = 1; i < deg; i++) C.data[i * deg + i - 1] = 1;
  for (let k = 0; k < deg; k++) C.data[k * deg + deg - 1] = -pr[k] / pr[deg];
  const est = eigenvalues(C);
  const out: Complex[] = [];
  for (let j = 0; j < deg; j++) {
    const e = est[j];
    if (e.im < 0) continue; // the conjugate partner is re-created from the polished upper one
    let z = polish(pr, pi, est, j, 3);
    if (e.im === 0) z = { re: z.re, im: 0 };
    else if (z.im <= 0) z = e; // keep a genuine pair in the upper half plane
    out.push(z);
    if (e.im > 0) out.push({ re: z.re, im: -z.im });
  }
  return out;
}

/** Order of {@link eigenvalues}: descending real part, conjugate pairs adjacent (+ω first). */
function sortRealOrder(roots: Complex[]): Complex[] {
  const units = roots.filter((z) => z.im >= 0);
  units.sort((u, v) => v.re - u.re || v.im - u.im);
  const out: Complex[] = [];
  for (const u of units) {
    out.push(u);
    if (u.im > 0) out.push({ re: u.re, im: -u.im });
  }
  return out;
}
