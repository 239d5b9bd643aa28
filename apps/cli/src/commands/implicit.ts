/**
 * `sii implicit-regularization` (paper, Figure 3): students with 3 states are fitted to one linear
 * teacher with known poles, once per solver at the same h; a kernel-density plot of the learned
 * poles (hλ) per solver over the regions, teacher poles marked.
 */
import { kdeChart } from '../charts.js';
import { type QueueHooks, runQueue, type TaskRunner, WorkerRunner } from '../pool.js';
import { parseQueueUrl } from '../queue/connection.js';
import { runOnQueue } from '../queue/coordinator.js';
import { QUEUE_DEFAULTS } from '../queue/options.js';
import { createProgress } from '../progress.js';
import { DEFAULT_REGION_METHODS, regionCurves } from '../regions.js';
import { sig, textTable } from '../report.js';
import { Run } from '../run.js';
import { median } from '../stats.js';
import type { ImplicitConfig, ImplicitResult, ImplicitTask } from '../train/implicit.js';
import { RUN_FILES } from '../runfolder.js';
import { type CommandResult, type CommonOptions, firstErrors, type Io } from './common.js';

export interface ImplicitCommandConfig {
  solvers: string[];
  students: number;
  seed: number;
  train: ImplicitConfig;
}

/** Teacher poles hλ: −0.2 and −0.3 ± 1.2i — outside the Euler disk, inside midpoint's and RK4's regions. */
export const IMPLICIT_TEACHER_HLAMBDA: [number, number][] = [
  [-0.3, 1.2],
  [-0.3, -1.2],
  [-0.2, 0],
];

export async function implicitCommand(
  opts: CommonOptions & {
    config: ImplicitCommandConfig;
    runner?: TaskRunner<ImplicitTask, ImplicitResult>;
    /** Run the students as jobs on this BullMQ queue (redis://HOST:PORT[/DB]) instead of local worker threads. */
    queue?: string;
    /** With `queue`: attempts per student and the first retry delay (exponential backoff). */
    attempts?: number;
    backoffMs?: number;
  },
  io: Io,
): Promise<CommandResult> {
  const c = opts.config;
  const address = opts.queue === undefined ? undefined : parseQueueUrl(opts.queue);
  const teacherSeed = `${c.seed}/implicit/teacher`;
  const tasks: ImplicitTask[] = c.solvers.flatMap((solver) =>
    Array.from({ length: c.students }, (_, s) => ({
      kind: 'implicit' as const,
      solver,
      seed: `${c.seed}/implicit/student/${s}`,
      teacherSeed,
      config: c.train,
    })),
  );
  const run = Run.create(opts.out, 'implicit-regularization', c, { teacherSeed, studentSeeds: tasks.map((t) => t.seed) });
  const progress =
    opts.progress === 'off'
      ? createProgress({ total: tasks.length, title: 'implicit', plain: true, stream: devNull() })
      : createProgress({
          total: tasks.length,
          title: 'implicit-regularization',
          plain: opts.progress === 'plain' ? true : opts.progress === 'bar' ? false : undefined,
          epochEvery: 0,
        });
  const runner = address ? undefined : (opts.runner ?? new WorkerRunner<ImplicitTask, ImplicitResult>(Math.max(1, opts.workers)));
  const results: ImplicitResult[] = [];
  const errors: string[] = [];
  const hooks: QueueHooks<ImplicitTask, ImplicitResult> = {
    stop: () => opts.failFast === true && errors.length > 0,
    onStart: (slot, t) => progress.start(slot, `${t.solver} ${t.seed.split('/').pop()}`, c.train.epochs),
    onEpoch: (slot, _t, e, v) => progress.epoch(slot, e, `loss ${sig(v, 3)}`),
    onDone: (slot, t, r) => {
      results.push(r);
      progress.finish(slot, `${t.solver} ${t.seed.split('/').pop()}`, `loss ${sig(r.finalLoss, 3)}`);
    },
    onError: (slot, t, e) => {
      progress.finish(slot, `${t.solver}`, `failed: ${e.message.split('\n')[0]}`);
      errors.push(`${t.solver} ${t.seed}: ${e.message}`);
      results.push({
        solver: t.solver,
        seed: t.seed,
        poles: [],
        initialLoss: Number.NaN,
        finalLoss: Number.NaN,
        diverged: true,
        wallMs: 0,
      });
    },
  };
  try {
    if (address) {
      await runOnQueue(
        tasks.map((task) => ({ key: `student-${task.solver}-${task.seed.split('/').pop()!.padStart(4, '0')}`, task })),
        {
          address,
          run,
          study: 'implicit-regularization',
          attempts: opts.attempts ?? QUEUE_DEFAULTS.attempts,
          backoffMs: opts.backoffMs ?? QUEUE_DEFAULTS.backoffMs,
          note: (line) => (opts.progress === 'off' ? io.note(line) : progress.log(line)),
        },
        hooks,
      );
    } else await runQueue(tasks, runner!, hooks);
  } finally {
    progress.stop();
    await runner?.close();
  }
  if (opts.failFast && errors.length) {
    run.setStatus('failed');
    throw new Error(`--fail-fast: student ${firstErrors(errors, 1)}; stopped`);
  }
  const order = (r: ImplicitResult) =>
    c.solvers.indexOf(r.solver) * 1e6 + tasks.findIndex((t) => t.seed === r.seed && t.solver === r.solver);
  results.sort((a, b) => order(a) - order(b));
  const h = c.train.h;
  run.writeJson('results.json', {
    teacherPoles: c.train.teacherPoles,
    teacherHLambda: c.train.teacherPoles.map(([re, im]) => [re * h, im * h]),
    // wall times go to timings.json so that results.json is fixed by the seed alone
    students: results.map(({ wallMs: _w, ...r }) => r),
  });
  run.writeJson(RUN_FILES.timings, { students: results.map((r) => ({ solver: r.solver, seed: r.seed, wallMs: r.wallMs })) });
  const svg = await kdeChart({
    regions: regionCurves(DEFAULT_REGION_METHODS),
    panels: c.solvers.map((s) => ({
      name: s,
      points: results.filter((r) => r.solver === s).flatMap((r) => r.poles.map(([re, im]) => ({ re: re * h, im: im * h }))),
    })),
    marks: c.train.teacherPoles.map(([re, im]) => ({ re: re * h, im: im * h })),
    range: { x: [-3.2, 0.8], y: [-3.2, 3.2] },
    title: `Learned poles hλ per training solver (h = ${h}); × teacher poles`,
  });
  run.addFigure({
    file: 'implicit-regularization-kde.svg',
    svg,
    caption:
      'Kernel density of the students’ poles at the origin after training (hλ), per solver, over the regions of euler, midpoint, kutta3, rk4; × marks the teacher’s poles.',
  });
  const table = {
    head: ['solver', 'students', 'diverged', 'median final MSE'],
    rows: c.solvers.map((s) => {
      const rs = results.filter((r) => r.solver === s);
      return [
        s,
        String(rs.length),
        String(rs.filter((r) => r.diverged).length),
        sig(median(rs.map((r) => r.finalLoss).filter(Number.isFinite))),
      ];
    }),
  };
  const report = run.finish('Implicit regularization by the solver', [
    {
      title: 'Summary',
      text: `${c.students} students per solver (MLP ${c.train.activation}, H ${c.train.hidden}, L ${c.train.layers}, He init) fitted to a linear teacher with hλ = ${c.train.teacherPoles.map(([re, im]) => `${sig(re * h)}${im ? `${im > 0 ? '+' : '−'}${sig(Math.abs(im * h))}i` : ''}`).join(', ')}, ${c.train.epochs} epochs.`,
      table,
    },
    { title: 'Figures', figures: run.figures },
  ]);
  if (errors.length > 0 && errors.length === results.length) {
    run.setStatus('failed');
    throw new Error(`no student succeeded: all ${errors.length} failed (${firstErrors(errors)}); report: ${report}`);
  }
  if (address && errors.length > 0) {
    // On the queue every failed student already had its retries: the run is not complete.
    run.setStatus('failed');
    throw new Error(
      `${errors.length} of ${results.length} students failed after their retries on the queue (${firstErrors(errors)}); report: ${report}`,
    );
  }
  io.print(textTable(table));
  io.print(`report: ${report}`);
  return { dir: run.dir, report, figures: run.figures, table };
}

function devNull(): NodeJS.WriteStream {
  return { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
}
