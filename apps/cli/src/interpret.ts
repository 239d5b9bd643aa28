/**
 * "What this shows": a short plain-words reading of a teacher–student comparison, generated from the
 * numbers (sample size, effect, test, verdict, and the next command for a firmer answer).
 */
import type { TeacherStudentSummary } from './commands/teacherStudent.js';
import { sig } from './report.js';
import { quantile } from './stats.js';

/** Per-teacher validation curves, as in results.jsonl (`runs.<init>.valCurve`, one value per epoch). */
export type ValCurves = readonly { runs: Partial<Record<string, { valCurve: readonly (number | string)[] } | undefined>> }[];

/** Median over teachers of the validation loss at every epoch, per init. */
export function medianCurve(results: ValCurves, init: string): number[] {
  const epochs = Math.max(0, ...results.map((r) => r.runs[init]?.valCurve.length ?? 0));
  return Array.from({ length: epochs }, (_, e) => {
    const vals = results.map((r) => Number(r.runs[init]?.valCurve[e])).filter(Number.isFinite);
    return vals.length ? quantile(vals, 0.5) : Number.NaN;
  });
}

/**
 * Which init has the lower median validation loss in which epochs, as runs of epochs
 * ("SII's median is higher than the baseline's in epochs 1–10 and lower in 11–30.").
 */
export function leadSentence(sii: readonly number[], base: readonly number[]): string {
  const runs: { lower: boolean; from: number; to: number }[] = [];
  for (let e = 0; e < Math.min(sii.length, base.length); e++) {
    if (!Number.isFinite(sii[e]) || !Number.isFinite(base[e])) continue;
    const lower = sii[e] < base[e];
    const last = runs.at(-1);
    if (last && last.lower === lower && last.to === e) last.to = e + 1;
    else runs.push({ lower, from: e + 1, to: e + 1 });
  }
  if (runs.length === 0) return '';
  const span = (r: { from: number; to: number }) => (r.from === r.to ? `epoch ${r.from}` : `epochs ${r.from}–${r.to}`);
  if (runs.length > 4) return `The median validation curves cross ${runs.length - 1} times.`;
  return `SII's median validation loss is ${runs.map((r) => `${r.lower ? 'lower' : 'higher'} than the baseline's in ${span(r)}`).join(', then ')}.`;
}

/** Significance level of the verdict. */
export const ALPHA = 0.05;

export function interpretComparison(s: TeacherStudentSummary, epochs: number, curves?: ValCurves): string {
  const sii = s.inits.find((i) => i.init === 'sii');
  const base = s.inits.find((i) => i.init === 'baseline');
  const c = s.comparison;
  if (!sii || !base || !c) {
    return `${s.completed} teachers with ${s.inits.map((i) => i.init).join(', ')} only: no SII-versus-baseline comparison (run both inits).`;
  }
  const lower = sii.medianMinValLoss < base.medianMinValLoss ? 'SII' : 'the baseline';
  const ratio = Math.max(sii.medianMinValLoss, base.medianMinValLoss) / Math.min(sii.medianMinValLoss, base.medianMinValLoss);
  const effect =
    `Over ${c.pairs} teachers (${s.setting}, ${epochs} epochs), the median minimum validation MSE is ${sig(sii.medianMinValLoss, 3)} with SII ` +
    `and ${sig(base.medianMinValLoss, 3)} with the baseline: ${lower} is lower by a factor ${sig(ratio, 3)}, and SII wins ` +
    `${Math.round(100 * c.siiWinShare)} % of the teachers.`;
  const matched =
    s.pairing === 'authors'
      ? "the minima matched by teacher index (each arm had its own teacher, as in the authors' code)"
      : 'the paired minima (both arms on the same teachers)';
  const test = `Wilcoxon signed-rank test on ${matched}: p = ${sig(c.wilcoxonP, 2)}.`;
  const verdict =
    c.wilcoxonP < ALPHA
      ? `At the ${100 * ALPHA} % level ${lower} is better on these teachers.`
      : `That is no evidence either way: with ${c.pairs} teachers a difference of this size is what chance alone often gives, so this run cannot tell the two initializations apart.`;
  const paper =
    "The paper (Figures 4 and 5, 500 teachers, 100 epochs) reports that SII converges faster; runs of the authors' code at " +
    '100 epochs and 10–13 teachers found "incl" close to a coin flip at the end, with SII ahead from about epoch 15 to 60 — so a short run mostly shows the early epochs.';
  const next =
    c.wilcoxonP < ALPHA && c.pairs >= 30
      ? 'For the other studies of the paper, run `sii reproduce`.'
      : 'For a firmer answer run more teachers and epochs (`sii teacher-student --teachers 30 --epochs 100`), or every study of the paper with `sii reproduce`.';
  const lead = curves ? leadSentence(medianCurve(curves, 'sii'), medianCurve(curves, 'baseline')) : '';
  return [effect, lead, test, verdict, paper, next].filter(Boolean).join(' ');
}
