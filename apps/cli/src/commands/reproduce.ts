/**
 * `sii reproduce`: every study of the paper in turn, each as its own sub-run (its own folder, with its
 * own resume) inside one reproduce run, then one report whose first table is
 *   claim | paper's statement | our measurement | verdict | statistic.
 * The verdict rule is fixed in verdict.ts before any run (paired sign and Wilcoxon tests at α = 0.01 with
 * the direction; exact checks for the deterministic perturbation figure). No training loop here: the
 * studies are the existing commands (teacherStudentCommand, perturbationCommand, implicitCommand,
 * runExperiment of pixel, latent and forecast).
 *
 * Resume: when a study finishes, its outcome (verdict row, report section) is written atomically to
 * `outcomes/<study>.json`; a resumed reproduce run skips those studies, resumes an interrupted
 * teacher–student or benchmark sub-run from its folder, and reruns the seconds-long perturbation and
 * implicit-regularization studies.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { forecastDefinition, latentDefinition, pixelDefinition } from '../experiments/definitions.js';
import { type ForecastConfig, forecastPreset } from '../experiments/forecast.js';
import { type LatentConfig, latentPreset } from '../experiments/latent.js';
import { type PixelConfig, pixelPreset } from '../experiments/pixel.js';
import { type ExperimentDefinition, runExperiment } from '../experiments/runner.js';
import type { BaseExperimentConfig } from '../experiments/types.js';
import { type Figure, type ReportSection, sig, type Table, textTable } from '../report.js';
import { Run } from '../run.js';
import { RUN_FILES, readJson } from '../runfolder.js';
import type { ImplicitResult } from '../train/implicit.js';
import type { InitName } from '../train/types.js';
import { pairedVerdict, proportionVerdict, VERDICT_ALPHA, type Verdict } from '../verdict.js';
import type { CommonOptions, Io } from './common.js';
import { IMPLICIT_TEACHER_HLAMBDA, type ImplicitCommandConfig, implicitCommand } from './implicit.js';
import { PERTURBATION_DEFAULTS, perturbationCommand } from './perturbation.js';
import { finishedTeachers, type TeacherStudentConfig, type TeacherStudentSummary, teacherStudentCommand } from './teacherStudent.js';
import { insideRegion, largestAdvantageLine } from './teacherStudentReport.js';

export type ReproduceScale = 'laptop' | 'paper' | 'tiny';
export const REPRODUCE_SCALES: readonly ReproduceScale[] = ['laptop', 'paper', 'tiny'];

/** The built-in studies, in the order they run. */
export const STUDY_NAMES = [
  'ts-incl',
  'ts-excl',
  'perturbation',
  'implicit',
  'pixel',
  'latent',
  'forecast-tanks',
  'forecast-duffing',
] as const;
export type BuiltInStudy = (typeof STUDY_NAMES)[number];
/** Forecasting data sets read from files: a study `forecast-<name>` only when `--data <name>=<file>` is given. */
export const FILE_FORECAST_DATASETS = ['airquality', 'activity', 'engine'] as const;
export type FileForecastDataset = (typeof FILE_FORECAST_DATASETS)[number];

export interface ReproduceConfig {
  scale: ReproduceScale;
  seed: number;
  /** Studies to run, in order. */
  studies: string[];
  /** Forecast data files by data set name. */
  data: Partial<Record<FileForecastDataset, string>>;
  /** Per-study configuration, fixed when the run is created (a resumed run uses these). */
  teacherStudent: Partial<Record<'incl' | 'excl', TeacherStudentConfig>>;
  implicit?: ImplicitCommandConfig;
  experiments: Record<string, BaseExperimentConfig>;
}

/** Teacher–student sizes per scale (everything else: the command's defaults, i.e. the authors' protocol). */
export const TS_SCALE: Record<ReproduceScale, { teachers: number; epochs: number; overrides: Record<string, unknown> }> = {
  laptop: { teachers: 200, epochs: 100, overrides: {} },
  paper: { teachers: 500, epochs: 100, overrides: {} },
  tiny: { teachers: 3, epochs: 2, overrides: { samples: 30, hidden: 6 } },
};

/**
 * Runs (seeds) per init of the benchmark studies (null: the preset's, 3). 8 is the fewest for which a
 * two-sided paired test can reach α = 0.01 (2·2^−8 < 0.01), so every scale that has the time runs 8: the
 * laptop scale does (see laptopEstimateMinutes); only the tiny smoke test keeps the presets' runs.
 */
export const EXPERIMENT_SEEDS: Record<ReproduceScale, Record<'pixel' | 'latent' | 'forecast', number | null>> = {
  laptop: { pixel: 8, latent: 8, forecast: 8 },
  paper: { pixel: 8, latent: 8, forecast: 8 },
  tiny: { pixel: null, latent: null, forecast: null },
};

/**
 * Per-study changes to a preset (named in the report). Laptop tanks: 5 epochs instead of 20, as in the
 * forecasting notes of docs/FIDELITY.md: tanks samples every 4 s, the baseline's latent state grows without bound
 * along a window and its rollouts run about 4× slower (371 s per arm at 5 epochs).
 */
export const EXPERIMENT_OVERRIDES: Record<ReproduceScale, Record<string, Record<string, unknown>>> = {
  laptop: { 'forecast-tanks': { epochs: 5 } },
  paper: {},
  tiny: {},
};

/** Implicit regularization per scale (students per solver, epochs); other values: the command's defaults. */
export const IMPLICIT_SCALE: Record<
  ReproduceScale,
  { students: number; epochs: number; trajectories?: number; samples?: number; hidden?: number }
> = {
  laptop: { students: 4, epochs: 150 },
  paper: { students: 10, epochs: 150 },
  tiny: { students: 1, epochs: 2, trajectories: 1, samples: 12, hidden: 6 },
};

/**
 * Wall seconds per unit on this 2-core machine (idle, 2 workers), measured by
 * `sii reproduce --scale laptop` at 50 teachers and 3 runs per init (2026-11-30, 905 s in all): a
 * teacher with both arms (incl 252.7 s / 50 teachers, excl 60.0 s / 50, two workers, so ×2 per worker), a seed ×
 * init run of pixel (161.9 s / 6 runs × 2), latent (202.3 s / 16 × 2) and duffing (73.1 s / 6 × 2); a tanks
 * seed with both inits (SII 6.5 s + baseline 73 s); the whole implicit-regularization study 5.0 s.
 */
const LAPTOP_UNIT_SECONDS = {
  'ts-incl': (2 * 252.7) / 50,
  'ts-excl': (2 * 60.0) / 50,
  pixel: (2 * 161.9) / 6,
  latent: (2 * 202.3) / 16,
  'forecast-duffing': (2 * 73.1) / 6,
  'forecast-tanks': 6.5 + 73,
} as const;

/** Laptop-scale wall-time estimate in minutes (2 workers): measured seconds per unit × units / 2. */
export function laptopEstimateMinutes(study: string): number {
  const workers = 2;
  const seeds = (kind: 'pixel' | 'latent' | 'forecast') => EXPERIMENT_SEEDS.laptop[kind] ?? 3;
  if (study === 'ts-incl' || study === 'ts-excl') return (LAPTOP_UNIT_SECONDS[study] * TS_SCALE.laptop.teachers) / workers / 60;
  if (study === 'perturbation') return 0.1;
  if (study === 'implicit') return 5 / 60;
  if (study === 'pixel' || study === 'latent') return (LAPTOP_UNIT_SECONDS[study] * 2 * seeds(study)) / workers / 60;
  if (study === 'forecast-duffing') return (LAPTOP_UNIT_SECONDS[study] * 2 * seeds('forecast')) / workers / 60;
  if (study === 'forecast-tanks') return (LAPTOP_UNIT_SECONDS[study] * seeds('forecast')) / workers / 60;
  return Number.NaN;
}

export interface ClaimRow {
  study: string;
  claim: string;
  statement: string;
  measurement: string;
  verdict: Verdict;
  statistic: string;
  scale: string;
}

/** What a finished study leaves for the combined report (stored in outcomes/<study>.json). */
export interface StudyOutcome {
  row: ClaimRow;
  /** Sub-run folder, relative to the reproduce run. */
  dir: string;
  title: string;
  text: string;
  tables: Table[];
  /** Figures of the sub-run: file under its figures/ and caption. */
  figures: { file: string; caption: string }[];
  wallMs: number;
  details: Record<string, unknown>;
  /** Set when the sub-run was adopted (`--adopt`): its source folder and its own wall time. */
  adopted?: { from: string; wallMs: number | null };
}

export interface ReproduceOptions extends Pick<CommonOptions, 'out' | 'progress' | 'workers'> {
  config?: ReproduceConfig;
  resume?: string;
  /** Testing aid: SIGKILL the process after this many studies finished in this invocation. */
  abortAfter?: number;
  /**
   * Finished sub-runs to adopt instead of running a study again, by study name (`--adopt`): each must be a
   * run of the study's command whose stored configuration equals the study's exactly; it is copied into
   * the reproduce run and completed through the usual resume path (nothing left to train).
   */
  adopt?: Record<string, string>;
  /**
   * Run the units of the studies that support it (teacher–student, implicit-regularization, pixel,
   * latent, forecast) as jobs on this BullMQ queue (redis://HOST:PORT[/DB]); the others run here.
   */
  queue?: string;
  /** With `queue`: attempts per unit and the first retry delay (exponential backoff). */
  attempts?: number;
  backoffMs?: number;
}

/** The queue options a sub-study gets (none without --queue). */
function queueOf(opts: ReproduceOptions): { queue?: string; attempts?: number; backoffMs?: number } {
  return opts.queue === undefined ? {} : { queue: opts.queue, attempts: opts.attempts, backoffMs: opts.backoffMs };
}

/** Claims as the paper states them (method spec §7 and the issue); `claim` is the short name. */
const CLAIMS: Record<string, { claim: string; statement: string }> = {
  'ts-incl': {
    claim: 'Teacher–student, poles inside Euler (incl)',
    statement: 'SII students reach a lower minimum validation loss than baseline (He) students over many teachers (Figure 4).',
  },
  'ts-excl': {
    claim: 'Teacher–student, poles outside RK4 (excl)',
    statement:
      'SII students reach a lower minimum validation loss than baseline students also when the teacher’s poles lie outside the solver’s region (Figure 5).',
  },
  perturbation: {
    claim: 'Perturbation figure',
    statement:
      'For a pole pair outside the Euler disk but inside RK4’s region, Euler keeps oscillating (does not decay) while RK4 decays (first figure).',
  },
  implicit: {
    claim: 'Implicit regularization by the solver',
    statement: 'A model trained with a given solver learns poles inside that solver’s stability region (Figure 3).',
  },
  pixel: { claim: 'Pixel-level classification (sMNIST)', statement: 'SII’s test accuracy is at least the baseline’s.' },
  latent: { claim: 'Latent dynamics (mass-spring)', statement: 'SII’s test error (NMSE) is lower than the baseline’s.' },
};
function claimOf(study: string): { claim: string; statement: string } {
  if (CLAIMS[study]) return CLAIMS[study];
  const dataset = study.replace(/^forecast-/, '');
  return { claim: `Forecasting (${dataset})`, statement: 'SII’s test error (MSE) is lower than the baseline’s.' };
}

export const VERDICT_RULE_TEXT = `Verdict rule (fixed in the code before any run): for paired samples (SII vs baseline on the same teacher or seed; lower is better unless stated) the exact two-sided sign test and the two-sided Wilcoxon signed-rank test on log10 differences at α = ${VERDICT_ALPHA}; "reproduced" when both reject at α in the paper's claimed direction, "not reproduced" when both reject in the opposite direction, otherwise "inconclusive" (including when too few pairs exist for any test to reach α: fewer than 8 untied pairs). A claim of "at least as good" (pixel accuracy) counts as reproduced only when SII is significantly better and as not reproduced when it is significantly worse. Diverged or failed runs lose to finished ones. The perturbation figure is an exact computation: reproduced when it holds, else not reproduced. Implicit regularization counts students whose learned poles all lie inside their solver's region and applies the exact binomial test against 1/2 at α.`;

// ---- configuration -------------------------------------------------------------------------------

/** Option defaults of a registered command (commander), keyed by attribute name. */
export type DefaultsOf = (command: string) => Record<string, unknown>;

export function makeReproduceConfig(
  opts: { scale: ReproduceScale; seed: number; only?: string[]; data?: Partial<Record<FileForecastDataset, string>> },
  defaultsOf: DefaultsOf,
  teacherStudentConfig: (o: Record<string, unknown>) => TeacherStudentConfig,
): ReproduceConfig {
  const data = opts.data ?? {};
  const all = [...STUDY_NAMES, ...FILE_FORECAST_DATASETS.filter((d) => data[d] !== undefined).map((d) => `forecast-${d}`)];
  const studies = opts.only ? all.filter((s) => opts.only!.includes(s)) : all;
  const unknown = (opts.only ?? []).filter((s) => !all.includes(s as never));
  if (unknown.length) throw new Error(`--only: unknown study ${unknown.join(', ')}; expected some of ${all.join(', ')}`);
  const { scale, seed } = opts;
  const config: ReproduceConfig = { scale, seed, studies, data, teacherStudent: {}, experiments: {} };
  for (const setting of ['incl', 'excl'] as const) {
    if (!studies.includes(`ts-${setting}`)) continue;
    const s = TS_SCALE[scale];
    config.teacherStudent[setting] = teacherStudentConfig({
      ...defaultsOf('teacher-student'),
      ...s.overrides,
      setting,
      seed,
      teachers: s.teachers,
      epochs: s.epochs,
    });
  }
  if (studies.includes('implicit')) {
    const d = { ...defaultsOf('implicit-regularization'), ...IMPLICIT_SCALE[scale] } as Record<string, unknown>;
    const h = d.h as number;
    const samples = d.samples as number;
    config.implicit = {
      solvers: d.solvers as string[],
      students: d.students as number,
      seed,
      train: {
        teacherPoles: IMPLICIT_TEACHER_HLAMBDA.map(([re, im]) => [re / h, im / h]),
        h,
        hidden: d.hidden as number,
        layers: d.layers as number,
        activation: 'elu',
        trajectories: d.trajectories as number,
        samples,
        window: Math.min(10, samples),
        batch: 32,
        lr: d.lr as number,
        clip: 1,
        epochs: d.epochs as number,
        backend: d.backend as 'wasm' | 'cpu',
      },
    };
  }
  const seedsFor = (kind: 'pixel' | 'latent' | 'forecast', preset: Record<string, unknown>) =>
    EXPERIMENT_SEEDS[scale][kind] ?? (preset.seeds as number);
  const base = (preset: Record<string, unknown>, kind: 'pixel' | 'latent' | 'forecast') => {
    const c: Record<string, unknown> = {
      ...preset,
      scale,
      seed,
      seeds: seedsFor(kind, preset),
      inits: ['sii', 'baseline'] as InitName[],
      backend: 'wasm',
      compensation: preset.compensation ?? 'none',
    };
    delete c.siiPreset;
    return c;
  };
  for (const study of studies) {
    if (study === 'pixel')
      config.experiments[study] = {
        ...base(pixelPreset(scale, 'smnist'), 'pixel'),
        dataset: 'smnist',
        data: null,
      } as unknown as PixelConfig;
    else if (study === 'latent')
      config.experiments[study] = { ...base(latentPreset(scale), 'latent'), system: 'mass-spring' } as unknown as LatentConfig;
    else if (study.startsWith('forecast-')) {
      const dataset = study.slice('forecast-'.length);
      config.experiments[study] = {
        ...base(forecastPreset(scale), 'forecast'),
        dataset,
        data: data[dataset as FileForecastDataset] ?? null,
      } as unknown as ForecastConfig;
    }
    const overrides = EXPERIMENT_OVERRIDES[scale][study];
    if (overrides && config.experiments[study]) Object.assign(config.experiments[study], overrides);
  }
  return config;
}

// ---- studies -------------------------------------------------------------------------------------

interface StudyContext {
  run: Run<ReproduceConfig>;
  /** Base folder of this study's sub-run(s). */
  base: string;
  /** An interrupted sub-run of this study to resume, if any. */
  resumeDir?: string;
  opts: ReproduceOptions;
  io: Io;
}

/** The newest sub-run folder of a study that was started (has config.json) but has no outcome. */
function interruptedSubRun(base: string): string | undefined {
  if (!existsSync(base)) return undefined;
  const dirs = readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(base, e.name, RUN_FILES.config)))
    .map((e) => e.name)
    .sort();
  return dirs.length ? join(base, dirs[dirs.length - 1]) : undefined;
}

/** The command that writes a study's sub-run, for the studies that can be adopted. */
export function adoptableCommand(study: string): string | undefined {
  if (study.startsWith('ts-')) return 'teacher-student';
  if (study === 'pixel' || study === 'latent') return study;
  if (study.startsWith('forecast-')) return 'forecast';
  return undefined;
}

/** Paths (a.b.c) at which two JSON values differ; [] when equal. */
export function jsonDifferences(a: unknown, b: unknown, path = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => jsonDifferences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '(root)'];
}

/**
 * Copies a finished sub-run into the study's folder after checking that it was made by the study's
 * command with exactly the study's configuration; returns the copy (then completed by the resume path).
 */
export function adoptSubRun(study: string, source: string, expected: unknown, base: string): { dir: string; wallMs: number | null } {
  const command = adoptableCommand(study);
  if (!command) throw new Error(`--adopt ${study}: only teacher–student, pixel, latent and forecasting sub-runs can be adopted`);
  const record = Run.open<unknown>(source, command).record;
  const diff = jsonDifferences(record.config, JSON.parse(JSON.stringify(expected)));
  if (diff.length) {
    throw new Error(
      `--adopt ${study}=${source}: its configuration differs from the study's at ${diff.slice(0, 8).join(', ')}${diff.length > 8 ? ` and ${diff.length - 8} more` : ''} (see ${join(source, RUN_FILES.config)})`,
    );
  }
  const dir = join(base, basename(resolve(source)));
  if (existsSync(dir)) throw new Error(`--adopt ${study}: ${dir} exists already`);
  mkdirSync(base, { recursive: true });
  cpSync(source, dir, { recursive: true });
  const timings = join(source, 'timings.json');
  const wall = existsSync(timings) ? readJson<{ elapsedMs?: unknown }>(timings).elapsedMs : undefined;
  return { dir, wallMs: typeof wall === 'number' && Number.isFinite(wall) ? wall : null };
}

const quiet = (io: Io): Io => ({ print: () => {}, note: io.note });

async function teacherStudentStudy(setting: 'incl' | 'excl', ctx: StudyContext): Promise<Omit<StudyOutcome, 'wallMs'>> {
  const config = ctx.run.record.config.teacherStudent[setting]!;
  const res = await teacherStudentCommand(
    {
      out: ctx.base,
      seed: config.seed,
      progress: ctx.opts.progress,
      workers: ctx.opts.workers,
      ...queueOf(ctx.opts),
      ...(ctx.resumeDir ? { resume: ctx.resumeDir } : { config }),
    },
    quiet(ctx.io),
  );
  const sub = Run.open<TeacherStudentConfig>(res.dir, 'teacher-student');
  const results = [...finishedTeachers(sub, config.teachers).values()]
    .filter((r) => r.runs.sii && r.runs.baseline)
    .sort((a, b) => a.teacher - b.teacher);
  const v = pairedVerdict(
    results.map((r) => r.runs.sii!.minValLoss),
    results.map((r) => r.runs.baseline!.minValLoss),
    { lowerIsBetter: true },
  );
  const s: TeacherStudentSummary = res.summary;
  const med = (init: InitName) => s.inits.find((i) => i.init === init)?.medianMinValLoss ?? Number.NaN;
  const st = config.student;
  // Protocol options other helpers may add to the student (e.g. target, pairing) are named when present.
  const protocol = ['target', 'pairing']
    .map((k) => [k, (st as unknown as Record<string, unknown>)[k]])
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `, ${k} ${String(v)}`)
    .join('');
  const scale = `${ctx.run.record.config.scale}: ${config.teachers} teachers, ${st.epochs} epochs, H ${st.hidden}, L ${st.layers}${protocol}`;
  const adv = s.analysis ? largestAdvantageLine(s.analysis) : '';
  const fixed = s.analysis?.fixedEpochs ?? [];
  const tables: Table[] = [res.table];
  if (fixed.length) {
    tables.push({
      head: ['epoch', 'SII median val MSE', 'baseline median val MSE', 'SII win share', '95 % CI'],
      rows: fixed.map((r) => [
        String(r.epoch),
        sig(r.perInit.find((p) => p.init === 'sii')?.median ?? Number.NaN, 3),
        sig(r.perInit.find((p) => p.init === 'baseline')?.median ?? Number.NaN, 3),
        r.comparison ? `${(100 * r.comparison.siiWinShare).toFixed(0)} %` : 'n/a',
        r.comparison ? `${(100 * r.comparison.ci95[0]).toFixed(0)} – ${(100 * r.comparison.ci95[1]).toFixed(0)} %` : 'n/a',
      ]),
    });
  }
  if (s.analysis)
    tables.push({
      head: ['init', 'final poles', `inside ${s.analysis.solver}`],
      rows: s.analysis.finalPoles.map((p) => [p.init, String(p.poles), String(p.inside)]),
    });
  return {
    row: {
      study: `ts-${setting}`,
      ...claimOf(`ts-${setting}`),
      measurement: `[${scale}] median minimum validation MSE: SII ${sig(med('sii'), 3)}, baseline ${sig(med('baseline'), 3)}; SII wins ${(100 * v.siiWinShare).toFixed(0)} % of ${v.n} teachers. ${adv}.`,
      verdict: v.verdict,
      statistic: v.statistic,
      scale,
    },
    dir: relative(ctx.run.dir, res.dir),
    title: `Teacher–student (${setting})`,
    text: `${setting === 'incl' ? 'Teacher poles inside the Euler region' : 'Teacher poles outside the RK4 region'}; student ${st.activation}, H ${st.hidden}, L ${st.layers}, ${st.solver}, h ${st.h}, ${st.epochs} epochs, NAdam lr ${st.lr}. ${v.statistic}. ${adv}.`,
    tables,
    figures: res.figures.map((f) => ({ file: f.file, caption: f.caption })),
    details: { verdict: v, summary: s },
  };
}

async function perturbationStudy(ctx: StudyContext): Promise<Omit<StudyOutcome, 'wallMs'>> {
  const seed = ctx.run.record.config.seed;
  const res = await perturbationCommand({ ...PERTURBATION_DEFAULTS, seed, out: ctx.base }, quiet(ctx.io));
  const out = readJson<{ summary: { method: string; growthComplex: number; amplitudeRatio: number }[] }>(join(res.dir, RUN_FILES.results));
  const by = (m: string) => out.summary.find((r) => r.method === m);
  const euler = by('euler');
  const rk4 = by('rk4');
  if (!euler || !rk4) throw new Error('perturbation: euler and rk4 results are required');
  const holds = euler.growthComplex >= 1 && euler.amplitudeRatio >= 1 && rk4.growthComplex < 1 && rk4.amplitudeRatio < 1;
  const [re, im] = PERTURBATION_DEFAULTS.zComplex;
  const scale = `any scale: exact, float64, ${PERTURBATION_DEFAULTS.steps} steps of h ${PERTURBATION_DEFAULTS.h}`;
  return {
    row: {
      study: 'perturbation',
      ...claimOf('perturbation'),
      measurement: `[${scale}] pair hλ = ${re} ± ${im}i: Euler |R| = ${sig(euler.growthComplex, 5)}, amplitude end/start ${sig(euler.amplitudeRatio, 3)}; RK4 |R| = ${sig(rk4.growthComplex, 5)}, amplitude end/start ${sig(rk4.amplitudeRatio, 3)}.`,
      verdict: holds ? 'reproduced' : 'not reproduced',
      statistic:
        'exact computation (no sampling): holds iff Euler |R(hλ)| ≥ 1 and amplitude ratio ≥ 1, RK4 |R(hλ)| < 1 and amplitude ratio < 1',
      scale,
    },
    dir: relative(ctx.run.dir, res.dir),
    title: 'Perturbation: Euler vs RK4',
    text: `Linear system with hλ = ${PERTURBATION_DEFAULTS.zReal} and ${re} ± ${im}i, started from a perturbation of size ${PERTURBATION_DEFAULTS.amplitude}.`,
    tables: [res.table],
    figures: res.figures.map((f) => ({ file: f.file, caption: f.caption })),
    details: { euler, rk4, holds },
  };
}

async function implicitStudy(ctx: StudyContext): Promise<Omit<StudyOutcome, 'wallMs'>> {
  const c = ctx.run.record.config.implicit!;
  const res = await implicitCommand(
    { out: ctx.base, seed: c.seed, progress: ctx.opts.progress, workers: ctx.opts.workers, ...queueOf(ctx.opts), config: c },
    quiet(ctx.io),
  );
  const out = readJson<{ students: ImplicitResult[] }>(join(res.dir, RUN_FILES.results));
  const h = c.train.h;
  const perSolver = c.solvers.map((solver) => {
    const students = out.students.filter((s) => s.solver === solver);
    const ok = students.filter(
      (s) => !s.diverged && s.poles.length > 0 && s.poles.every(([pr, pi]) => insideRegion(solver, [pr * h, pi * h])),
    );
    return { solver, students: students.length, inside: ok.length };
  });
  const successes = perSolver.reduce((a, s) => a + s.inside, 0);
  const n = perSolver.reduce((a, s) => a + s.students, 0);
  const v = proportionVerdict(successes, n);
  const scale = `${ctx.run.record.config.scale}: ${c.students} students per solver, ${c.train.epochs} epochs`;
  return {
    row: {
      study: 'implicit',
      ...claimOf('implicit'),
      measurement: `[${scale}] students whose learned poles all lie inside their solver's region: ${perSolver.map((s) => `${s.solver} ${s.inside}/${s.students}`).join(', ')}.`,
      verdict: v.verdict,
      statistic: v.statistic + (n < 8 ? `; with ${n} students no test can reach α` : ''),
      scale,
    },
    dir: relative(ctx.run.dir, res.dir),
    title: 'Implicit regularization by the solver',
    text: `Teacher hλ = −0.2, −0.3 ± 1.2i (outside the Euler disk); ${c.students} students per solver (${c.solvers.join(', ')}), ${c.train.epochs} epochs.`,
    tables: [
      res.table,
      {
        head: ['solver', 'students', 'all poles inside its region'],
        rows: perSolver.map((s) => [s.solver, String(s.students), String(s.inside)]),
      },
    ],
    figures: res.figures.map((f) => ({ file: f.file, caption: f.caption })),
    details: { perSolver, verdict: v },
  };
}

async function experimentStudy(study: string, ctx: StudyContext): Promise<Omit<StudyOutcome, 'wallMs'>> {
  const config = ctx.run.record.config.experiments[study];
  const kind = study === 'pixel' ? 'pixel' : study === 'latent' ? 'latent' : 'forecast';
  const def = (kind === 'pixel'
    ? pixelDefinition
    : kind === 'latent'
      ? latentDefinition
      : forecastDefinition) as unknown as ExperimentDefinition<BaseExperimentConfig>;
  const res = await runExperiment(
    def,
    {
      out: ctx.base,
      seed: config.seed,
      progress: ctx.opts.progress,
      workers: ctx.opts.workers,
      ...queueOf(ctx.opts),
      ...(ctx.resumeDir ? { resume: ctx.resumeDir } : { config }),
    },
    quiet(ctx.io),
  );
  const metric = {
    pixel: { key: 'testAccuracy', label: 'test accuracy', lower: false, scale: 100, unit: ' %' },
    latent: { key: 'nmse', label: 'test NMSE', lower: true, scale: 1, unit: '' },
    forecast: { key: 'testMse', label: 'test MSE', lower: true, scale: 1, unit: '' },
  }[kind];
  const byRun = new Map<number, Partial<Record<InitName, number>>>();
  for (const r of res.results) {
    const e = byRun.get(r.run) ?? {};
    e[r.init] = r.metrics[metric.key] ?? Number.NaN;
    byRun.set(r.run, e);
  }
  const pairs = [...byRun.entries()].filter(([, e]) => e.sii !== undefined && e.baseline !== undefined).sort((a, b) => a[0] - b[0]);
  const v = pairedVerdict(
    pairs.map(([, e]) => e.sii!),
    pairs.map(([, e]) => e.baseline!),
    { lowerIsBetter: metric.lower },
  );
  const mean = (xs: number[]) => {
    const f = xs.filter(Number.isFinite);
    return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
  };
  const m = (init: InitName) => sig(mean(pairs.map(([, e]) => e[init]!)) * metric.scale, 4);
  const name =
    kind === 'pixel'
      ? (config as unknown as PixelConfig).dataset
      : kind === 'latent'
        ? (config as unknown as LatentConfig).system
        : (config as unknown as ForecastConfig).dataset;
  const scale = `${config.scale}: ${config.seeds} runs per init, ${config.epochs} epochs`;
  return {
    row: {
      study,
      ...claimOf(study),
      measurement: `[${scale}] mean ${metric.label}: SII ${m('sii')}${metric.unit}, baseline ${m('baseline')}${metric.unit}; SII better in ${pairs.filter(([, e]) => (metric.lower ? e.sii! < e.baseline! : e.sii! > e.baseline!)).length} of ${pairs.length} paired runs.`,
      verdict: v.verdict,
      statistic: v.statistic,
      scale,
    },
    dir: relative(ctx.run.dir, res.dir),
    title: `${kind === 'pixel' ? 'Pixel-level classification' : kind === 'latent' ? 'Latent dynamics' : 'Forecasting'} (${name})`,
    text: `${res.lines?.[0] ?? ''}. ${v.statistic}.`,
    tables: [res.table],
    figures: res.figures.map((f) => ({ file: f.file, caption: f.caption })),
    details: { verdict: v, metric: metric.key },
  };
}

function runStudy(study: string, ctx: StudyContext): Promise<Omit<StudyOutcome, 'wallMs'>> {
  if (study === 'ts-incl') return teacherStudentStudy('incl', ctx);
  if (study === 'ts-excl') return teacherStudentStudy('excl', ctx);
  if (study === 'perturbation') return perturbationStudy(ctx);
  if (study === 'implicit') return implicitStudy(ctx);
  return experimentStudy(study, ctx);
}

// ---- the command ---------------------------------------------------------------------------------

export const OUTCOMES_DIR = 'outcomes';
export const STUDIES_DIR = 'studies';

/** Wall time of a study in seconds; an adopted sub-run shows its own run's wall time. */
function wallCell(o: StudyOutcome): string {
  if (!o.adopted) return (o.wallMs / 1000).toFixed(1);
  return o.adopted.wallMs === null ? 'adopted (no timings.json)' : `${(o.adopted.wallMs / 1000).toFixed(1)} (adopted run)`;
}

export function claimsTable(rows: readonly ClaimRow[]): Table {
  return {
    head: ['claim', "paper's statement", 'our measurement', 'verdict', 'statistic'],
    rows: rows.map((r) => [r.claim, r.statement, r.measurement, r.verdict, r.statistic]),
  };
}

export async function reproduceCommand(opts: ReproduceOptions, io: Io): Promise<{ dir: string; report: string; rows: ClaimRow[] }> {
  const t0 = Date.now();
  let run: Run<ReproduceConfig>;
  let previousElapsed = 0;
  if (opts.resume) {
    run = Run.open<ReproduceConfig>(opts.resume, 'reproduce');
    const status = existsSync(run.path(RUN_FILES.status)) ? readJson<{ elapsedMs?: number }>(run.path(RUN_FILES.status)) : {};
    previousElapsed = status.elapsedMs ?? 0;
    io.note(`resuming ${run.dir}`);
  } else {
    if (!opts.config) throw new Error('reproduce: a configuration is required');
    run = Run.create(opts.out, 'reproduce', opts.config, { seed: opts.config.seed });
  }
  const config = run.record.config;
  const outcomes = new Map<string, StudyOutcome>();
  let finishedHere = 0;
  // Registered before any study's own handler, so Ctrl-C names the reproduce run to resume.
  const onSignal = () => {
    run.setStatus('interrupted', { finishedStudies: outcomes.size, elapsedMs: previousElapsed + (Date.now() - t0) });
    io.note(`interrupted; resume with: sii reproduce --resume ${run.dir}${opts.queue ? ' --queue <url>' : ''}`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const [i, study] of config.studies.entries()) {
      const file = run.path(OUTCOMES_DIR, `${study}.json`);
      if (existsSync(file)) {
        outcomes.set(study, readJson<StudyOutcome>(file));
        io.note(`${i + 1}/${config.studies.length} ${study}: finished before, skipping`);
        continue;
      }
      const base = run.path(STUDIES_DIR, study);
      const resumable = study.startsWith('ts-') || study === 'pixel' || study === 'latent' || study.startsWith('forecast-');
      let resumeDir = resumable ? interruptedSubRun(base) : undefined;
      let adopted: StudyOutcome['adopted'];
      const source = opts.adopt?.[study];
      if (source && !resumeDir) {
        const expected = study.startsWith('ts-') ? config.teacherStudent[study.slice(3) as 'incl' | 'excl'] : config.experiments[study];
        const copy = adoptSubRun(study, source, expected, base);
        resumeDir = copy.dir;
        adopted = { from: resolve(source), wallMs: copy.wallMs };
        io.note(`${i + 1}/${config.studies.length} ${study}: adopting ${source} (same configuration)`);
      }
      io.note(`${i + 1}/${config.studies.length} ${study}${resumeDir ? ` (resuming ${relative(run.dir, resumeDir)})` : ''}`);
      const s0 = Date.now();
      const outcome: StudyOutcome = {
        ...(await runStudy(study, { run, base, resumeDir, opts, io })),
        wallMs: Date.now() - s0,
        ...(adopted ? { adopted } : {}),
      };
      run.writeJson(join(OUTCOMES_DIR, `${study}.json`), outcome);
      outcomes.set(study, outcome);
      run.setStatus('running', { finishedStudies: outcomes.size, elapsedMs: previousElapsed + (Date.now() - t0) });
      io.note(`   ${study}: ${outcome.row.verdict} (${(outcome.wallMs / 1000).toFixed(0)} s)`);
      finishedHere++;
      if (opts.abortAfter !== undefined && finishedHere >= opts.abortAfter) process.kill(process.pid, 'SIGKILL');
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const rows = config.studies.map((s) => outcomes.get(s)!.row);
  const elapsedMs = previousElapsed + (Date.now() - t0);
  const table = claimsTable(rows);
  const sections: ReportSection[] = [
    { title: 'Claims', table, text: `Each measurement starts with the scale it ran at. ${VERDICT_RULE_TEXT}` },
  ];
  for (const s of config.studies) {
    const o = outcomes.get(s)!;
    const figures: Figure[] = o.figures
      .map((f) => ({ ...f, path: join(run.dir, o.dir, RUN_FILES.figures, f.file) }))
      .filter((f) => existsSync(f.path))
      .map((f) => ({ file: `${s}-${f.file}`, svg: readFileSync(f.path, 'utf8'), caption: f.caption }));
    for (const f of figures) run.addFigure(f);
    sections.push({
      title: o.title,
      text: `${o.row.measurement} Verdict: ${o.row.verdict} (${o.row.statistic}). ${o.text} Sub-run: ${o.dir}${o.adopted ? ` (adopted: a copy of ${o.adopted.from}, made with this study's configuration)` : ''}.`,
      table: o.tables[0],
      figures: [],
    });
    for (const t of o.tables.slice(1)) sections.push({ title: `${o.title}: details`, table: t });
    if (figures.length) sections.push({ title: `${o.title}: figures`, figures });
  }
  sections.push({
    title: 'Wall times',
    text: `Scale ${config.scale}. Laptop-scale estimate from the per-study timings in the CLI README: ${sig(
      config.studies.reduce((a, s) => a + laptopEstimateMinutes(s), 0),
      3,
    )} min in total on a 2-core machine.`,
    table: {
      head: ['study', 'scale', 'wall s', 'laptop estimate min'],
      rows: config.studies.map((s) => [s, outcomes.get(s)!.row.scale, wallCell(outcomes.get(s)!), sig(laptopEstimateMinutes(s), 2)]),
    },
  });
  run.writeJson(RUN_FILES.results, {
    scale: config.scale,
    alpha: VERDICT_ALPHA,
    rule: VERDICT_RULE_TEXT,
    claims: rows,
    studies: Object.fromEntries(
      config.studies.map((s) => {
        const o = outcomes.get(s)!;
        return [s, { dir: o.dir, wallMs: o.wallMs, verdict: o.row.verdict, ...(o.adopted ? { adopted: o.adopted } : {}) }];
      }),
    ),
    elapsedMs,
  });
  const report = run.finish(`sii reproduce (${config.scale} scale): the paper's claims`, sections);
  run.setStatus('complete', { finishedStudies: outcomes.size, elapsedMs });
  io.print(textTable({ head: ['claim', 'verdict', 'statistic'], rows: rows.map((r) => [r.claim, r.verdict, r.statistic]) }));
  io.print(`wall time ${(elapsedMs / 1000).toFixed(1)} s`);
  io.print(`report: ${report}`);
  return { dir: run.dir, report, rows };
}
