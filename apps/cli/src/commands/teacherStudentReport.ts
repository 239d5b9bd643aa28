/**
 * The teacher–student sweep seen epoch by epoch (issue: "a small sample misled once already"): the
 * paired SII win share per epoch with a 95 % Wilson interval, the epoch of SII's largest advantage,
 * the validation loss at fixed epochs per init, and the learned poles at the end over the student's
 * stability region. Pure functions of the per-teacher results; used by the report and results.json.
 */
import { cabs, complex } from '@sii/linalg';
import { getTableau, stabilityPolynomial, stabilityValue } from '@sii/rk';
import { INIT_COLORS, lineChart, regionsChart } from '../charts.js';
import { regionCurves } from '../regions.js';
import type { Figure, ReportSection } from '../report.js';
import { sig } from '../report.js';
import { median, pairedSummary, quantile } from '../stats.js';
import type { InitName, InitRun, TeacherResult } from '../train/types.js';
import { wilsonInterval } from '../verdict.js';

/** Epochs at which the report tabulates the validation loss (those within the run). */
export const FIXED_EPOCHS = [10, 25, 50, 100] as const;

export interface EpochComparison {
  epoch: number;
  /** Teachers with both inits compared at this epoch. */
  pairs: number;
  /** Share of teachers where SII's validation loss is lower (ties and double divergence half). */
  siiWinShare: number;
  /** 95 % Wilson score interval of the win share. */
  ci95: [number, number];
  /** Median over finite pairs of log10(baseline) − log10(SII) (> 0: SII lower). */
  medianLogRatio: number;
}

export interface FixedEpochRow {
  epoch: number;
  perInit: { init: InitName; n: number; diverged: number; median: number; q1: number; q3: number }[];
  comparison?: { pairs: number; siiWinShare: number; ci95: [number, number]; signP: number; wilcoxonP: number };
}

export interface FinalPoles {
  init: InitName;
  /** Learned poles at the end (all students of this init). */
  poles: number;
  /** Of those, poles with |R(hλ)| ≤ 1 for the student's solver. */
  inside: number;
  insideShare: number;
}

export interface TeacherStudentAnalysis {
  epochs: number;
  perEpoch: EpochComparison[];
  /** Epoch of SII's largest advantage: by win share, and by the median paired log-ratio (earliest on ties). */
  largestAdvantage?: {
    byWinShare: EpochComparison;
    byMedianRatio: EpochComparison;
  };
  fixedEpochs: FixedEpochRow[];
  solver: string;
  finalPoles: FinalPoles[];
}

/** Validation loss after epoch e (1-based): the curve's value, ∞ once the run diverged, NaN if never run. */
export function lossAtEpoch(run: InitRun | undefined, epoch: number): number {
  if (!run) return Number.NaN;
  const v = run.valCurve[epoch - 1];
  if (v !== undefined) return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  return run.diverged ? Number.POSITIVE_INFINITY : Number.NaN;
}

/** Paired comparison at one epoch over the teachers where both inits have a value (∞ counts: diverged). */
export function compareAtEpoch(results: readonly TeacherResult[], epoch: number): EpochComparison & { signP: number; wilcoxonP: number } {
  const s: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (const r of results) {
    const x = lossAtEpoch(r.runs.sii, epoch);
    const y = lossAtEpoch(r.runs.baseline, epoch);
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    s.push(x);
    b.push(y);
    if (Number.isFinite(x) && Number.isFinite(y) && x > 0 && y > 0) ratios.push(Math.log10(y) - Math.log10(x));
  }
  if (s.length === 0)
    return {
      epoch,
      pairs: 0,
      siiWinShare: Number.NaN,
      ci95: [Number.NaN, Number.NaN],
      medianLogRatio: Number.NaN,
      signP: Number.NaN,
      wilcoxonP: Number.NaN,
    };
  const p = pairedSummary(s, b);
  return {
    epoch,
    pairs: p.n,
    siiWinShare: p.winShare,
    ci95: wilsonInterval(p.winShare * p.n, p.n),
    medianLogRatio: ratios.length ? median(ratios) : Number.NaN,
    signP: p.sign.p,
    wilcoxonP: p.wilcoxon.p,
  };
}

/** The earliest element maximising key (NaN never wins). */
function argmax<T>(xs: readonly T[], key: (x: T) => number): T | undefined {
  let best: T | undefined;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const x of xs) {
    const v = key(x);
    if (v > bestValue) {
      best = x;
      bestValue = v;
    }
  }
  return best;
}

/** |R(hλ)| ≤ 1 for the tableau `solver` (tolerance 1e-12 for poles on the boundary). */
export function insideRegion(solver: string, hLambda: readonly [number, number]): boolean {
  const R = stabilityPolynomial(getTableau(solver));
  return cabs(stabilityValue(R, complex(hLambda[0], hLambda[1]))) <= 1 + 1e-12;
}

export function analyzeSweep(
  config: { inits: readonly InitName[]; student: { epochs: number; h: number; solver: string } },
  results: readonly TeacherResult[],
): TeacherStudentAnalysis {
  const E = config.student.epochs;
  const paired = config.inits.includes('sii') && config.inits.includes('baseline');
  const perEpoch: EpochComparison[] = [];
  if (paired) {
    for (let e = 1; e <= E; e++) {
      const { signP: _s, wilcoxonP: _w, ...c } = compareAtEpoch(results, e);
      if (c.pairs > 0) perEpoch.push(c);
    }
  }
  const fixedEpochs: FixedEpochRow[] = FIXED_EPOCHS.filter((e) => e <= E).map((epoch) => {
    const perInit = config.inits.map((init) => {
      const values = results.map((r) => lossAtEpoch(r.runs[init], epoch)).filter((v) => !Number.isNaN(v));
      const finite = values.filter(Number.isFinite);
      return {
        init,
        n: values.length,
        diverged: values.length - finite.length,
        median: finite.length ? quantile(finite, 0.5) : Number.NaN,
        q1: finite.length ? quantile(finite, 0.25) : Number.NaN,
        q3: finite.length ? quantile(finite, 0.75) : Number.NaN,
      };
    });
    const row: FixedEpochRow = { epoch, perInit };
    if (paired) {
      const c = compareAtEpoch(results, epoch);
      if (c.pairs > 0)
        row.comparison = { pairs: c.pairs, siiWinShare: c.siiWinShare, ci95: c.ci95, signP: c.signP, wilcoxonP: c.wilcoxonP };
    }
    return row;
  });
  const h = config.student.h;
  const finalPoles = config.inits.map((init) => {
    const last = results.flatMap((r) => {
      const run = r.runs[init];
      return run?.poles.length ? run.poles[run.poles.length - 1] : [];
    });
    const inside = last.filter(([re, im]) => insideRegion(config.student.solver, [re * h, im * h])).length;
    return { init, poles: last.length, inside, insideShare: last.length ? inside / last.length : Number.NaN };
  });
  const analysis: TeacherStudentAnalysis = { epochs: E, perEpoch, fixedEpochs, solver: config.student.solver, finalPoles };
  const byWinShare = argmax(perEpoch, (c) => c.siiWinShare);
  const byMedianRatio = argmax(perEpoch, (c) => c.medianLogRatio);
  if (byWinShare && byMedianRatio) analysis.largestAdvantage = { byWinShare, byMedianRatio };
  return analysis;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : 'n/a');
const ci = (c: [number, number]) => `${pct(c[0])} – ${pct(c[1])}`;

export function largestAdvantageLine(a: TeacherStudentAnalysis): string {
  const l = a.largestAdvantage;
  if (!l) return 'no per-epoch paired comparison (needs both inits)';
  const w = l.byWinShare;
  const m = l.byMedianRatio;
  return `SII's largest advantage: win share ${pct(w.siiWinShare)} (95 % CI ${ci(w.ci95)}, ${w.pairs} teachers) at epoch ${w.epoch}; median baseline/SII loss ratio ${sig(10 ** m.medianLogRatio, 3)} at epoch ${m.epoch}`;
}

export function analysisSections(a: TeacherStudentAnalysis): ReportSection[] {
  const inits = a.fixedEpochs[0]?.perInit.map((p) => p.init) ?? [];
  const sections: ReportSection[] = [];
  if (a.fixedEpochs.length) {
    sections.push({
      title: 'Validation loss at fixed epochs',
      text: `${largestAdvantageLine(a)}. Per init: median validation MSE [interquartile range] over the teachers at epochs ${a.fixedEpochs.map((r) => r.epoch).join(', ')} (diverged runs excluded from the quartiles, counted as losses in the win share); paired SII win share with its 95 % Wilson interval, sign and Wilcoxon p.`,
      table: {
        head: ['epoch', ...inits.map((i) => `${i} median [IQR]`), 'SII win share', '95 % CI', 'sign p', 'Wilcoxon p'],
        rows: a.fixedEpochs.map((r) => [
          String(r.epoch),
          ...r.perInit.map(
            (p) => `${sig(p.median, 3)} [${sig(p.q1, 3)} – ${sig(p.q3, 3)}]${p.diverged ? ` (${p.diverged} diverged)` : ''}`,
          ),
          r.comparison ? pct(r.comparison.siiWinShare) : 'n/a',
          r.comparison ? ci(r.comparison.ci95) : 'n/a',
          r.comparison ? sig(r.comparison.signP, 3) : 'n/a',
          r.comparison ? sig(r.comparison.wilcoxonP, 3) : 'n/a',
        ]),
      },
    });
  }
  sections.push({
    title: 'Learned poles at the end',
    text: `Eigenvalues of the students' Jacobian at the origin after the last epoch, as hλ; "inside" means |R(hλ)| ≤ 1 for the student's solver (${a.solver}).`,
    table: {
      head: ['init', 'poles', `inside the ${a.solver} region`, 'share'],
      rows: a.finalPoles.map((p) => [p.init, String(p.poles), String(p.inside), pct(p.insideShare)]),
    },
  });
  return sections;
}

export async function analysisFigures(
  config: { inits: readonly InitName[]; student: { h: number; solver: string; setting: string } },
  results: readonly TeacherResult[],
  a: TeacherStudentAnalysis,
): Promise<Figure[]> {
  const figs: Figure[] = [];
  if (a.perEpoch.length) {
    const points = a.perEpoch.flatMap((c) => [
      { x: c.epoch, y: c.siiWinShare, series: 'SII win share' },
      { x: c.epoch, y: c.ci95[0], series: '95 % interval' },
      { x: c.epoch, y: c.ci95[1], series: '95 % interval (upper)' },
      { x: c.epoch, y: 0.5, series: 'even (1/2)' },
    ]);
    figs.push({
      file: 'win-share-per-epoch.svg',
      svg: await lineChart({
        points,
        xTitle: 'epoch',
        yTitle: 'share of teachers SII wins',
        title: `Paired SII win share per epoch (${config.student.setting}, ${a.perEpoch[0].pairs} teachers)`,
        colors: {
          'SII win share': INIT_COLORS.sii ?? '#d62728',
          '95 % interval': '#999',
          '95 % interval (upper)': '#999',
          'even (1/2)': '#333',
        },
      }),
      caption:
        'Share of teachers whose SII student has the lower validation MSE after each epoch (ties half, a diverged run loses), with the 95 % Wilson score interval.',
    });
  }
  const h = config.student.h;
  // One group per init, plus the teacher poles; regionsChart (not the trajectory chart: a single epoch
  // would give its epoch legend a degenerate domain).
  const poles = results.flatMap((r) =>
    config.inits.flatMap((init) => {
      const run = r.runs[init];
      if (!run || run.poles.length === 0) return [];
      return run.poles[run.poles.length - 1].map(([re, im]) => ({ re: re * h, im: im * h, group: `${init} (last epoch)` }));
    }),
  );
  if (poles.length) {
    const teacher = results.flatMap((r) => r.teacherPoles.map(([re, im]) => ({ re: re * h, im: im * h, group: 'teacher' })));
    figs.push({
      file: 'final-poles.svg',
      svg: await regionsChart({
        regions: regionCurves(['euler', config.student.solver, 'rk4'].filter((m, i, all) => all.indexOf(m) === i)),
        poles: [...poles, ...teacher],
        range: { x: [-4, 1], y: [-3.5, 3.5] },
        title: `Learned poles hλ after the last epoch (h = ${h}) and the teachers' poles`,
      }),
      caption: `Students' poles at the origin after training, per init, and the teachers' poles, as hλ over the stability regions (student solver ${config.student.solver}).`,
    });
  }
  return figs;
}
