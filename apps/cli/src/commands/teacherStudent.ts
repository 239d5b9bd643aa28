/**
 * `sii teacher-student` (METHOD.md §7): for each teacher seed, train one student per init on identical
 * data; per-teacher results are written atomically as soon as a teacher's students are done, so an
 * interrupted sweep resumes without redoing finished teachers (--resume).
 */
import { existsSync, readdirSync } from 'node:fs';
import { bandChart, INIT_COLORS, logHistogram, poleTrajectoryChart } from '../charts.js';
import { pairedSummary, quantile } from '../stats.js';
import { type EpochReport, type QueueHooks, runQueue, type TaskRunner, WorkerRunner } from '../pool.js';
import { createProgress, type ProgressSink } from '../progress.js';
import { interpretComparison } from '../interpret.js';
import { regionCurves } from '../regions.js';
import { type ReportSection, sig, textTable } from '../report.js';
import { Run } from '../run.js';
import { RUN_FILES, readJson, writeFileAtomic } from '../runfolder.js';
import {
  emptyInitRun,
  type InitName,
  type InitRun,
  type Setting,
  type StudentConfig,
  type StudentPairing,
  type StudentTarget,
  studentProtocol,
  type TeacherResult,
  type TeacherTask,
} from '../train/types.js';
import { parseQueueUrl } from '../queue/connection.js';
import { QUEUE_FILE, runOnQueue } from '../queue/coordinator.js';
import { QUEUE_DEFAULTS } from '../queue/options.js';
import { type CommandResult, type CommonOptions, firstErrors, type Io } from './common.js';
import { analysisFigures, analysisSections, analyzeSweep, type TeacherStudentAnalysis } from './teacherStudentReport.js';

/** Student architecture per setting (METHOD.md §7). */
export const SETTING_DEFAULTS: Record<Setting, { hidden: number; layers: number }> = {
  incl: { hidden: 128, layers: 3 },
  excl: { hidden: 32, layers: 2 },
};

export interface TeacherStudentConfig {
  teachers: number;
  inits: InitName[];
  seed: number;
  student: StudentConfig;
}

export interface TeacherStudentOptions extends CommonOptions {
  resume?: string;
  /** Testing aid: SIGKILL the process after this many teachers were written (simulates a crash). */
  abortAfter?: number;
  /** Run tasks in-process instead of worker threads (tests). */
  runner?: TaskRunner<TeacherTask, TeacherResult>;
  title?: string;
  /** Run the teachers as jobs on this BullMQ queue (redis://HOST:PORT[/DB]) instead of local worker threads. */
  queue?: string;
  /** With `queue`: attempts per teacher and the first retry delay (exponential backoff). */
  attempts?: number;
  backoffMs?: number;
}

export function teacherSeed(seed: number, teacher: number): string {
  return `${seed}/teacher/${teacher}`;
}
export function studentSeed(seed: number, teacher: number): string {
  return `${seed}/student/${teacher}`;
}

export function teacherFile(teacher: number): string {
  return `${RUN_FILES.teachers}/teacher-${String(teacher).padStart(4, '0')}.json`;
}

/**
 * Teachers already written in a run folder, for --resume. Only indices below `teachers` count (a stray
 * file of another sweep is ignored); a file that cannot be read or parsed, and a teacher whose training
 * failed (an error, not a divergence), is not counted, so that teacher is trained again. Each skipped file
 * is reported through `note`.
 */
export function finishedTeachers(run: Run, teachers: number, note: (line: string) => void = () => {}): Map<number, TeacherResult> {
  const out = new Map<number, TeacherResult>();
  const dir = run.path(RUN_FILES.teachers);
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).sort()) {
    const m = /^teacher-(\d+)\.json$/.exec(f);
    if (!m) continue;
    const index = Number(m[1]);
    if (index >= teachers) {
      note(`ignoring ${f}: teacher ${index} is outside this sweep of ${teachers} teachers`);
      continue;
    }
    let r: TeacherResult;
    try {
      r = reviveNumbers(readJson<TeacherResult>(run.path(RUN_FILES.teachers, f)));
      if (r.teacher !== index || !r.runs || typeof r.runs !== 'object') throw new Error(`it does not hold teacher ${index}`);
    } catch (e) {
      note(`teacher ${index} will be trained again: ${(e as Error).message}`);
      continue;
    }
    if (Object.values(r.runs).some((x) => x?.error !== undefined)) {
      note(`teacher ${index} failed before; training it again`);
      continue;
    }
    out.set(index, r);
  }
  return out;
}

/** JSON stores non-finite numbers as strings ("Infinity", "NaN"); turn them back into numbers. */
function reviveNumbers<T>(v: T): T {
  if (typeof v === 'string' && (v === 'Infinity' || v === '-Infinity' || v === 'NaN')) return Number(v) as T;
  if (Array.isArray(v)) return v.map(reviveNumbers) as T;
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) (v as Record<string, unknown>)[k] = reviveNumbers((v as Record<string, unknown>)[k]);
  }
  return v;
}

export interface InitSummary {
  init: InitName;
  runs: number;
  diverged: number;
  medianMinValLoss: number;
  q1MinValLoss: number;
  q3MinValLoss: number;
  meanWallMs: number;
}

export interface TeacherStudentSummary {
  setting: Setting;
  /** Which loss target and arm pairing ran (see StudentTarget, StudentPairing). */
  target: StudentTarget;
  pairing: StudentPairing;
  teachers: number;
  completed: number;
  inits: InitSummary[];
  /** SII vs baseline on the minimum validation loss (present when both inits ran). */
  comparison?: {
    pairs: number;
    siiWinShare: number;
    signTestP: number;
    wilcoxonP: number;
    wilcoxonMethod: string;
    wilcoxonN: number;
  };
  /** Sum of the students' training wall times, and this run's elapsed wall time (all invocations). */
  trainingWallMs: number;
  elapsedMs: number;
  /** Per-epoch paired comparison, loss at fixed epochs, learned poles at the end (teacherStudentReport.ts). */
  analysis?: TeacherStudentAnalysis;
}

export function summarize(config: TeacherStudentConfig, results: readonly TeacherResult[], elapsedMs: number): TeacherStudentSummary {
  const inits: InitSummary[] = config.inits.map((init) => {
    const runs = results.map((r) => r.runs[init]).filter((r): r is InitRun => r !== undefined);
    const mins = runs.map((r) => r.minValLoss).filter(Number.isFinite);
    return {
      init,
      runs: runs.length,
      diverged: runs.filter((r) => r.diverged).length,
      medianMinValLoss: quantile(mins, 0.5),
      q1MinValLoss: quantile(mins, 0.25),
      q3MinValLoss: quantile(mins, 0.75),
      meanWallMs: runs.length ? runs.reduce((s, r) => s + r.wallMs, 0) / runs.length : Number.NaN,
    };
  });
  const summary: TeacherStudentSummary = {
    setting: config.student.setting,
    ...studentProtocol(config.student),
    teachers: config.teachers,
    completed: results.length,
    inits,
    trainingWallMs: results.reduce((s, r) => s + Object.values(r.runs).reduce((a, x) => a + (x?.wallMs ?? 0), 0), 0),
    elapsedMs,
    analysis: analyzeSweep(config, results),
  };
  if (config.inits.includes('sii') && config.inits.includes('baseline')) {
    const paired = results.filter((r) => r.runs.sii && r.runs.baseline);
    const p = pairedSummary(
      paired.map((r) => r.runs.sii!.minValLoss),
      paired.map((r) => r.runs.baseline!.minValLoss),
    );
    summary.comparison = {
      pairs: p.n,
      siiWinShare: p.winShare,
      signTestP: p.sign.p,
      wilcoxonP: p.wilcoxon.p,
      wilcoxonMethod: p.wilcoxon.method,
      wilcoxonN: p.wilcoxon.n,
    };
  }
  return summary;
}

export function summaryTable(s: TeacherStudentSummary) {
  const rows = s.inits.map((i) => [
    i.init,
    String(i.runs),
    String(i.diverged),
    sig(i.medianMinValLoss),
    `${sig(i.q1MinValLoss, 3)} – ${sig(i.q3MinValLoss, 3)}`,
    `${(i.meanWallMs / 1000).toFixed(1)}`,
  ]);
  return { head: ['init', 'runs', 'diverged', 'median min val MSE', 'IQR', 'mean wall s'], rows };
}

export function comparisonLine(s: TeacherStudentSummary): string {
  const c = s.comparison;
  if (!c) return 'no paired comparison (needs both inits)';
  const unpaired = s.pairing === 'authors' ? ' (unpaired arms: each init had its own teacher of that index)' : '';
  return `SII wins ${(100 * c.siiWinShare).toFixed(0)}% of ${c.pairs} teachers${unpaired}; sign test p = ${sig(c.signTestP, 3)}; Wilcoxon signed-rank p = ${sig(c.wilcoxonP, 3)} (${c.wilcoxonMethod}, n = ${c.wilcoxonN})`;
}

/** Build the figures of a finished sweep. */
export async function sweepFigures(config: TeacherStudentConfig, results: readonly TeacherResult[]) {
  const h = config.student.h;
  const hist = await logHistogram({
    values: results.flatMap((r) => config.inits.map((init) => ({ value: r.runs[init]?.minValLoss ?? Number.NaN, group: init }))),
    xTitle: 'minimum validation MSE (log)',
    title: `Minimum validation loss per teacher (${config.student.setting}, ${results.length} teachers)`,
    colors: INIT_COLORS,
  });
  const curveRows: { x: number; median: number; q1: number; q3: number; group: string }[] = [];
  for (const init of config.inits) {
    for (let e = 0; e < config.student.epochs; e++) {
      const vals = results.map((r) => r.runs[init]?.valCurve[e]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (vals.length === 0) continue;
      curveRows.push({ x: e + 1, median: quantile(vals, 0.5), q1: quantile(vals, 0.25), q3: quantile(vals, 0.75), group: init });
    }
  }
  const curves = await bandChart({
    rows: curveRows,
    xTitle: 'epoch',
    yTitle: 'validation MSE (log)',
    title: 'Learning curves: median and interquartile band over teachers',
    colors: INIT_COLORS,
  });
  const points = results.flatMap((r) =>
    config.inits.flatMap((init) => {
      const run = r.runs[init];
      if (!run) return [];
      return run.poles.flatMap((ps, epoch) =>
        ps.map(([re, im]) => ({ re: re * h, im: im * h, group: init, epoch, last: epoch === run.poles.length - 1 })),
      );
    }),
  );
  const regions = regionCurves(['euler', config.student.solver, 'rk4'].filter((m, i, a) => a.indexOf(m) === i));
  const traj = await poleTrajectoryChart({
    regions,
    points,
    marks: results.flatMap((r) => r.teacherPoles.map(([re, im]) => ({ re: re * h, im: im * h }))),
    range: { x: [-4, 1], y: [-3.5, 3.5] },
    title: `Student poles hλ at the origin over training (h = ${h}; large dots: last epoch; left: the teachers' poles)`,
  });
  return [
    { file: 'min-val-loss-histogram.svg', svg: hist, caption: 'Histogram of the minimum validation MSE per teacher and init (log x).' },
    { file: 'learning-curves.svg', svg: curves, caption: 'Validation MSE per epoch: median over teachers with the interquartile band.' },
    {
      file: 'pole-trajectories.svg',
      svg: traj,
      caption: `Eigenvalues of the students' Jacobian at the origin after every epoch, as hλ over the stability regions of ${regions.map((r) => r.name).join(', ')}.`,
    },
  ];
}

/** A teacher whose training failed (an error in some init, not a divergence). */
export function teacherFailed(r: TeacherResult): boolean {
  return Object.values(r.runs).some((x) => x?.error !== undefined);
}

/** The summary without wall-clock fields: fixed by the seed and configuration alone. */
export function stableSummary(
  s: TeacherStudentSummary,
): Omit<TeacherStudentSummary, 'trainingWallMs' | 'elapsedMs' | 'inits'> & { inits: Omit<InitSummary, 'meanWallMs'>[] } {
  const { trainingWallMs: _t, elapsedMs: _e, inits, ...rest } = s;
  return { ...rest, inits: inits.map(({ meanWallMs: _m, ...i }) => i) };
}

/** Wall-clock times of a sweep (timings.json): they change from run to run, the results do not. */
export function teacherStudentTimings(s: TeacherStudentSummary, results: readonly TeacherResult[]) {
  return {
    elapsedMs: s.elapsedMs,
    trainingWallMs: s.trainingWallMs,
    meanWallMs: Object.fromEntries(s.inits.map((i) => [i.init, i.meanWallMs])),
    teachers: results.map((r) => ({
      teacher: r.teacher,
      wallMs: Object.fromEntries(Object.entries(r.runs).map(([k, x]) => [k, x?.wallMs ?? null])),
    })),
  };
}

/** The fields a resumed sweep reads from its stored configuration (config.json). */
function checkStoredConfig(c: Record<string, unknown>): void {
  if (!Number.isSafeInteger(c.teachers) || (c.teachers as number) < 1) throw new Error(`config.teachers is ${JSON.stringify(c.teachers)}`);
  if (!Array.isArray(c.inits) || c.inits.length === 0) throw new Error(`config.inits is ${JSON.stringify(c.inits)}`);
  if (typeof c.seed !== 'number') throw new Error(`config.seed is ${JSON.stringify(c.seed)}`);
  const s = c.student as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object' || !Number.isSafeInteger(s.epochs)) throw new Error('config.student is missing or has no epochs');
}

/** Per-teacher JSON lines, teachers in index order. */
export function jsonLines(results: readonly TeacherResult[]): string {
  return (
    results.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))).join('\n') +
    (results.length ? '\n' : '')
  );
}

export async function teacherStudentCommand(
  opts: TeacherStudentOptions & { config?: TeacherStudentConfig },
  io: Io,
): Promise<CommandResult & { summary: TeacherStudentSummary }> {
  const t0 = Date.now();
  const address = opts.queue === undefined ? undefined : parseQueueUrl(opts.queue);
  let run: Run<TeacherStudentConfig>;
  let previousElapsed = 0;
  if (opts.resume) {
    run = Run.open<TeacherStudentConfig>(opts.resume, 'teacher-student', checkStoredConfig);
    previousElapsed = run.previousElapsedMs(io.note);
    io.note(`resuming ${run.dir}`);
  } else {
    if (!opts.config) throw new Error('teacher-student: a configuration is required');
    const c = opts.config;
    run = Run.create(opts.out, 'teacher-student', c, {
      seed: c.seed,
      teacherSeeds: Array.from({ length: c.teachers }, (_, i) => teacherSeed(c.seed, i)),
      studentSeeds: Array.from({ length: c.teachers }, (_, i) => studentSeed(c.seed, i)),
    });
  }
  const config = run.record.config;
  if (!address && existsSync(run.path(QUEUE_FILE))) {
    io.note(`${QUEUE_FILE}: this run was on a queue; without --queue the rest runs locally and jobs still on the queue are not collected`);
  }
  const done = finishedTeachers(run, config.teachers, (line) => io.note(line));
  if (done.size > 0) io.note(`${done.size} of ${config.teachers} teachers already finished; skipping them`);
  const tasks: TeacherTask[] = [];
  for (let i = 0; i < config.teachers; i++) {
    if (done.has(i)) continue;
    tasks.push({
      kind: 'teacher',
      teacher: i,
      teacherSeed: teacherSeed(config.seed, i),
      studentSeed: studentSeed(config.seed, i),
      inits: config.inits,
      config: config.student,
    });
  }
  let written = 0;
  const progress: ProgressSink = createProgressFor(
    opts.progress,
    tasks.length,
    config.student.epochs * config.inits.length,
    `teacher-student ${config.student.setting}`,
  );
  const runner = address ? undefined : (opts.runner ?? new WorkerRunner<TeacherTask, TeacherResult>(Math.max(1, opts.workers)));
  const writeTeacher = (r: TeacherResult) => {
    run.writeJson(teacherFile(r.teacher), r);
    done.set(r.teacher, r);
    const ordered = [...done.values()].sort((a, b) => a.teacher - b.teacher);
    writeFileAtomic(run.path(RUN_FILES.lines), jsonLines(ordered));
    run.setStatus('running', { finishedTeachers: done.size, elapsedMs: previousElapsed + (Date.now() - t0) });
    written++;
    if (opts.abortAfter !== undefined && written >= opts.abortAfter) {
      progress.stop();
      process.kill(process.pid, 'SIGKILL');
    }
  };
  const label = (t: TeacherTask) => `teacher ${t.teacher}`;
  const failedRun = (init: InitName, message: string): InitRun => ({
    ...emptyInitRun(init),
    diverged: { epoch: 0, reason: `error: ${message.split('\n')[0]}` },
    error: message,
  });
  const epochs = config.student.epochs;
  const onSignal = () => {
    progress.stop();
    run.setStatus('interrupted', { finishedTeachers: done.size, elapsedMs: previousElapsed + (Date.now() - t0) });
    io.note(`interrupted; resume with: sii teacher-student --resume ${run.dir}${address ? ' --queue <url>' : ''}`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let firstFailure: { teacher: number; message: string } | undefined;
  const hooks: QueueHooks<TeacherTask, TeacherResult> = {
    stop: () => opts.failFast === true && firstFailure !== undefined,
    onStart: (slot, t) => progress.start(slot, label(t), epochs * t.inits.length),
    onEpoch: (slot, t, epoch, val) =>
      progress.epoch(slot, epoch, `${t.inits[Math.min(t.inits.length - 1, Math.floor((epoch - 1) / epochs))]} val ${sig(val, 3)}`),
    onDone: (slot, t, result) => {
      const status = config.inits
        .map((i) => {
          const r = result.runs[i];
          return `${i} ${r?.diverged ? `diverged@${r.diverged.epoch}` : sig(r?.minValLoss ?? Number.NaN, 3)}`;
        })
        .join(', ');
      progress.finish(slot, label(t), status);
      writeTeacher(result);
    },
    onError: (slot, t, e) => {
      // A failed teacher is recorded like a divergence so that the sweep goes on.
      progress.finish(slot, label(t), `failed: ${e.message.split('\n')[0]}`);
      firstFailure ??= { teacher: t.teacher, message: e.message };
      const runs: TeacherResult['runs'] = {};
      for (const i of t.inits) runs[i] = failedRun(i, e.message);
      writeTeacher({ teacher: t.teacher, teacherSeed: t.teacherSeed, setting: config.student.setting, teacherPoles: [], runs });
    },
  };
  try {
    if (address) {
      await runOnQueue(
        tasks.map((task) => ({ key: `teacher-${String(task.teacher).padStart(4, '0')}`, task })),
        {
          address,
          run,
          study: 'teacher-student',
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
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const elapsedMs = previousElapsed + (Date.now() - t0);
  if (opts.failFast && firstFailure) {
    run.setStatus('failed', { finishedTeachers: done.size, elapsedMs });
    throw new Error(
      `--fail-fast: teacher ${firstFailure.teacher} failed: ${firstErrors([firstFailure.message])}; stopped (resume with: sii teacher-student --resume ${run.dir})`,
    );
  }
  const results = [...done.values()].sort((a, b) => a.teacher - b.teacher);
  const summary = summarize(config, results, elapsedMs);
  // results.json holds only what the seed fixes (byte-identical whatever the workers); times go to timings.json.
  run.writeJson(RUN_FILES.results, { summary: stableSummary(summary), config });
  run.writeJson(RUN_FILES.timings, teacherStudentTimings(summary, results));
  for (const f of await sweepFigures(config, results)) run.addFigure(f);
  if (summary.analysis) for (const f of await analysisFigures(config, results, summary.analysis)) run.addFigure(f);
  const table = summaryTable(summary);
  const sections = teacherStudentSections(config, summary, run.figures, results);
  const report = run.finish(
    opts.title ?? `Teacher–student study (${config.student.setting})`,
    sections,
    interpretComparison(summary, config.student.epochs, results),
  );
  const failed = results.filter(teacherFailed);
  if (results.length > 0 && failed.length === results.length) {
    run.setStatus('failed', { finishedTeachers: done.size, elapsedMs });
    const errors = failed.flatMap((r) => Object.values(r.runs).flatMap((x) => (x?.error === undefined ? [] : [x.error])));
    throw new Error(`no teacher succeeded: all ${failed.length} failed (${firstErrors(errors)}); report: ${report}`);
  }
  if (address && failed.length > 0) {
    // On the queue every failed teacher already had its retries: the sweep is not complete.
    run.setStatus('failed', { finishedTeachers: done.size, elapsedMs });
    throw new Error(
      `${failed.length} of ${results.length} teachers failed after their retries on the queue (teachers ${failed.map((r) => r.teacher).join(', ')}: ${firstErrors(failed.flatMap((r) => Object.values(r.runs).flatMap((x) => (x?.error === undefined ? [] : [x.error]))))}); report: ${report}; train them again with: sii teacher-student --resume ${run.dir} --queue <url>`,
    );
  }
  run.setStatus('complete', { finishedTeachers: done.size, elapsedMs });
  io.print(textTable(table));
  io.print(comparisonLine(summary));
  io.print(
    `wall time ${(elapsedMs / 1000).toFixed(1)} s (training ${(summary.trainingWallMs / 1000).toFixed(1)} s over ${summary.completed} teachers)`,
  );
  io.print(`report: ${report}`);
  return { dir: run.dir, report, summary, figures: run.figures, table, lines: [comparisonLine(summary)] };
}

/** The paper's values (METHOD.md §7; the authors' configs/teacher_student/*.json) for the student and the sweep. */
export function paperStudentValues(setting: Setting): Record<string, unknown> {
  return {
    teachers: 500,
    ...SETTING_DEFAULTS[setting],
    activation: 'elu',
    solver: 'midpoint',
    h: 0.1,
    eps: -0.01,
    complex: true,
    window: 10,
    batch: 20,
    lr: 1e-4,
    clip: 1,
    epochs: 100,
    samples: 300,
    target: 'authors',
    pairing: 'authors',
  };
}

/** Every value of the sweep that differs from the paper's (teacher count, student, training, target, pairing). */
export function teacherStudentDeviations(config: TeacherStudentConfig): string[] {
  const paper = paperStudentValues(config.student.setting);
  const ours: Record<string, unknown> = { teachers: config.teachers, ...config.student, ...studentProtocol(config.student) };
  return Object.keys(paper)
    .filter((k) => ours[k] !== paper[k])
    .map((k) => `${k} ${String(ours[k])} (paper ${String(paper[k])})`);
}

/** The loss target and arm pairing that ran, in words (every report states them). */
export function protocolText(c: Pick<StudentConfig, 'setting' | 'target' | 'pairing' | 'window'>): string {
  const { target, pairing } = studentProtocol(c);
  const w = c.window;
  const t =
    target === 'authors'
      ? `Target 'authors' (the paper's code): from x_0 the student predicts x̂_1..x̂_${w} and the MSE compares them with x_0..x_${w - 1} (off by one), windows starting 0..T−${w + 1}, validation = mean of the batch MSEs.`
      : `Target 'aligned': from x_0 the student predicts x̂_1..x̂_${w - 1}, compared with x_1..x_${w - 1}, over every window (the paper's code compares x̂_1..x̂_${w} with x_0..x_${w - 1}: --target authors).`;
  const p =
    pairing === 'authors'
      ? "Pairing 'authors' (the paper's train.py): each init trains on its own teacher of the index (own poles, y0 and input noise; shared factors and biases) with its own batch order."
      : "Pairing 'paired': both inits train on the same teacher with the same batch order (the paper's code gives them different teachers: --pairing authors).";
  return `${t} ${p}`;
}

export function teacherStudentSections(
  config: TeacherStudentConfig,
  summary: TeacherStudentSummary,
  figures: ReportSection['figures'],
  results: readonly TeacherResult[],
): ReportSection[] {
  const s = config.student;
  const diverged = results.flatMap((r) =>
    Object.values(r.runs)
      .filter((x): x is InitRun => !!x?.diverged)
      .map((x) => [String(r.teacher), x.init, String(x.diverged!.epoch), x.diverged!.reason]),
  );
  const sections: ReportSection[] = [
    {
      title: 'Summary',
      text: `${summary.completed} of ${config.teachers} teachers (setting ${s.setting}); students ${s.activation}, H ${s.hidden}, L ${s.layers}, ${s.solver}, h ${s.h}, windows of ${s.window}, batch ${s.batch}, NAdam lr ${s.lr}, clip ${s.clip}, ${s.epochs} epochs. ${protocolText(s)} Differences from the paper's protocol: ${teacherStudentDeviations(config).join('; ') || 'none'}. ${comparisonLine(summary)}.`,
      table: summaryTable(summary),
    },
    ...(summary.analysis ? analysisSections(summary.analysis) : []),
    { title: 'Figures', figures },
  ];
  if (diverged.length) sections.push({ title: 'Diverged runs', table: { head: ['teacher', 'init', 'epoch', 'reason'], rows: diverged } });
  return sections;
}

function createProgressFor(mode: CommonOptions['progress'], total: number, epochs: number, title: string): ProgressSink {
  if (mode === 'off') return { start() {}, epoch() {}, finish() {}, log() {}, stop() {} };
  return createProgress({
    total,
    title,
    plain: mode === 'plain' ? true : mode === 'bar' ? false : undefined,
    epochEvery: Math.max(1, Math.ceil(epochs / 4)),
  });
}

export type { EpochReport };
