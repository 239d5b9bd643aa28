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

  it('laptop: 50 teachers × 100 epochs per setting with the authors’ student (incl H 128 L 3, excl H 32 L 2, NAdam 1e-4, 300 samples)', () => {
    const c = plan('laptop');
    expect(c.studies).toEqual([...STUDY_NAMES]);
    const incl = c.teacherStudent.incl!;
    const excl = c.teacherStudent.excl!;
    expect([incl.teachers, incl.student.epochs, incl.student.hidden, incl.student.layers]).toEqual([50, 100, 128, 3]);
    expect([excl.teachers, excl.student.epochs, excl.student.hidden, excl.student.layers]).toEqual([50, 100, 32, 2]);
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
    // Pixel and forecasting keep their presets' 3 runs at laptop scale, latent runs 8; tanks runs 5 epochs (its baseline's slow rollouts).
    expect(c.experiments.pixel.seeds).toBe(3);
    expect(c.experiments.latent.seeds).toBe(8);
    expect(c.experiments['forecast-tanks'].seeds).toBe(3);
    expect(c.experiments['forecast-tanks'].epochs).toBe(5);
    expect(c.experiments['forecast-duffing'].epochs).toBe(20);
    expect(c.implicit!.students).toBe(4);
  });

  it('the laptop estimate is under 90 minutes: 2 × 50·2·8 s / 2 workers + 0.1 + 1 + 3·6 + 8·1 + (659 + 682) s = 62.8 min', () => {
    const total = STUDY_NAMES.reduce((a, s) => a + laptopEstimateMinutes(s), 0);
    expect(total).toBeCloseTo(2 * (800 / 120) + 0.1 + 1 + 18 + 8 + (659 + 682) / 60, 10);
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
