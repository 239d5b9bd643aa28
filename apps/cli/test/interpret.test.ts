import { describe, expect, it } from 'vitest';
import type { TeacherStudentSummary } from '../src/commands/teacherStudent.js';
import { interpretComparison, leadSentence, medianCurve } from '../src/interpret.js';
import { relativeHref, renderReport } from '../src/report.js';

const summary = (p: number, pairs: number, siiMedian: number, baseMedian: number, win: number): TeacherStudentSummary => ({
  setting: 'incl',
  target: 'aligned',
  pairing: 'paired',
  teachers: pairs,
  completed: pairs,
  inits: [
    { init: 'sii', runs: pairs, diverged: 0, medianMinValLoss: siiMedian, q1MinValLoss: siiMedian, q3MinValLoss: siiMedian, meanWallMs: 1 },
    {
      init: 'baseline',
      runs: pairs,
      diverged: 0,
      medianMinValLoss: baseMedian,
      q1MinValLoss: baseMedian,
      q3MinValLoss: baseMedian,
      meanWallMs: 1,
    },
  ],
  comparison: { pairs, siiWinShare: win, signTestP: p, wilcoxonP: p, wilcoxonMethod: 'exact', wilcoxonN: pairs },
  trainingWallMs: 1,
  elapsedMs: 1,
});

describe('interpretComparison', () => {
  it('reads a non-significant result as "cannot tell" and names the next commands (the issue’s headline numbers)', () => {
    const t = interpretComparison(summary(0.73, 8, 0.0877, 0.0947, 0.5), 30);
    expect(t).toContain('Over 8 teachers (incl, 30 epochs)');
    expect(t).toContain('0.0877 with SII and 0.0947 with the baseline');
    // 0.0947 / 0.0877 = 1.0798…
    expect(t).toContain('SII is lower by a factor 1.08');
    expect(t).toContain('SII wins 50 % of the teachers');
    expect(t).toContain('on the paired minima (both arms on the same teachers): p = 0.73');
    expect(t).toContain('cannot tell the two initializations apart');
    expect(t).toContain('`sii reproduce`');
    expect(t).toContain('--teachers 30');
  });

  it("says when the arms were not paired (the authors' protocol)", () => {
    const s = { ...summary(0.73, 8, 0.0877, 0.0947, 0.5), pairing: 'authors' as const };
    expect(interpretComparison(s, 30)).toContain('matched by teacher index (each arm had its own teacher');
  });

  it('names the winner when p < 0.05', () => {
    const t = interpretComparison(summary(0.001, 40, 0.2, 0.1, 0.1), 100);
    expect(t).toContain('the baseline is lower by a factor 2');
    expect(t).toContain('At the 5 % level the baseline is better on these teachers.');
    expect(t).not.toContain('--teachers 30');
  });

  it('says when there is nothing to compare', () => {
    const s = summary(1, 3, 1, 1, 0);
    delete s.comparison;
    expect(interpretComparison(s, 3)).toMatch(/no SII-versus-baseline comparison/);
  });
});

describe('learning-curve lead', () => {
  it('takes the median over teachers per epoch (strings from JSON as numbers, NaN skipped)', () => {
    const results = [
      { runs: { sii: { valCurve: [3, 1] } } },
      { runs: { sii: { valCurve: [1, 'NaN'] } } },
      { runs: { sii: { valCurve: [2, 5] } } },
    ];
    expect(medianCurve(results, 'sii')).toEqual([2, 3]);
  });

  it('names the epochs where each init leads (the issue: SII worse for the first epochs)', () => {
    expect(leadSentence([5, 4, 3, 1, 1], [4, 3, 3.5, 2, 2])).toBe(
      "SII's median validation loss is higher than the baseline's in epochs 1–2, then lower than the baseline's in epochs 3–5.",
    );
    expect(leadSentence([1], [2])).toBe("SII's median validation loss is lower than the baseline's in epoch 1.");
    expect(leadSentence([1, 3, 1, 3, 1, 3], [2, 2, 2, 2, 2, 2])).toBe('The median validation curves cross 5 times.');
  });

  it('puts the lead sentence into the reading when curves are given', () => {
    const curves = [{ runs: { sii: { valCurve: [2, 1] }, baseline: { valCurve: [1, 2] } } }];
    expect(interpretComparison(summary(0.5, 1, 1, 2, 1), 2, curves)).toContain(
      "higher than the baseline's in epoch 1, then lower than the baseline's in epoch 2.",
    );
  });
});

describe('report links', () => {
  it('percent-encodes segments and refuses absolute or escaping paths', () => {
    expect(relativeHref('runs/my run/report.html')).toBe('runs/my%20run/report.html');
    expect(() => relativeHref('/tmp/x.svg')).toThrow(/inside the run folder.*\/tmp\/x\.svg/);
    expect(() => relativeHref('../x.svg')).toThrow(/\.\.\/x\.svg/);
    expect(() => relativeHref('file:///x')).toThrow(/file:/);
  });

  it('renders the summary first, figure captions and files as links', () => {
    const html = renderReport({
      title: 't',
      command: 'c',
      startedAt: 's',
      config: {},
      versions: {},
      summary: 'Run `sii reproduce` next.',
      sections: [{ title: 'A', figures: [{ file: 'a.svg', svg: '<svg/>', caption: 'cap', href: 'runs/x/figures/a.svg' }] }],
      files: ['config.json'],
    });
    expect(html.indexOf('What this shows')).toBeLessThan(html.indexOf('<h2>A</h2>'));
    expect(html).toContain('<code>sii reproduce</code>');
    expect(html).toContain('<a href="runs/x/figures/a.svg"><code>runs/x/figures/a.svg</code></a>');
    expect(html).toContain('<a href="config.json">config.json</a>');
  });
});
