/** The reproduce plan per scale: the studies' configurations come from the commands' own defaults. */
import { describe, expect, it } from 'vitest';
import { buildProgram, teacherStudentConfig } from '../src/cli.js';
import { laptopEstimateMinutes, makeReproduceConfig, STUDY_NAMES } from '../src/commands/reproduce.js';
import { defaultsOf } from '../src/commands/reproduceCli.js';

const silent = { print: () => {}, note: () => {} };
const plan = (scale: 'laptop' | 'paper' | 'tiny', extra: { only?: string[]; data?: Record<string, string> } = {}) =>
  makeReproduceConfig({ scale, seed: 0, ...extra }, defaultsOf(buildProgram(silent)), teacherStudentConfig);

/** The configuration `sii teacher-student ARGS` builds from its parsed options (the action is replaced). */
function parsedTeacherStudent(args: string[]) {
  const program = buildProgram(silent);
  const cmd = program.commands.find((c) => c.name() === 'teacher-student')!;
  let opts: Record<string, unknown> = {};
  cmd.action((o: Record<string, unknown>) => {
    opts = o;
  });
  program.parse(['node', 'sii', 'teacher-student', ...args]);
  return teacherStudentConfig(opts);
}

describe('makeReproduceConfig', () => {
  it('each teacher–student study is exactly what `sii teacher-student` builds from the same flags (complex pairs included)', () => {
    for (const setting of ['incl', 'excl'] as const) {
      const fromCommand = parsedTeacherStudent(['--setting', setting, '--teachers', '500', '--epochs', '100']);
      expect(plan('paper').teacherStudent[setting]).toEqual(fromCommand);
      expect(fromCommand.student.complex).toBe(true);
    }
  });

  it('laptop: 200 teachers × 100 epochs per setting with the authors’ student (incl H 128 L 3, excl H 32 L 2, NAdam 1e-4, 300 samples)', () => {
    const c = plan('laptop');
    expect(c.studies).toEqual([...STUDY_NAMES]);
    const incl = c.teacherStudent.incl!;
    const excl = c.teacherStudent.excl!;
    expect([incl.teachers, incl.student.epochs, incl.student.hidden, incl.student.layers]).toEqual([200, 100, 128, 3]);
    expect([excl.teachers, excl.student.epochs, excl.student.hidden, excl.student.layers]).toEqual([200, 100, 32, 2]);
    for (const t of [incl, excl]) {
      expect(t.inits).toEqual(['sii', 'baseline']);
      expect([t.student.lr, t.student.samples, t.student.window, t.student.batch, t.student.solver, t.student.h]).toEqual([
        1e-4,
        300,
        10,
        20,
        'midpoint',
        0.1,
      ]);
    }
    // Every benchmark study runs 8 per init at laptop scale (the fewest that can reach α = 0.01); tanks runs 5 epochs (its baseline's slow rollouts).
    expect(c.experiments.pixel.seeds).toBe(8);
    expect(c.experiments.latent.seeds).toBe(8);
    expect(c.experiments['forecast-tanks'].seeds).toBe(8);
    expect(c.experiments['forecast-duffing'].seeds).toBe(8);
    expect(c.experiments['forecast-tanks'].epochs).toBe(5);
    expect(c.experiments['forecast-duffing'].epochs).toBe(20);
    expect(c.implicit!.students).toBe(4);
  });

  it('the laptop estimate is under 90 minutes: measured seconds per unit × 200 teachers or 8 runs × 2 inits / 2 workers ≈ 40 min', () => {
    const total = STUDY_NAMES.reduce((a, s) => a + laptopEstimateMinutes(s), 0);
    const seconds =
      (((2 * 252.7) / 50 + (2 * 60.0) / 50) * 200) / 2 + // teacher–student, both settings
      0.1 * 60 +
      5 + // perturbation, implicit
      (((2 * 161.9) / 6 + (2 * 202.3) / 16 + (2 * 73.1) / 6) * 16) / 2 + // pixel, latent, duffing: 8 runs × 2 inits
      ((6.5 + 73) * 8) / 2; // tanks: 8 seeds, both inits
    expect(total).toBeCloseTo(seconds / 60, 10);
    expect(total).toBeGreaterThan(35);
    expect(total).toBeLessThan(90);
  });

  it('paper: 500 teachers; tiny: a few seconds per study; --only keeps the order', () => {
    expect(plan('paper').teacherStudent.excl!.teachers).toBe(500);
    expect(plan('paper').experiments.latent.seeds).toBe(8);
    const t = plan('tiny', { only: ['latent', 'ts-excl'] });
    expect(t.studies).toEqual(['ts-excl', 'latent']);
    expect(t.teacherStudent.incl).toBeUndefined();
    expect(t.experiments.latent.seeds).toBe(1);
    expect(() => plan('tiny', { only: ['forecast-engine'] })).toThrow(/--only: unknown study forecast-engine/);
    expect(plan('tiny', { data: { engine: '/x.csv' } }).studies).toContain('forecast-engine');
  });
});
