/** The per-epoch teacher–student analysis on hand-made per-teacher results whose numbers are worked by hand. */
import { describe, expect, it } from 'vitest';
import { analysisSections, analyzeSweep, compareAtEpoch, insideRegion, lossAtEpoch } from '../src/commands/teacherStudentReport.js';
import { emptyInitRun, type InitName, type InitRun, type TeacherResult } from '../src/train/types.js';

function run(init: InitName, valCurve: number[], opts: { diverged?: number; poles?: [number, number][] } = {}): InitRun {
  return {
    ...emptyInitRun(init),
    valCurve,
    trainCurve: valCurve,
    minValLoss: Math.min(...valCurve.filter(Number.isFinite)),
    diverged: opts.diverged ? { epoch: opts.diverged, reason: 'test' } : null,
    poles: opts.poles ? [[], opts.poles] : [],
    epochsRun: valCurve.length,
  };
}
function teacher(i: number, sii: InitRun, baseline: InitRun): TeacherResult {
  return { teacher: i, teacherSeed: `t${i}`, setting: 'incl', teacherPoles: [], runs: { sii, baseline } };
}

// Three teachers, four epochs; teacher 2's baseline diverges at epoch 2.
const results = [
  teacher(0, run('sii', [4, 2, 1, 1]), run('baseline', [3, 3, 3, 0.5])),
  teacher(1, run('sii', [4, 2, 2, 2]), run('baseline', [5, 1, 3, 3])),
  teacher(2, run('sii', [1, 1, 1, 1]), run('baseline', [2], { diverged: 2 })),
];
const config = { inits: ['sii', 'baseline'] as InitName[], student: { epochs: 4, h: 0.1, solver: 'midpoint' } };

describe('teacher–student analysis', () => {
  it('loss at an epoch: the curve value, ∞ after divergence, NaN when not run', () => {
    expect(lossAtEpoch(results[2].runs.baseline, 1)).toBe(2);
    expect(lossAtEpoch(results[2].runs.baseline, 3)).toBe(Number.POSITIVE_INFINITY);
    expect(lossAtEpoch(run('sii', [1]), 2)).toBeNaN();
    expect(lossAtEpoch(undefined, 1)).toBeNaN();
  });

  it('per-epoch win shares 2/3, 2/3, 3/3, 2/3 (a diverged baseline loses); largest advantage at epoch 3', () => {
    const a = analyzeSweep(config, results);
    expect(a.perEpoch.map((c) => c.siiWinShare)).toEqual([2 / 3, 2 / 3, 1, 2 / 3]);
    expect(a.perEpoch.every((c) => c.pairs === 3)).toBe(true);
    // Wilson 95 % for 3 of 3: [3/(3 + z²), 1].
    const z2 = 1.959963984540054 ** 2;
    expect(a.perEpoch[2].ci95[0]).toBeCloseTo(3 / (3 + z2), 12);
    expect(a.perEpoch[2].ci95[1]).toBe(1);
    // Median log10(baseline/SII) over finite pairs: epoch 1 log10(5/4); epoch 2 (log10 1.5 + log10 0.5)/2; epoch 3 (log10 3 + log10 1.5)/2.
    expect(a.perEpoch[0].medianLogRatio).toBeCloseTo(Math.log10(5 / 4), 12);
    expect(a.perEpoch[1].medianLogRatio).toBeCloseTo((Math.log10(1.5) + Math.log10(0.5)) / 2, 12);
    expect(a.perEpoch[2].medianLogRatio).toBeCloseTo((Math.log10(3) + Math.log10(1.5)) / 2, 12);
    expect(a.largestAdvantage?.byWinShare.epoch).toBe(3);
    expect(a.largestAdvantage?.byMedianRatio.epoch).toBe(3);
    // Epochs 10, 25, 50, 100 lie beyond a 4-epoch run.
    expect(a.fixedEpochs).toEqual([]);
  });

  it('loss at epoch 10: per-init quartiles and the paired win share with ties half', () => {
    const ten = (last: number) => [...Array(9).fill(9), last];
    const rs = [
      teacher(0, run('sii', ten(1)), run('baseline', ten(2))),
      teacher(1, run('sii', ten(2)), run('baseline', ten(2))),
      teacher(2, run('sii', ten(3)), run('baseline', ten(5))),
      teacher(3, run('sii', ten(4)), run('baseline', ten(0.5))),
    ];
    const a = analyzeSweep({ ...config, student: { ...config.student, epochs: 12 } }, rs);
    expect(a.fixedEpochs.map((r) => r.epoch)).toEqual([10]);
    const [sii, base] = a.fixedEpochs[0].perInit;
    // [1, 2, 3, 4]: median 2.5, q1 1.75, q3 3.25; [0.5, 2, 2, 5]: median 2, q1 1.625, q3 2.75 (linear interpolation).
    expect([sii.median, sii.q1, sii.q3]).toEqual([2.5, 1.75, 3.25]);
    expect([base.median, base.q1, base.q3]).toEqual([2, 1.625, 2.75]);
    expect(a.fixedEpochs[0].comparison?.siiWinShare).toBe(2.5 / 4);
    expect(compareAtEpoch(rs, 10).pairs).toBe(4);
  });

  it('final poles inside the midpoint region R(z) = 1 + z + z²/2 (h = 0.1)', () => {
    expect(insideRegion('midpoint', [-0.1, 0])).toBe(true);
    expect(insideRegion('midpoint', [-2, 0])).toBe(true); // boundary R(−2) = 1
    expect(insideRegion('midpoint', [-2.01, 0])).toBe(false);
    expect(insideRegion('midpoint', [0, 1])).toBe(false); // |0.5 + i| = 1.118
    expect(insideRegion('euler', [-0.5, 0.9])).toBe(false); // |0.5 + 0.9i| > 1
    const rs = [
      teacher(
        0,
        run('sii', [1], {
          poles: [
            [-1, 0],
            [-10, 0],
            [-20, 0],
          ],
        }),
        run('baseline', [1], {
          poles: [
            [5, 0],
            [-30, 0],
            [0, 10],
          ],
        }),
      ),
      teacher(
        1,
        run('sii', [1], {
          poles: [
            [-5, 3],
            [-5, -3],
          ],
        }),
        run('baseline', [1], { poles: [[-1, 0]] }),
      ),
    ];
    const a = analyzeSweep({ ...config, student: { ...config.student, epochs: 1 } }, rs);
    expect(a.finalPoles).toEqual([
      { init: 'sii', poles: 5, inside: 5, insideShare: 1 },
      { init: 'baseline', poles: 4, inside: 1, insideShare: 0.25 },
    ]);
    const sections = analysisSections(a);
    expect(sections.map((s) => s.title)).toEqual(['Learned poles at the end']);
  });
});
