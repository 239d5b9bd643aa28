/**
 * Small, tested statistics for paired comparisons (SII vs baseline over teachers):
 * quantiles, the exact two-sided sign test and the Wilcoxon signed-rank test (exact for n ≤ 50,
 * also with tied |differences| through doubled mid-ranks; normal approximation with tie and
 * continuity corrections above that).
 */

function assertFiniteArray(xs: readonly number[], name: string): void {
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw new RangeError(`${name}[${i}] must be finite, got ${xs[i]}`);
  }
}

/** Quantile with linear interpolation between order statistics (R type 7, numpy default). */
export function quantile(xs: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be in [0, 1], got ${q}`);
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** log C(n, k) via log-gamma-free summation (n is small here: number of teachers). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

export interface SignTestResult {
  /** Number of non-zero differences. */
  n: number;
  /** Number of positive differences. */
  positive: number;
  /** Exact two-sided p-value: 2·P(Bin(n, 1/2) ≤ min(k, n − k)), capped at 1. */
  p: number;
}

/** Exact two-sided sign test on paired differences; zero differences are dropped. */
export function signTest(diffs: readonly number[]): SignTestResult {
  assertFiniteArray(diffs, 'diffs');
  const nz = diffs.filter((d) => d !== 0);
  const n = nz.length;
  const positive = nz.filter((d) => d > 0).length;
  if (n === 0) return { n, positive, p: 1 };
  const k = Math.min(positive, n - positive);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return { n, positive, p: Math.min(1, 2 * tail) };
}

export interface WilcoxonResult {
  /** Number of non-zero differences (zeros dropped, Wilcoxon's convention). */
  n: number;
  /** W+ = sum of the ranks of |d| over the positive differences (mid-ranks for ties). */
  wPlus: number;
  /** W− = n(n+1)/2 − W+. */
  wMinus: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
}

/** Mid-ranks (1-based) of the values, ties sharing the mean of their positions. */
export function midRanks(values: readonly number[]): number[] {
  const idx = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
    const r = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[idx[k][1]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Largest n for which the exact null distribution is enumerated (counts stay below 2^53). */
export const WILCOXON_EXACT_MAX_N = 50;

/**
 * Wilcoxon signed-rank test, two-sided, on paired differences d_i.
 * Exact: under H0 each rank carries a sign ±1 with probability 1/2, independently, so the null
 * distribution of W+ is that of a random subset sum of the ranks; with doubled mid-ranks (integers)
 * it is counted by dynamic programming. p = min(1, 2·min(P(W+ ≤ w), P(W+ ≥ w))).
 * Normal: z = (|W+ − μ| − 1/2)/σ, μ = n(n+1)/4, σ² = n(n+1)(2n+1)/24 − Σ(t³ − t)/48.
 */
export function wilcoxonSignedRank(diffs: readonly number[], opts: { method?: 'auto' | 'exact' | 'normal' } = {}): WilcoxonResult {
  assertFiniteArray(diffs, 'diffs');
  const nz = diffs.filter((d) => d !== 0);
  const n = nz.length;
  if (n === 0) return { n, wPlus: 0, wMinus: 0, p: 1, method: 'exact' };
  const ranks = midRanks(nz.map(Math.abs));
  let wPlus = 0;
  for (let i = 0; i < n; i++) if (nz[i] > 0) wPlus += ranks[i];
  const total = (n * (n + 1)) / 2;
  const wMinus = total - wPlus;
  const method = opts.method ?? 'auto';
  if (method === 'exact' || (method === 'auto' && n <= WILCOXON_EXACT_MAX_N)) {
    if (n > WILCOXON_EXACT_MAX_N) {
      throw new RangeError(`exact Wilcoxon supports n <= ${WILCOXON_EXACT_MAX_N}, got n = ${n}`);
    }
    const r2 = ranks.map((r) => Math.round(2 * r));
    const maxSum = r2.reduce((a, b) => a + b, 0);
    // counts[s] = number of sign patterns with doubled W+ equal to s.
    let counts = new Float64Array(maxSum + 1);
    counts[0] = 1;
    for (const r of r2) {
      const next = counts.slice();
      for (let s = r; s <= maxSum; s++) next[s] += counts[s - r];
      counts = next;
    }
    const w2 = Math.round(2 * wPlus);
    let lower = 0;
    let upper = 0;
    for (let s = 0; s <= maxSum; s++) {
      if (s <= w2) lower += counts[s];
      if (s >= w2) upper += counts[s];
    }
    const totalCount = 2 ** n;
    const p = Math.min(1, (2 * Math.min(lower, upper)) / totalCount);
    return { n, wPlus, wMinus, p, method: 'exact' };
  }
  // Tie correction: groups of equal |d|.
  const groups = new Map<number, number>();
  for (const r of ranks) groups.set(r, (groups.get(r) ?? 0) + 1);
  let tieSum = 0;
  for (const t of groups.values()) tieSum += t * t * t - t;
  const mu = (n * (n + 1)) / 4;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieSum / 48);
  const z = sigma > 0 ? Math.max(0, Math.abs(wPlus - mu) - 0.5) / sigma : 0;
  return { n, wPlus, wMinus, p: Math.min(1, 2 * normalSf(z)), method: 'normal' };
}

/** Upper tail 1 − Φ(z) of the standard normal, via erfc (W. J. Cody's rational approximations are
 * overkill here; the complementary error function below is accurate to ~1e-7 relative). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** erfc by the Numerical Recipes Chebyshev fit (fractional error < 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface PairedSummary {
  /** Pairs with both values finite. */
  n: number;
  /** Share of pairs where a < b (a wins with a lower loss); ties count half. */
  winShare: number;
  sign: SignTestResult;
  wilcoxon: WilcoxonResult;
}

/**
 * Paired comparison of losses a (e.g. SII) and b (baseline), lower is better. Pairs with a
 * non-finite value (diverged runs) are compared by rank: a diverged run loses to a finite one,
 * two diverged runs tie. Tests use d = log10(b) − log10(a) (positive: a better) on finite pairs;
 * a pair where only one side diverged enters the sign test with the finite side winning.
 */
export function pairedSummary(a: readonly number[], b: readonly number[]): PairedSummary {
  if (a.length !== b.length) throw new RangeError(`a and b must have equal length, got ${a.length} and ${b.length}`);
  const diffs: number[] = [];
  const signDiffs: number[] = [];
  let wins = 0;
  for (let i = 0; i < a.length; i++) {
    const fa = Number.isFinite(a[i]);
    const fb = Number.isFinite(b[i]);
    let s = 0;
    if (fa && fb) {
      const d = Math.log10(Math.max(b[i], 1e-300)) - Math.log10(Math.max(a[i], 1e-300));
      diffs.push(d);
      s = Math.sign(d);
    } else if (fa !== fb) {
      s = fa ? 1 : -1;
    }
    signDiffs.push(s);
    wins += s > 0 ? 1 : s === 0 ? 0.5 : 0;
  }
  return {
    n: a.length,
    winShare: a.length ? wins / a.length : Number.NaN,
    sign: signTest(signDiffs),
    wilcoxon: wilcoxonSignedRank(diffs),
  };
}
