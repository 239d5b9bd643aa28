// Stability functions R(z) of explicit RK methods, stability intervals, region boundaries and the
// largest stable step for given poles.
import { type Complex, polyRoots } from '@sii/linalg';
import { getTableau, tableauNames } from './registry.js';
import type { ButcherTableau } from './tableau.js';

/** Ascending coefficients of the stability polynomial R(z) (length stages + 1 for explicit methods). */
export type StabilityFunction = Float64Array;

const EPS = 2 ** -52;

/**
 * Exact stability polynomial of an explicit tableau: R(z) = 1 + Σ_{k=1..s} (bᵀA^{k−1}𝟙) z^k
 * (METHOD.md §2; R(z) = 1 + z bᵀ(I − zA)⁻¹𝟙 expanded as a Neumann series, finite since A is nilpotent).
 */
export function stabilityPolynomial(t: ButcherTableau): StabilityFunction {
  const s = t.stages;
  const out = new Float64Array(s + 1);
  out[0] = 1;
  let v = new Float64Array(s).fill(1); // A^{k−1}𝟙
  for (let k = 1; k <= s; k++) {
    let acc = 0;
    for (let i = 0; i < s; i++) acc += t.b[i] * v[i];
    out[k] = acc;
    const next = new Float64Array(s);
    for (let i = 0; i < s; i++) {
      let x = 0;
      for (let j = 0; j < i; j++) x += t.a[i][j] * v[j];
      next[i] = x;
    }
    v = next;
  }
  return out;
}

/** Taylor polynomial of e^z of degree p: Σ_{k≤p} z^k/k! (the R of every p-stage method of order p ≤ 4). */
export function taylorPolynomial(p: number): StabilityFunction {
  if (!Number.isInteger(p) || p < 0) throw new RangeError(`taylorPolynomial: p must be an integer ≥ 0, got ${String(p)}`);
  const out = new Float64Array(p + 1);
  out[0] = 1;
  for (let k = 1; k <= p; k++) out[k] = out[k - 1] / k;
  return out;
}

function checkR(fn: string, R: unknown): ArrayLike<number> {
  if (R === null || typeof R !== 'object' || typeof (R as ArrayLike<number>).length !== 'number' || (R as ArrayLike<number>).length === 0) {
    throw new TypeError(`${fn}: R must be a non-empty array of ascending polynomial coefficients, got ${String(R)}`);
  }
  const r = R as ArrayLike<number>;
  for (let k = 0; k < r.length; k++) {
    if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) {
      throw new RangeError(`${fn}: R[${k}] must be a finite number, got ${String(r[k])}`);
    }
  }
  return r;
}

function checkComplex(fn: string, name: string, z: unknown): Complex {
  const w = z as Complex;
  if (w === null || typeof w !== 'object' || !Number.isFinite(w.re) || !Number.isFinite(w.im)) {
    throw new TypeError(`${fn}: ${name} must be a finite Complex {re, im}, got ${JSON.stringify(z)}`);
  }
  return w;
}

/** R(z) by Horner's rule. */
export function stabilityValue(R: ArrayLike<number>, z: Complex): Complex {
  checkR('stabilityValue', R);
  checkComplex('stabilityValue', 'z', z);
  let pr = 0;
  let pi = 0;
  for (let k = R.length - 1; k >= 0; k--) {
    const nr = pr * z.re - pi * z.im + R[k];
    pi = pr * z.im + pi * z.re;
    pr = nr;
  }
  return { re: pr, im: pi };
}

/** |R(re + i·im)| without allocating (hot loops: rejection sampling, rasterizing). */
export function stabilityAbs(R: ArrayLike<number>, re: number, im: number): number {
  let pr = 0;
  let pi = 0;
  for (let k = R.length - 1; k >= 0; k--) {
    const nr = pr * re - pi * im + R[k];
    pi = pr * im + pi * re;
    pr = nr;
  }
  return Math.hypot(pr, pi);
}

/** |R(z)| ≤ 1 + margin (margin < 0: strictly inside by |margin|). */
export function isStable(R: ArrayLike<number>, z: Complex, margin = 0): boolean {
  checkR('isStable', R);
  checkComplex('isStable', 'z', z);
  if (!Number.isFinite(margin)) throw new RangeError(`isStable: margin must be finite, got ${margin}`);
  return stabilityAbs(R, z.re, z.im) <= 1 + margin;
}

function hornerReal(p: ArrayLike<number>, x: number): number {
  let acc = 0;
  for (let k = p.length - 1; k >= 0; k--) acc = acc * x + p[k];
  return acc;
}

function hornerAbs(p: ArrayLike<number>, x: number): number {
  let acc = 0;
  for (let k = p.length - 1; k >= 0; k--) acc = acc * Math.abs(x) + Math.abs(p[k]);
  return acc;
}

/**
 * G(t) = |R(tλ)|² − 1 as a real polynomial in t ≥ 0: with R(tλ) = Σ (α_k + iβ_k) t^k,
 * (α_k + iβ_k) = R_k λ^k, G = (Σα_k t^k)² + (Σβ_k t^k)² − 1.
 * Coefficients that vanish up to rounding (|G_k| ≤ 64ε·Σ|terms|) are set to exactly 0: for a method of
 * order p the coefficients of t^1..t^p of |R(iy)|² − 1 vanish in exact arithmetic (R(z) − e^z = O(z^{p+1}))
 * and their rounding residue would otherwise create spurious roots near 0 (the RK4 tangency on the
 * imaginary axis, where |R(iy)|² − 1 = −y⁶/72 + y⁸/576).
 */
function rayPolynomial(R: ArrayLike<number>, lambda: Complex): Float64Array {
  const n = R.length;
  const al = new Float64Array(n);
  const be = new Float64Array(n);
  let pr = 1;
  let pi = 0;
  for (let k = 0; k < n; k++) {
    al[k] = R[k] * pr;
    be[k] = R[k] * pi;
    const nr = pr * lambda.re - pi * lambda.im;
    pi = pr * lambda.im + pi * lambda.re;
    pr = nr;
  }
  const g = new Float64Array(2 * n - 1);
  const mag = new Float64Array(2 * n - 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const term = al[i] * al[j] + be[i] * be[j];
      g[i + j] += term;
      mag[i + j] += Math.abs(al[i] * al[j]) + Math.abs(be[i] * be[j]);
    }
  }
  g[0] -= 1;
  mag[0] += 1;
  for (let k = 0; k < g.length; k++) if (Math.abs(g[k]) <= 64 * EPS * mag[k]) g[k] = 0;
  return g;
}

/**
 * Smallest t* ≥ 0 such that G > 0 on an interval starting at t* (G(t) = |R(tλ)|² − 1), i.e. the length
 * of the stable part [0, t*] of the ray. |R| − 1 can change sign only at real roots of G, so the roots
 * are computed (companion matrix) and G is tested at the midpoint of each gap between consecutive
 * candidates; nearly-real complex roots (|Im| ≤ 1e-4·max(1, |Re|)) are kept as candidates, which is
 * harmless (an extra split point) and catches double roots that rounding moved off the axis.
 * Tangencies (G touching 0 from below, |R| = 1 at an isolated point) count as stable; a midpoint value
 * within rounding of 0 also counts as stable. The final root is polished by bisection.
 */
function stableRayLength(g: Float64Array): number {
  let deg = g.length - 1;
  while (deg >= 0 && g[deg] === 0) deg--;
  if (deg < 0) return Number.POSITIVE_INFINITY; // |R(tλ)| ≡ 1 (λ = 0 with |R(0)| = 1)
  if (g[0] > 64 * EPS) return 0; // |R(0)| > 1
  const gp = g.subarray(0, deg + 1);
  if (deg === 0) return g[0] <= 0 ? Number.POSITIVE_INFINITY : 0;
  const roots = polyRoots(gp);
  const cand: number[] = [];
  for (const r of roots) {
    const scale = Math.max(1, Math.abs(r.re));
    if (r.re > 1e-12 && Math.abs(r.im) <= 1e-4 * scale) cand.push(r.re);
  }
  cand.sort((x, y) => x - y);
  const unstable = (x: number): boolean => hornerReal(gp, x) > 1e-13 * hornerAbs(gp, x);
  let prev = 0;
  for (let idx = 0; idx <= cand.length; idx++) {
    const r = idx < cand.length ? cand[idx] : Number.POSITIVE_INFINITY;
    if (r - prev <= 1e-13 * Math.max(1, prev)) continue; // duplicate candidate
    // gap (prev, r): G keeps its sign; the last gap (prev, ∞) is unstable (leading coefficient > 0)
    const mid = Number.isFinite(r) ? 0.5 * (prev + r) : prev + Math.max(1, prev);
    if (!Number.isFinite(r) || unstable(mid)) {
      if (prev === 0) return 0;
      return polishBoundary(gp, prev, Number.isFinite(r) ? r : prev * 2);
    }
    prev = r;
  }
  return prev; // not reached
}

/** Bisection of the sign change of G near the root r (next candidate root: hi); returns the stable end. */
function polishBoundary(g: Float64Array, r: number, hi: number): number {
  const delta = Math.min(1e-6 * Math.max(1, r), 0.25 * (hi - r));
  let a = r - delta;
  let b = r + delta;
  if (!(hornerReal(g, a) <= 0 && hornerReal(g, b) > 0)) return r;
  for (let it = 0; it < 200 && b - a > 2 * EPS * r; it++) {
    const m = 0.5 * (a + b);
    if (hornerReal(g, m) <= 0) a = m;
    else b = m;
  }
  return a;
}

function rayLength(R: ArrayLike<number>, lambda: Complex): number {
  if (lambda.re === 0 && lambda.im === 0) return Number.POSITIVE_INFINITY;
  return stableRayLength(rayPolynomial(R, lambda));
}

/** L such that |R(x)| ≤ 1 on [−L, 0] and not beyond (Euler 2, RK4 2.7852935634). */
export function realStabilityInterval(R: ArrayLike<number>): number {
  checkR('realStabilityInterval', R);
  return rayLength(R, { re: -1, im: 0 });
}

/**
 * M such that |R(iy)| ≤ 1 for y ∈ [−M, M] (R has real coefficients, so |R(−iy)| = |R(iy)|);
 * 0 when the region only touches the axis at 0 (Euler, RK2); RK3 √3, RK4 2√2.
 */
export function imaginaryStabilityInterval(R: ArrayLike<number>): number {
  checkR('imaginaryStabilityInterval', R);
  return rayLength(R, { re: 0, im: 1 });
}

/**
 * Largest h ≥ 0 with |R(τλ)| ≤ 1 for all τ ∈ [0, h], minimised over the given poles (Infinity for
 * λ = 0 only). A pole on the imaginary axis gives 0 with Euler; a real pole λ < 0 gives L/|λ|.
 */
export function maxStableStep(R: ArrayLike<number>, poles: Complex | readonly Complex[]): number {
  checkR('maxStableStep', R);
  const list = Array.isArray(poles) ? (poles as readonly Complex[]) : [poles as Complex];
  if (list.length === 0) throw new RangeError('maxStableStep: poles must not be empty');
  let h = Number.POSITIVE_INFINITY;
  list.forEach((p, i) => {
    checkComplex('maxStableStep', `poles[${i}]`, p);
    h = Math.min(h, rayLength(R, p));
  });
  return h;
}

export interface StabilityBoundaryOptions {
  /** θ samples on [0, 2π) per root branch (default 512); segments are refined where roots move fast */
  points?: number;
  /** refine a θ interval when a root moves more than this (default 2% of the region's radius) */
  maxSegment?: number;
}

/** Pair each root in `prev` with a distinct root of `next` (greedy on ascending distance). */
function matchRoots(prev: readonly Complex[], next: readonly Complex[]): Complex[] {
  const n = prev.length;
  const pairs: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) pairs.push([Math.hypot(prev[i].re - next[j].re, prev[i].im - next[j].im), i, j]);
  }
  pairs.sort((x, y) => x[0] - y[0]);
  const out: (Complex | undefined)[] = new Array(n);
  const used = new Uint8Array(n);
  let filled = 0;
  for (const [, i, j] of pairs) {
    if (out[i] !== undefined || used[j]) continue;
    out[i] = next[j];
    used[j] = 1;
    if (++filled === n) break;
  }
  return out as Complex[];
}

/** Upper bound on `points` of {@link stabilityBoundary} (each point solves a polynomial; 2²⁰ is far past any plot). */
const MAX_BOUNDARY_POINTS = 1 << 20;

/**
 * Closed polylines of the level set |R(z)| = 1, which is exactly the boundary of the stability region
 * {|R| ≤ 1} (maximum-modulus principle: every point with |R| = 1 has points with |R| < 1 and > 1
 * nearby). Method: for θ on a grid of [0, 2π), the s roots of R(z) − e^{iθ} (polyRoots) are points of the
 * level set; roots at consecutive θ are paired by nearest distance (θ intervals are bisected while a
 * root jumps more than `maxSegment`), giving s continuous branches. At θ = 2π the branches permute the
 * roots at θ = 0 (monodromy); each cycle of that permutation, branches concatenated in cycle order, is
 * one closed curve. Every returned polyline repeats its first point at the end. Curves are sorted by
 * their distance to the origin, so the first one is the boundary through z = 0 (for order ≥ 1, R(0) = 1
 * and the curve passes through 0); filling all curves with the even–odd rule gives the region.
 */
export function stabilityBoundary(R: ArrayLike<number>, opts: StabilityBoundaryOptions = {}): Complex[][] {
  checkR('stabilityBoundary', R);
  const points = opts.points ?? 512;
  if (!Number.isInteger(points) || points < 8 || points > MAX_BOUNDARY_POINTS)
    throw new RangeError(`stabilityBoundary: points must be an integer in [8, ${MAX_BOUNDARY_POINTS}], got ${String(points)}`);
  let deg = R.length - 1;
  while (deg > 0 && R[deg] === 0) deg--;
  if (deg < 1) throw new RangeError('stabilityBoundary: R must have degree ≥ 1');
  const coeffs: Complex[] = [];
  for (let k = 0; k <= deg; k++) coeffs.push({ re: R[k], im: 0 });
  const rootsAt = (theta: number): Complex[] => {
    coeffs[0] = { re: R[0] - Math.cos(theta), im: -Math.sin(theta) };
    const r = polyRoots(coeffs);
    coeffs[0] = { re: R[0], im: 0 };
    return r;
  };
  const start = rootsAt(0);
  let radius = 0; // extent of the level set, from the roots at θ = 0, π/2, π, 3π/2
  for (const zs of [start, rootsAt(Math.PI / 2), rootsAt(Math.PI), rootsAt((3 * Math.PI) / 2)]) {
    for (const z of zs) radius = Math.max(radius, Math.hypot(z.re, z.im));
  }
  const maxSeg = opts.maxSegment ?? 0.02 * radius;
  if (!(maxSeg > 0)) throw new RangeError(`stabilityBoundary: maxSegment must be > 0, got ${String(opts.maxSegment)}`);
  const branches: Complex[][] = start.map((z) => [z]);
  const maxJump = (a: readonly Complex[], b: readonly Complex[]) =>
    a.reduce((m, z, k) => Math.max(m, Math.hypot(z.re - b[k].re, z.im - b[k].im)), 0);

  // advance from (θa, cur) to θb, pushing refined intermediate points; returns the roots at θb
  const advance = (ta: number, cur: Complex[], tb: number, depth: number, final: boolean): Complex[] => {
    const nb = matchRoots(cur, final ? start : rootsAt(tb));
    if (depth < 14 && maxJump(cur, nb) > maxSeg) {
      const tm = 0.5 * (ta + tb);
      const mid = advance(ta, cur, tm, depth + 1, false);
      branches.forEach((br, k) => {
        br.push(mid[k]);
      });
      return advance(tm, mid, tb, depth + 1, final);
    }
    return nb;
  };
  let cur = start;
  for (let j = 0; j < points; j++) {
    const ta = (2 * Math.PI * j) / points;
    const last = j === points - 1;
    const tb = last ? 2 * Math.PI : (2 * Math.PI * (j + 1)) / points;
    cur = advance(ta, cur, tb, 0, last);
    if (!last) {
      branches.forEach((br, k) => {
        br.push(cur[k]);
      });
    }
  }
  // cur[k] is (one of) the θ = 0 roots where branch k ends: the monodromy permutation
  const perm = cur.map((z) => start.indexOf(z));
  const seen = new Uint8Array(start.length);
  const curves: Complex[][] = [];
  for (let k0 = 0; k0 < start.length; k0++) {
    if (seen[k0]) continue;
    const poly: Complex[] = [];
    let k = k0;
    while (!seen[k]) {
      seen[k] = 1;
      for (const z of branches[k]) poly.push(z);
      k = perm[k];
    }
    poly.push(poly[0]);
    curves.push(poly);
  }
  const dist0 = (c: Complex[]) => c.reduce((m, z) => Math.min(m, Math.hypot(z.re, z.im)), Number.POSITIVE_INFINITY);
  return curves.sort((x, y) => dist0(x) - dist0(y));
}

export interface StabilityRow {
  name: string;
  stages: number;
  order: number;
  realInterval: number;
  imagInterval: number;
}

/** Stages, order and stability intervals of registered methods (default: all, registry order). */
export function stabilityTable(names?: string[]): StabilityRow[] {
  const list = names ?? tableauNames();
  if (!Array.isArray(list)) throw new TypeError(`stabilityTable: names must be an array of method names, got ${String(names)}`);
  return list.map((name) => {
    const t = getTableau(name);
    const R = stabilityPolynomial(t);
    return {
      name: t.name,
      stages: t.stages,
      order: t.order,
      realInterval: realStabilityInterval(R),
      imagInterval: imaginaryStabilityInterval(R),
    };
  });
}

function sig10(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return x.toPrecision(10);
}

/** Plain-text table of {@link stabilityTable} rows, intervals with 10 significant digits. */
export function formatStabilityTable(rows: readonly StabilityRow[]): string {
  const header = ['method', 'stages', 'order', 'real interval', 'imag interval'];
  const body = rows.map((r) => [r.name, String(r.stages), String(r.order), sig10(r.realInterval), sig10(r.imagInterval)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
