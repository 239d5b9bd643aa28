/**
 * Shared driver of `sii pixel | latent | forecast`: one task per run (seed) × init, in worker threads
 * (or in-process with --workers 0); each finished arm is written atomically to
 * `arms/run-<k>-<init>.json`, so an interrupted sweep resumes (--resume <run folder>) without
 * redoing finished arms. At the end: results.json, figures and report.html with mean ± std over runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { initBackend } from '@sii/neural-ode';
import { INIT_COLORS, lineChart, type SeriesPoint } from '../charts.js';
import { type CommandResult, type CommonOptions, firstErrors, type Io } from '../commands/common.js';
import { InlineRunner, type QueueHooks, runQueue, type TaskRunner, WorkerRunner } from '../pool.js';
import { parseQueueUrl } from '../queue/connection.js';
import { QUEUE_FILE, runOnQueue } from '../queue/coordinator.js';
import { QUEUE_DEFAULTS } from '../queue/options.js';
import { createProgress, type ProgressSink } from '../progress.js';
import type { Figure, ReportSection, Table } from '../report.js';
import { sig, textTable } from '../report.js';
import { Run } from '../run.js';
import { RUN_FILES, readJson } from '../runfolder.js';
import { fmtMeanStd, type InitName, meanStd } from './nn.js';
import type { ArmResult, BaseExperimentConfig, EpochCallback, ExperimentKind, ExperimentTask } from './types.js';
import { runArm } from './worker-entry.js';

export const ARMS_DIR = 'arms';

export interface MetricColumn {
  key: string;
  label: string;
  digits: number;
  /** Multiply before formatting (100: percent). */
  scale?: number;
  /** Whether larger is better (for the "SII better in k of n runs" line). */
  higherIsBetter: boolean;
}

export interface ExperimentDefinition<C extends BaseExperimentConfig> {
  kind: ExperimentKind;
  title(c: C): string;
  /** Summary columns; the first one is the headline metric. */
  columns: MetricColumn[];
  /** Label of the per-epoch metric shown in the progress display. */
  epochMetric: string;
  /** Text describing exactly what ran. */
  describe(c: C, results: readonly ArmResult[]): string;
  figures(c: C, results: readonly ArmResult[]): Promise<Figure[]>;
}

export interface ExperimentOptions<C> extends CommonOptions {
  config?: C;
  resume?: string;
  /** Run the arms as jobs on this BullMQ queue (redis://HOST:PORT[/DB]) instead of local worker threads. */
  queue?: string;
  /** With `queue`: attempts per arm and the first retry delay (exponential backoff). */
  attempts?: number;
  backoffMs?: number;
}

export function runSeed(seed: number, run: number): string {
  return `${seed}/run/${run}`;
}

export function armFile(run: number, init: InitName): string {
  return `${ARMS_DIR}/run-${String(run).padStart(3, '0')}-${init}.json`;
}

/** JSON stores non-finite numbers as strings; turn them back into numbers. */
function revive<T>(v: T): T {
  if (v === 'Infinity' || v === '-Infinity' || v === 'NaN') return Number(v) as T;
  if (Array.isArray(v)) return v.map(revive) as T;
  if (v && typeof v === 'object')
    for (const k of Object.keys(v)) (v as Record<string, unknown>)[k] = revive((v as Record<string, unknown>)[k]);
  return v;
}

/**
 * Arms already written in a run folder, for --resume. A file that cannot be read or parsed, or that does
 * not hold the arm its name says, is reported through `note` and not counted (that arm is trained again).
 */
export function finishedArms(run: Run, note: (line: string) => void = () => {}): Map<string, ArmResult> {
  const out = new Map<string, ArmResult>();
  const dir = run.path(ARMS_DIR);
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).sort()) {
    const m = /^run-(\d+)-(\w+)\.json$/.exec(f);
    if (!m) continue;
    try {
      const r = revive(readJson<ArmResult>(run.path(ARMS_DIR, f)));
      if (!r || r.run !== Number(m[1]) || r.init !== m[2] || typeof r.metrics !== 'object')
        throw new Error(`${f} does not hold run ${Number(m[1])} ${m[2]}`);
      if (r.error !== undefined) {
        note(`run ${r.run} ${r.init} failed before; training it again`);
        continue;
      }
      out.set(`${r.run}/${r.init}`, r);
    } catch (e) {
      note(`run ${Number(m[1])} ${m[2]} will be trained again: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Summary table: one row per init, metrics as mean ± std over runs, diverged count, mean wall time per arm. */
export function summaryTable<C extends BaseExperimentConfig>(
  def: ExperimentDefinition<C>,
  c: C,
  results: readonly ArmResult[],
  wallTimes = true,
): Table {
  const rows = c.inits.map((init) => {
    const arms = results.filter((r) => r.init === init);
    return [
      init,
      String(arms.length),
      ...def.columns.map((col) =>
        fmtMeanStd(
          arms.map((a) => a.metrics[col.key] ?? Number.NaN),
          col.digits,
          col.scale ?? 1,
        ),
      ),
      String(arms.filter((a) => a.diverged).length),
      ...(wallTimes ? [(meanStd(arms.map((a) => a.wallMs / 1000)).mean || 0).toFixed(0)] : []),
    ];
  });
  return {
    head: ['init', 'runs', ...def.columns.map((col) => `${col.label} (mean ± std)`), 'diverged', ...(wallTimes ? ['wall s / arm'] : [])],
    rows,
  };
}

/** "SII better than baseline in k of n runs" on the headline metric. */
export function pairedLine<C extends BaseExperimentConfig>(def: ExperimentDefinition<C>, results: readonly ArmResult[]): string {
  const col = def.columns[0];
  const byRun = new Map<number, Partial<Record<InitName, number>>>();
  for (const r of results) {
    const e = byRun.get(r.run) ?? {};
    e[r.init] = r.metrics[col.key] ?? Number.NaN;
    byRun.set(r.run, e);
  }
  let wins = 0;
  let n = 0;
  for (const e of byRun.values()) {
    if (e.sii === undefined || e.baseline === undefined) continue;
    n++;
    const s = Number.isFinite(e.sii) ? e.sii : col.higherIsBetter ? -Infinity : Infinity;
    const b = Number.isFinite(e.baseline) ? e.baseline : col.higherIsBetter ? -Infinity : Infinity;
    if (col.higherIsBetter ? s > b : s < b) wins++;
  }
  return n ? `SII better than the baseline on ${col.label} in ${wins} of ${n} paired runs` : 'no paired runs (needs both inits)';
}

/** Mean over runs of a per-epoch curve, per init, as chart points (non-finite / non-positive values dropped when log). */
export function meanCurvePoints(
  results: readonly ArmResult[],
  inits: readonly InitName[],
  curve: string,
  panel: string,
  positiveOnly = false,
): SeriesPoint[] {
  const pts: SeriesPoint[] = [];
  for (const init of inits) {
    const arms = results.filter((r) => r.init === init && r.curves[curve]);
    const E = Math.max(0, ...arms.map((a) => a.curves[curve].length));
    for (let e = 0; e < E; e++) {
      const { mean } = meanStd(arms.map((a) => a.curves[curve][e] ?? Number.NaN));
      if (Number.isFinite(mean) && (!positiveOnly || mean > 0)) pts.push({ x: e + 1, y: mean, series: init, panel });
    }
  }
  return pts;
}

/** Learning-curve figure of both inits on the same axes (mean over runs). */
export async function curvesFigure(opts: {
  results: readonly ArmResult[];
  inits: readonly InitName[];
  panels: { curve: string; label: string; log: boolean }[];
  file: string;
  title: string;
  caption: string;
}): Promise<Figure> {
  const log = opts.panels.every((p) => p.log);
  const points = opts.panels.flatMap((p) => meanCurvePoints(opts.results, opts.inits, p.curve, p.label, p.log));
  const svg = await lineChart({
    points,
    xTitle: 'epoch',
    yTitle: log ? 'value (log)' : 'value',
    title: opts.title,
    logY: log,
    colors: INIT_COLORS,
    width: 320,
    height: 220,
  });
  return { file: opts.file, svg, caption: opts.caption };
}

function progressSink(mode: CommonOptions['progress'], total: number, epochs: number, title: string): ProgressSink {
  if (mode === 'off') return { start() {}, epoch() {}, finish() {}, log() {}, stop() {} };
  return createProgress({
    total,
    title,
    plain: mode === 'plain' ? true : mode === 'bar' ? false : undefined,
    epochEvery: Math.max(1, Math.ceil(epochs / 5)),
  });
}

function failedArm(task: ExperimentTask, message: string): ArmResult {
  return {
    kind: task.kind,
    run: task.run,
    runSeed: task.runSeed,
    init: task.init,
    metrics: {},
    curves: {},
    diverged: { epoch: 0, reason: `error: ${message.split('\n')[0]}` },
    error: message,
    epochsRun: 0,
    wallMs: 0,
    parameters: 0,
  };
}

export async function runExperiment<C extends BaseExperimentConfig>(
  def: ExperimentDefinition<C>,
  opts: ExperimentOptions<C>,
  io: Io,
): Promise<CommandResult & { results: ArmResult[]; config: C }> {
  const t0 = Date.now();
  const address = opts.queue === undefined ? undefined : parseQueueUrl(opts.queue);
  let run: Run<C>;
  let previousElapsed = 0;
  if (opts.resume) {
    run = Run.open<C>(opts.resume, def.kind, (c) => {
      if (!Number.isSafeInteger(c.seeds) || (c.seeds as number) < 1) throw new Error(`config.seeds is ${JSON.stringify(c.seeds)}`);
      if (!Array.isArray(c.inits) || c.inits.length === 0) throw new Error(`config.inits is ${JSON.stringify(c.inits)}`);
      if (!Number.isSafeInteger(c.epochs)) throw new Error(`config.epochs is ${JSON.stringify(c.epochs)}`);
    });
    previousElapsed = run.previousElapsedMs(io.note);
    io.note(`resuming ${run.dir}`);
  } else {
    if (!opts.config) throw new Error(`${def.kind}: a configuration is required`);
    const c = opts.config;
    run = Run.create(opts.out, def.kind, c, { seed: c.seed, runSeeds: Array.from({ length: c.seeds }, (_, k) => runSeed(c.seed, k)) });
  }
  const config = run.record.config;
  if (!address && existsSync(run.path(QUEUE_FILE))) {
    io.note(`${QUEUE_FILE}: this run was on a queue; without --queue the rest runs locally and jobs still on the queue are not collected`);
  }
  const done = finishedArms(run, io.note);
  for (const [key, r] of done) {
    if (r.run >= config.seeds || !config.inits.includes(r.init)) {
      io.note(`ignoring ${armFile(r.run, r.init)}: not an arm of this run (${config.seeds} seeds × ${config.inits.join(', ')})`);
      done.delete(key);
    }
  }
  if (done.size > 0) io.note(`${done.size} of ${config.seeds * config.inits.length} arms already finished; skipping them`);
  const tasks: ExperimentTask<C>[] = [];
  for (let k = 0; k < config.seeds; k++) {
    for (const init of config.inits) {
      if (!done.has(`${k}/${init}`)) tasks.push({ kind: def.kind, run: k, runSeed: runSeed(config.seed, k), init, config });
    }
  }
  const progress = progressSink(opts.progress, tasks.length, config.epochs, `${def.kind}`);
  let runner: TaskRunner<ExperimentTask<C>, ArmResult> | undefined;
  if (address) {
    // the arms run in `sii worker` processes
  } else if (opts.workers === 0) {
    await initBackend({ backend: config.backend });
    runner = new InlineRunner(async (task, onEpoch: EpochCallback) => ({ result: await runArm(task, onEpoch) }));
  } else {
    runner = new WorkerRunner<ExperimentTask<C>, ArmResult>(opts.workers, new URL('./worker.js', import.meta.url));
  }
  const write = (r: ArmResult) => {
    run.writeJson(armFile(r.run, r.init), r);
    done.set(`${r.run}/${r.init}`, r);
    run.setStatus('running', { finishedArms: done.size, elapsedMs: previousElapsed + (Date.now() - t0) });
  };
  const label = (t: ExperimentTask<C>) => `run ${t.run} ${t.init}`;
  const onSignal = () => {
    progress.stop();
    run.setStatus('interrupted', { finishedArms: done.size, elapsedMs: previousElapsed + (Date.now() - t0) });
    io.note(`interrupted; resume with: sii ${def.kind} --resume ${run.dir}${address ? ' --queue <url>' : ''}`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const head = def.columns[0];
  let firstFailure: string | undefined;
  const hooks: QueueHooks<ExperimentTask<C>, ArmResult> = {
    stop: () => opts.failFast === true && firstFailure !== undefined,
    onStart: (slot, t) => progress.start(slot, label(t), config.epochs),
    onEpoch: (slot, _t, epoch, metric, train) => progress.epoch(slot, epoch, `${def.epochMetric} ${sig(metric, 4)} train ${sig(train, 4)}`),
    onDone: (slot, t, result) => {
      const v = result.metrics[head.key];
      progress.finish(
        slot,
        label(t),
        result.diverged
          ? `diverged@${result.diverged.epoch}: ${result.diverged.reason}`
          : `${head.label} ${sig((v ?? Number.NaN) * (head.scale ?? 1), 4)} (${(result.wallMs / 1000).toFixed(0)} s)`,
      );
      write(result);
    },
    onError: (slot, t, e) => {
      progress.finish(slot, label(t), `failed: ${e.message.split('\n')[0]}`);
      firstFailure ??= `${label(t)}: ${e.message}`;
      write(failedArm(t, e.message));
    },
  };
  try {
    if (address) {
      await runOnQueue(
        tasks.map((task) => ({ key: `run-${String(task.run).padStart(3, '0')}-${task.init}`, task })),
        {
          address,
          run,
          study: def.kind,
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
    run.setStatus('failed', { finishedArms: done.size, elapsedMs });
    throw new Error(`--fail-fast: ${firstErrors([firstFailure])}; stopped (resume with: sii ${def.kind} --resume ${run.dir})`);
  }
  const results = [...done.values()].sort((a, b) => a.run - b.run || a.init.localeCompare(b.init));
  const table = summaryTable(def, config, results);
  const paired = pairedLine(def, results);
  // results.json holds only what the seed fixes (byte-identical whatever the workers); times go to timings.json.
  const stable = summaryTable(def, config, results, false);
  run.writeJson(RUN_FILES.results, {
    config,
    summary: { head: stable.head, rows: stable.rows, paired },
    arms: results.map((r) => ({
      run: r.run,
      init: r.init,
      metrics: r.metrics,
      diverged: r.diverged,
      error: r.error,
      epochsRun: r.epochsRun,
      parameters: r.parameters,
    })),
  });
  run.writeJson(RUN_FILES.timings, { elapsedMs, arms: results.map((r) => ({ run: r.run, init: r.init, wallMs: r.wallMs })) });
  for (const f of await def.figures(config, results)) run.addFigure(f);
  const errors = results.filter((r) => r.diverged);
  const sections: ReportSection[] = [
    { title: 'Summary', text: `${def.describe(config, results)} ${paired}. Total wall time ${(elapsedMs / 1000).toFixed(0)} s.`, table },
    {
      title: 'Per run',
      table: {
        head: ['run', 'seed', 'init', ...def.columns.map((c) => c.label), 'epochs', 'wall s', 'parameters'],
        rows: results.map((r) => [
          String(r.run),
          r.runSeed,
          r.init,
          ...def.columns.map((c) =>
            Number.isFinite(r.metrics[c.key] ?? Number.NaN)
              ? ((r.metrics[c.key] ?? 0) * (c.scale ?? 1)).toFixed(c.digits)
              : String(r.metrics[c.key]),
          ),
          String(r.epochsRun),
          (r.wallMs / 1000).toFixed(1),
          String(r.parameters),
        ]),
      },
    },
    { title: 'Figures', figures: run.figures },
  ];
  if (errors.length) {
    sections.push({
      title: 'Diverged or failed runs',
      table: {
        head: ['run', 'init', 'epoch', 'reason'],
        rows: errors.map((r) => [String(r.run), r.init, String(r.diverged!.epoch), r.diverged!.reason]),
      },
    });
  }
  const report = run.finish(def.title(config), sections);
  const failed = results.filter((r) => r.error !== undefined);
  if (results.length > 0 && failed.length === results.length) {
    run.setStatus('failed', { finishedArms: done.size, elapsedMs });
    throw new Error(`no run succeeded: all ${failed.length} arms failed (${firstErrors(failed.map((r) => r.error!))}); report: ${report}`);
  }
  if (address && failed.length > 0) {
    // On the queue every failed arm already had its retries: the run is not complete.
    run.setStatus('failed', { finishedArms: done.size, elapsedMs });
    throw new Error(
      `${failed.length} of ${results.length} arms failed after their retries on the queue (${firstErrors(failed.map((r) => `run ${r.run} ${r.init}: ${r.error!}`))}); report: ${report}; train them again with: sii ${def.kind} --resume ${run.dir} --queue <url>`,
    );
  }
  run.setStatus('complete', { finishedArms: done.size, elapsedMs });
  io.print(textTable(table));
  io.print(paired);
  io.print(`wall time ${(elapsedMs / 1000).toFixed(1)} s`);
  io.print(`report: ${report}`);
  return { dir: run.dir, report, figures: run.figures, table, lines: [paired], results, config };
}
