/**
 * The verdict rule of `sii reproduce`, fixed before any run.
 *
 * Paired samples (SII vs baseline, one pair per teacher or seed, both trained on identical data):
 * the exact two-sided sign test and the two-sided Wilcoxon signed-rank test of `pairedSummary`
 * (stats.ts) at α = 0.01.
 *   - "reproduced":     both tests reject at α, and both point in the paper's claimed direction;
 *   - "not reproduced": both tests reject at α, and both point in the opposite direction;
 *   - "inconclusive":   anything else (a test does not reject, or the two disagree in direction).
 * Direction: the sign test points to the init that wins more pairs, the Wilcoxon test to the larger of
 * W+ (SII better) and W− (baseline better). Differences are taken on log10 of the metric (pairedSummary);
 * for a metric where higher is better (accuracy) the reciprocal is compared, so that d > 0 always means
 * "SII better"; a non-finite or non-positive value counts as a failed run, which loses to a finite one.
 *
 * Deterministic claims (no sampling: the perturbation figure) use `deterministicVerdict`; counts of
 * successes out of n independent trials (implicit regularization: students whose learned poles are
 * inside their solver's region) use `proportionVerdict`, the same exact sign test against 1/2 at α.
 */
import { type PairedSummary, pairedSummary, signTest } from './stats.js';

export const VERDICT_ALPHA = 0.01;

export type Verdict = 'reproduced' | 'not reproduced' | 'inconclusive';

/** What the paper claims about SII relative to the baseline. */
export type ClaimDirection = 'sii-better' | 'baseline-better';

export interface PairedVerdict {
  verdict: Verdict;
  alpha: number;
  /** Pairs compared. */
  n: number;
  /** Share of pairs SII wins (ties half). */
  siiWinShare: number;
  signP: number;
  wilcoxonP: number;
  wilcoxonMethod: 'exact' | 'normal';
  /** Which init each test favours ('none' on an exact balance). */
  signFavours: 'sii' | 'baseline' | 'none';
  wilcoxonFavours: 'sii' | 'baseline' | 'none';
  /** Smallest two-sided p the sign test can reach with these pairs, 2·2^−n (the Wilcoxon test's is the same). */
  smallestAttainableP: number;
  /** One line: the statistic column of the claims table. */
  statistic: string;
}

function favours(more: number, less: number): 'sii' | 'baseline' | 'none' {
  return more > less ? 'sii' : more < less ? 'baseline' : 'none';
}

/** Apply the rule to two tests' p-values and directions. */
export function decide(
  signP: number,
  signFavours: string,
  wilcoxonP: number,
  wilcoxonFavours: string,
  claimed: 'sii' | 'baseline',
  alpha = VERDICT_ALPHA,
): Verdict {
  const rejects = signP < alpha && wilcoxonP < alpha;
  if (!rejects || signFavours !== wilcoxonFavours) return 'inconclusive';
  if (signFavours === claimed) return 'reproduced';
  if (signFavours === 'none') return 'inconclusive';
  return 'not reproduced';
}

/**
 * Verdict on paired values: `sii[i]` and `baseline[i]` come from the same teacher/seed.
 * `lowerIsBetter` (losses, errors) or not (accuracy).
 */
export function pairedVerdict(
  sii: readonly number[],
  baseline: readonly number[],
  opts: { lowerIsBetter: boolean; claim?: ClaimDirection; alpha?: number },
): PairedVerdict {
  const alpha = opts.alpha ?? VERDICT_ALPHA;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  // pairedSummary compares losses; a higher-is-better metric x becomes the loss 1/x (∞ when x ≤ 0 or not finite).
  const asLoss = (x: number) => (opts.lowerIsBetter ? x : Number.isFinite(x) && x > 0 ? 1 / x : Number.POSITIVE_INFINITY);
  const p: PairedSummary = pairedSummary(sii.map(asLoss), baseline.map(asLoss));
  const signFavours = favours(p.sign.positive, p.sign.n - p.sign.positive);
  const wilcoxonFavours = favours(p.wilcoxon.wPlus, p.wilcoxon.wMinus);
  const claimed = (opts.claim ?? 'sii-better') === 'sii-better' ? 'sii' : 'baseline';
  const verdict = decide(p.sign.p, signFavours, p.wilcoxon.p, wilcoxonFavours, claimed, alpha);
  const smallestAttainableP = p.sign.n === 0 ? 1 : Math.min(1, 2 * 2 ** -p.sign.n);
  const fmt = (x: number) => (x < 1e-4 ? x.toExponential(1) : Number(x.toPrecision(2)).toString());
  let statistic = `n = ${p.n}, SII wins ${(100 * p.winShare).toFixed(0)} %; sign p = ${fmt(p.sign.p)}, Wilcoxon p = ${fmt(p.wilcoxon.p)} (${p.wilcoxon.method})`;
  if (smallestAttainableP >= alpha)
    statistic += `; with ${p.sign.n} untied pairs no test can reach α = ${alpha} (smallest p ${fmt(smallestAttainableP)})`;
  return {
    verdict,
    alpha,
    n: p.n,
    siiWinShare: p.winShare,
    signP: p.sign.p,
    wilcoxonP: p.wilcoxon.p,
    wilcoxonMethod: p.wilcoxon.method,
    signFavours,
    wilcoxonFavours,
    smallestAttainableP,
    statistic,
  };
}

export interface ProportionVerdict {
  verdict: Verdict;
  alpha: number;
  successes: number;
  n: number;
  p: number;
  statistic: string;
}

/**
 * Verdict on `successes` of `n` independent trials where the claim says "success": the exact two-sided
 * sign (binomial) test against 1/2 at α; reproduced when it rejects with a majority of successes, not
 * reproduced when it rejects with a majority of failures, else inconclusive.
 */
export function proportionVerdict(successes: number, n: number, alpha = VERDICT_ALPHA): ProportionVerdict {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n)
    throw new RangeError(`successes must be an integer in [0, ${n}], got ${successes}`);
  const s = signTest([...Array(successes).fill(1), ...Array(n - successes).fill(-1)]);
  const verdict = s.p < alpha ? (2 * successes > n ? 'reproduced' : 'not reproduced') : 'inconclusive';
  return {
    verdict,
    alpha,
    successes,
    n,
    p: s.p,
    statistic: `${successes} of ${n}; exact binomial p = ${Number(s.p.toPrecision(2))} (α = ${alpha})`,
  };
}

/** A claim checked by an exact computation (no sampling): reproduced when it holds, else not reproduced. */
export function deterministicVerdict(holds: boolean): Verdict {
  return holds ? 'reproduced' : 'not reproduced';
}

/** Wilson score interval for a proportion k/n (k may be fractional: ties counted half), default 95 %. */
export function wilsonInterval(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (!(n > 0)) throw new RangeError(`n must be > 0, got ${n}`);
  if (!(k >= 0 && k <= n)) throw new RangeError(`k must be in [0, n], got ${k}`);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At k = 0 (k = n) the bound is exactly 0 (1); set it so rounding does not leave 1e-17.
  return [k === 0 ? 0 : Math.max(0, centre - half), k === n ? 1 : Math.min(1, centre + half)];
}
