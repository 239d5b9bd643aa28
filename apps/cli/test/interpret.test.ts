import { describe, expect, it } from 'vitest';
import type { TeacherStudentSummary } from '../src/commands/teacherStudent.js';
import { interpretComparison } from '../src/interpret.js';
import { relativeHref, renderReport } from '../src/report.js';

const summary = (p: number, pairs: number, siiMedian: number, baseMedian: number, win: number): TeacherStudentSummary => ({
  setting: 'incl',
  teachers: pairs,
  completed: pairs,
  inits: [
    { init: 'sii', runs: pairs, diverged: 0, medianMinValLoss: siiMedian, q1MinValLoss: siiMedian, q3MinValLoss: siiMedian, meanWallMs: 1 },
    { init: 'baseline', runs: pairs, diverged: 0, medianMinValLoss: baseMedian, q1MinValLoss: baseMedian, q3MinValLoss: baseMedian, meanWallMs: 1 },
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
    expect(t).toContain('p = 0.73');
    expect(t).toContain('cannot tell the two initializations apart');
    expect(t).toContain('`sii reproduce`');
    expect(t).toContain('--teachers 30');
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
