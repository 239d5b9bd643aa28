/**
 * Failed training units in-process (a runner whose tasks throw): a sweep where nothing succeeded
 * rejects naming the errors and marks the run failed; --fail-fast stops at the first failure; one
 * failed teacher among good ones is recorded and the sweep completes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { implicitCommand } from '../src/commands/implicit.js';
import type { Io } from '../src/commands/common.js';
import { type TeacherStudentConfig, teacherStudentCommand } from '../src/commands/teacherStudent.js';
import type { EpochReport, TaskRunner } from '../src/pool.js';
import type { ImplicitResult, ImplicitTask } from '../src/train/implicit.js';
import { emptyInitRun, type StudentConfig, type TeacherResult, type TeacherTask } from '../src/train/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'sii-fail-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const notes: string[] = [];
const io: Io = { print: () => {}, note: (s) => notes.push(s) };

/** A runner that records the tasks it was given and fails those `fails` picks. */
function fakeRunner<T, R>(fails: (task: T) => boolean, ok: (task: T) => R): TaskRunner<T, R> & { seen: T[] } {
  const seen: T[] = [];
  return {
    slots: 1,
    seen,
    async run(_slot: number, task: T, _onEpoch: EpochReport) {
      seen.push(task);
      if (fails(task)) throw new Error(`boom in task ${seen.length - 1}`);
      return { result: ok(task) };
    },
    async close() {},
  };
}

const student: StudentConfig = {
  setting: 'excl',
  hidden: 6,
  layers: 2,
  activation: 'elu',
  solver: 'midpoint',
  h: 0.1,
  eps: -0.01,
  complex: true,
  window: 10,
  batch: 20,
  lr: 1e-4,
  clip: 1,
  epochs: 2,
  samples: 30,
  divergeFactor: 1e6,
  backend: 'cpu',
  target: 'aligned',
  pairing: 'paired',
};
const config: TeacherStudentConfig = { teachers: 3, inits: ['sii', 'baseline'], seed: 0, student };

function goodTeacher(t: TeacherTask): TeacherResult {
  const run = (init: 'sii' | 'baseline', v: number) => ({
    ...emptyInitRun(init),
    initialValLoss: 2,
    valCurve: [v, v / 2],
    trainCurve: [v, v],
    minValLoss: v / 2,
    minEpoch: 2,
    poles: [[[-1, 0]], [[-1, 0]], [[-1, 0]]] as [number, number][][],
    epochsRun: 2,
  });
  return {
    teacher: t.teacher,
    teacherSeed: t.teacherSeed,
    setting: 'excl',
    teacherPoles: [[-20, 0]],
    runs: { sii: run('sii', 0.1 * (t.teacher + 1)), baseline: run('baseline', 0.3) },
  };
}

const status = (dir: string) => JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).state;
const onlyDir = (out: string) => join(out, readdirSync(out)[0]);

describe('teacher-student with failing teachers', () => {
  it('every teacher failed: rejects with "no teacher succeeded", the first error, and status failed', async () => {
    const runner = fakeRunner<TeacherTask, TeacherResult>(() => true, goodTeacher);
    const out = join(tmp, 'all-failed');
    await expect(teacherStudentCommand({ out, seed: 0, progress: 'off', workers: 1, runner, config }, io)).rejects.toThrow(
      /no teacher succeeded: all 3 failed \(boom in task 0; boom in task 1; … \(1 more\)\); report: .*report\.html/,
    );
    expect(runner.seen.map((t) => t.teacher)).toEqual([0, 1, 2]);
    expect(status(onlyDir(out))).toBe('failed');
  });

  it('--fail-fast: stops after the first failed teacher and rejects naming it; no report', async () => {
    const runner = fakeRunner<TeacherTask, TeacherResult>((t) => t.teacher === 1, goodTeacher);
    const out = join(tmp, 'fail-fast');
    await expect(teacherStudentCommand({ out, seed: 0, progress: 'off', workers: 1, failFast: true, runner, config }, io)).rejects.toThrow(
      '--fail-fast: teacher 1 failed: boom in task 1; stopped (resume with: sii teacher-student --resume',
    );
    expect(runner.seen.map((t) => t.teacher)).toEqual([0, 1]);
    const dir = onlyDir(out);
    expect(status(dir)).toBe('failed');
    expect(readdirSync(dir)).not.toContain('report.html');
    expect(readdirSync(join(dir, 'teachers')).sort()).toEqual(['teacher-0000.json', 'teacher-0001.json']);
  });

  it('one failed teacher of three (no --fail-fast): the sweep completes and compares the two good ones', async () => {
    const runner = fakeRunner<TeacherTask, TeacherResult>((t) => t.teacher === 1, goodTeacher);
    const out = join(tmp, 'one-failed');
    const r = await teacherStudentCommand({ out, seed: 0, progress: 'off', workers: 1, runner, config }, io);
    expect(runner.seen).toHaveLength(3);
    expect(status(r.dir)).toBe('complete');
    // teacher 1 failed in both arms (minimum Infinity, left out of the median): SII minima 0.05 and 0.15 → median 0.1
    expect(r.summary.completed).toBe(3);
    expect(r.summary.inits.find((i) => i.init === 'sii')!.medianMinValLoss).toBeCloseTo(0.1, 12);
  });
});

describe('implicit-regularization with failing students', () => {
  const train = {
    teacherPoles: [[-2, 0]] as [number, number][],
    h: 0.1,
    hidden: 4,
    layers: 2,
    activation: 'elu',
    trajectories: 1,
    samples: 10,
    window: 10,
    batch: 32,
    lr: 1e-2,
    clip: 1,
    epochs: 1,
    backend: 'cpu' as const,
  };
  const ok = (t: ImplicitTask): ImplicitResult => ({
    solver: t.solver,
    seed: t.seed,
    poles: [[-2, 0]],
    initialLoss: 1,
    finalLoss: 0.5,
    diverged: false,
    wallMs: 3,
  });

  it('every student failed: rejects with "no student succeeded" naming the solver, status failed', async () => {
    const runner = fakeRunner<ImplicitTask, ImplicitResult>(() => true, ok);
    const out = join(tmp, 'implicit-all-failed');
    await expect(
      implicitCommand(
        { out, seed: 0, progress: 'off', workers: 1, runner, config: { solvers: ['euler', 'rk4'], students: 2, seed: 0, train } },
        io,
      ),
    ).rejects.toThrow(/no student succeeded: all 4 failed \(euler 0\/implicit\/student\/0: boom in task 0; /);
    expect(status(onlyDir(out))).toBe('failed');
  });

  it('--fail-fast stops at the first failed student', async () => {
    const runner = fakeRunner<ImplicitTask, ImplicitResult>((t) => t.solver === 'euler', ok);
    const out = join(tmp, 'implicit-fail-fast');
    await expect(
      implicitCommand(
        {
          out,
          seed: 0,
          progress: 'off',
          workers: 1,
          failFast: true,
          runner,
          config: { solvers: ['euler', 'rk4'], students: 2, seed: 0, train },
        },
        io,
      ),
    ).rejects.toThrow('--fail-fast: student euler 0/implicit/student/0: boom in task 0; stopped');
    expect(runner.seen).toHaveLength(1);
  });

  it('wall times go to timings.json, not results.json', async () => {
    const runner = fakeRunner<ImplicitTask, ImplicitResult>(() => false, ok);
    const out = join(tmp, 'implicit-ok');
    const r = await implicitCommand(
      { out, seed: 0, progress: 'off', workers: 1, runner, config: { solvers: ['euler'], students: 2, seed: 0, train } },
      io,
    );
    const results = readFileSync(join(r.dir, 'results.json'), 'utf8');
    expect(results).not.toContain('wallMs');
    expect(JSON.parse(results).students).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(r.dir, 'timings.json'), 'utf8')).students.map((s: { wallMs: number }) => s.wallMs)).toEqual([3, 3]);
  });
});
