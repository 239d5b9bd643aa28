/**
 * The `sii` command line: option parsing (commander), validation with errors naming the flag, and
 * dispatch to the commands.
 */
import { availableParallelism } from 'node:os';
import { ACTIVATION_NAMES } from '@sii/mlp';
import { tableauNames } from '@sii/rk';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type CommonOptions, type Io, stdIo } from './commands/common.js';
import { IMPLICIT_TEACHER_HLAMBDA, implicitCommand } from './commands/implicit.js';
import { PERTURBATION_DEFAULTS, perturbationCommand } from './commands/perturbation.js';
import { quickstartCommand } from './commands/quickstart.js';
import { registerReproduce } from './commands/reproduceCli.js';
import { stabilityCommand } from './commands/stability.js';
import { SETTING_DEFAULTS, type TeacherStudentConfig, teacherStudentCommand } from './commands/teacherStudent.js';
import { addQueueOptions, parseQueueArg, QUEUE_FLAGS, queueOptions } from './queue/options.js';
import { CHECKPOINT_MODES } from './queue/checkpoints.js';
import { WORKER_DEFAULTS, workerCommand } from './queue/worker.js';
import { registerExperiments } from './experiments/register.js';
import { DEFAULT_REGION_METHODS } from './regions.js';
import {
  INIT_NAMES,
  type InitName,
  STUDENT_PAIRINGS,
  STUDENT_TARGETS,
  type Setting,
  type StudentConfig,
  type StudentPairing,
  type StudentTarget,
} from './train/types.js';
import { decimalOrNull } from './numbers.js';
import { LIMITS } from './limits.js';
import { cliVersion } from './versions.js';
import { addOutputOptions, progressOption, withOutput } from './output.js';

export const DEFAULT_WORKERS = Math.max(1, Math.min(2, availableParallelism()));

// ---- value parsers: commander turns an InvalidArgumentError into "option '--x <v>' argument 'v' is invalid. <msg>"
/** An integer >= min; with `max`, also <= max (a stated limit, see limits.ts). */
export function parseInteger(min: number, max?: number) {
  return (v: string): number => {
    const x = Number(v);
    if (!/^[+-]?\d+$/.test(v.trim()) || !Number.isSafeInteger(x) || x < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}${max === undefined ? '' : ` and <= ${max}`}`);
    }
    if (max !== undefined && x > max)
      throw new InvalidArgumentError(`${v.trim()} exceeds the limit of ${max} (expected an integer from ${min} to ${max})`);
    return x;
  };
}

/** A solver name registered in @sii/rk. */
export function parseSolver(v: string): string {
  const names = tableauNames();
  if (!names.includes(v)) throw new InvalidArgumentError(`unknown solver ${v}; expected one of ${names.join(', ')}`);
  return v;
}
export function parseNumber(check: (x: number) => boolean = Number.isFinite, what = 'a finite number') {
  return (v: string): number => {
    const x = decimalOrNull(v);
    if (x === null || !check(x)) throw new InvalidArgumentError(`expected ${what}`);
    return x;
  };
}
const positive = parseNumber((x) => x > 0, 'a number > 0');
export function parseList<T extends string>(allowed?: readonly T[]) {
  return (v: string): T[] => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
    if (allowed) {
      const bad = items.filter((s) => !allowed.includes(s as T));
      if (bad.length) throw new InvalidArgumentError(`unknown value(s) ${bad.join(', ')}; expected some of ${allowed.join(', ')}`);
    }
    if (new Set(items).size !== items.length) throw new InvalidArgumentError('values must not repeat');
    return items as T[];
  };
}
export function parsePair(v: string): [number, number] {
  const parts = v.split(',').map(decimalOrNull);
  if (parts.length !== 2 || parts[0] == null || parts[1] == null) throw new InvalidArgumentError('expected "re,im"');
  return [parts[0], parts[1]];
}

/**
 * --out, --seed, --progress and --workers: the options of every command that writes a run folder
 * (sii's own commands, the experiments and reproduce), declared once.
 */
export function addRunOptions(cmd: Command, opts: { seedHelp: string; workers?: false | { help: string; min: 0 | 1 } }): Command {
  cmd.addOption(new Option('--out <dir>', 'base directory of run folders').default('runs'));
  cmd.addOption(new Option('--seed <n>', opts.seedHelp).argParser(parseInteger(0)).default(0));
  cmd.addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'plain', 'off']).default('auto'));
  if (opts.workers) {
    cmd.addOption(
      new Option('--workers <n>', `${opts.workers.help}; <= ${LIMITS.workers}`)
        .argParser(parseInteger(opts.workers.min, LIMITS.workers))
        .default(DEFAULT_WORKERS, `min(2, cores) = ${DEFAULT_WORKERS}`),
    );
  }
  return cmd;
}

/**
 * A resumed run keeps its stored configuration: a flag given on the command line that could change it
 * (any option whose attribute is not in `allowed`) is refused, not ignored.
 */
export function refuseChangesOnResume(cmd: Command, resume: string, allowed: readonly string[]): void {
  const changed = cmd.options
    .filter((opt) => !allowed.includes(opt.attributeName()) && cmd.getOptionValueSource(opt.attributeName()) === 'cli')
    .map((opt) => opt.long);
  if (changed.length === 0) return;
  const apply = cmd.options
    .filter((opt) => allowed.includes(opt.attributeName()) && !opt.hidden && opt.attributeName() !== 'resume')
    .map((opt) => opt.long);
  throw new InvalidArgumentError(
    `--resume continues ${resume} with its stored configuration; ${changed.join(', ')} cannot be changed (only ${apply.join(', ')} apply)`,
  );
}

function addCommon(cmd: Command, opts: { workers?: boolean } = {}): Command {
  addRunOptions(cmd, {
    seedHelp: 'random seed (everything is deterministic for a given seed)',
    workers: opts.workers ? { help: 'worker threads (one model each)', min: 1 } : false,
  });
  addOutputOptions(cmd);
  if (opts.workers) {
    cmd.addOption(
      new Option(
        '--fail-fast',
        'stop at the first failed training run and exit with code 1 (default: record the failure and go on)',
      ).default(false),
    );
  }
  return cmd;
}

function common(o: Record<string, unknown>): CommonOptions {
  return {
    out: o.out as string,
    seed: o.seed as number,
    progress: progressOption(o),
    workers: (o.workers as number | undefined) ?? DEFAULT_WORKERS,
    failFast: o.failFast === true,
  };
}

/** Student defaults (METHOD.md §7); hidden/layers default per setting. */
export function studentConfig(o: Record<string, unknown>): StudentConfig {
  const setting = o.setting as Setting;
  // `--no-complex` parses to true/false; anything else (a caller that lost the flag's default) is refused.
  if (typeof o.complex !== 'boolean') throw new Error(`student option complex must be true or false, got ${String(o.complex)}`);
  return {
    setting,
    hidden: (o.hidden as number | undefined) ?? SETTING_DEFAULTS[setting].hidden,
    layers: (o.layers as number | undefined) ?? SETTING_DEFAULTS[setting].layers,
    activation: o.activation as string,
    solver: o.solver as string,
    h: o.h as number,
    eps: o.eps as number,
    complex: o.complex,
    window: o.window as number,
    batch: o.batch as number,
    lr: o.lr as number,
    clip: o.clip as number,
    epochs: o.epochs as number,
    samples: o.samples as number,
    divergeFactor: o.divergeFactor as number,
    backend: o.backend as 'wasm' | 'cpu',
    target: (o.target as StudentTarget | undefined) ?? 'aligned',
    pairing: (o.pairing as StudentPairing | undefined) ?? 'paired',
  };
}

function addStudentOptions(cmd: Command, d: { teachers: number; epochs: number; setting: Setting }): Command {
  cmd
    .addOption(
      new Option('--setting <setting>', 'teachers with poles inside Euler (incl) or outside RK4 (excl)')
        .choices(['incl', 'excl'])
        .default(d.setting),
    )
    .addOption(
      new Option('--teachers <n>', `number of teachers (seeds; <= ${LIMITS.teachers})`)
        .argParser(parseInteger(1, LIMITS.teachers))
        .default(d.teachers),
    )
    .addOption(
      new Option('--epochs <n>', `training epochs per student (<= ${LIMITS.epochs})`)
        .argParser(parseInteger(1, LIMITS.epochs))
        .default(d.epochs),
    )
    .addOption(
      new Option('--init <list>', 'initializations to compare (comma-separated)')
        .argParser(parseList<InitName>(INIT_NAMES))
        .default([...INIT_NAMES], 'sii,baseline'),
    )
    .addOption(
      new Option('--hidden <n>', `student hidden width H (<= ${LIMITS.hidden}; default: incl 128, excl 32)`).argParser(
        parseInteger(1, LIMITS.hidden),
      ),
    )
    .addOption(
      new Option('--layers <n>', `student layers L (<= ${LIMITS.layers}; default: incl 3, excl 2)`).argParser(
        parseInteger(2, LIMITS.layers),
      ),
    )
    .addOption(new Option('--activation <name>', 'student activation (@sii/mlp)').choices([...ACTIVATION_NAMES]).default('elu'))
    .addOption(new Option('--solver <name>', 'student solver (@sii/rk tableau)').argParser(parseSolver).default('midpoint'))
    .addOption(new Option('--h <h>', 'solver step = sample time').argParser(positive).default(0.1))
    .addOption(new Option('--eps <eps>', 'SII margin of the student').argParser(parseNumber((x) => x < 0, 'a number < 0')).default(-0.01))
    .addOption(new Option('--no-complex', 'SII with real poles only (default: complex pairs)'))
    .addOption(
      new Option('--window <n>', `samples per training window (<= ${LIMITS.window})`).argParser(parseInteger(2, LIMITS.window)).default(10),
    )
    .addOption(new Option('--batch <n>', `windows per batch (<= ${LIMITS.batch})`).argParser(parseInteger(1, LIMITS.batch)).default(20))
    .addOption(new Option('--lr <lr>', 'NAdam learning rate').argParser(positive).default(1e-4))
    .addOption(new Option('--clip <norm>', 'gradient-norm clip').argParser(positive).default(1))
    .addOption(
      new Option('--samples <n>', `samples per teacher trajectory (<= ${LIMITS.samples})`)
        .argParser(parseInteger(3, LIMITS.samples))
        .default(300),
    )
    .addOption(
      new Option('--diverge-factor <x>', 'diverged when a loss is NaN/Inf or exceeds x times the initial validation loss')
        .argParser(positive)
        .default(1e6),
    )
    .addOption(new Option('--backend <name>', 'tfjs backend in the workers').choices(['wasm', 'cpu']).default('wasm'))
    .addOption(
      new Option(
        '--target <target>',
        "loss target: 'aligned' (x̂_1..x̂_9 vs x_1..x_9) or 'authors' (the paper's code: x̂_1..x̂_10 vs x_0..x_9, windows 0..289)",
      )
        .choices([...STUDENT_TARGETS])
        .default('aligned'),
    )
    .addOption(
      new Option(
        '--pairing <pairing>',
        "'paired' (both inits on one teacher) or 'authors' (the paper's train.py: per-init teacher poles, y0, noise, batch order)",
      )
        .choices([...STUDENT_PAIRINGS])
        .default('paired'),
    );
  return cmd;
}

export function teacherStudentConfig(o: Record<string, unknown>): TeacherStudentConfig {
  const student = studentConfig(o);
  if (student.window > student.samples)
    throw new InvalidArgumentError(`--window (${student.window}) must not exceed --samples (${student.samples})`);
  return { teachers: o.teachers as number, inits: o.init as InitName[], seed: o.seed as number, student };
}

export function buildProgram(io: Io = stdIo): Command {
  const program = new Command('sii')
    .description('Stability-informed initialization of neural ODEs: stability figures, teacher–student study and reports.')
    .version(cliVersion())
    .configureHelp({ helpWidth: 110 })
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => io.print(s.replace(/\n$/, '')), writeErr: (s) => io.note(s.replace(/\n$/, '')) });

  addCommon(
    program
      .command('stability')
      .description('Stability intervals of every registered tableau, and a figure of nested stability regions')
      .addOption(
        new Option('--methods <list>', 'methods whose regions are drawn')
          .argParser(parseList(tableauNames()))
          .default([...DEFAULT_REGION_METHODS], DEFAULT_REGION_METHODS.join(',')),
      )
      .addOption(new Option('--poles <file>', 'mark poles from a file (JSON [[re, im], …] or text "re im" lines; default: none)'))
      .addOption(new Option('--h <h>', 'step multiplying the poles of --poles (1: the file holds hλ)').argParser(positive).default(1)),
  ).action(async (o) => {
    await withOutput(o, io, (io) => stabilityCommand({ out: o.out, methods: o.methods, poles: o.poles, h: o.h }, io));
  });

  const P = PERTURBATION_DEFAULTS;
  addCommon(
    program
      .command('perturbation')
      .description(
        'Linear system with a real pole and a complex pair outside the Euler disk but inside RK4’s region: response to a perturbation with euler and rk4',
      )
      .addOption(new Option('--h <h>', 'step').argParser(positive).default(P.h))
      .addOption(new Option('--z-real <z>', 'hλ of the real pole').argParser(parseNumber()).default(P.zReal))
      .addOption(
        new Option('--z-complex <re,im>', 'hλ of the complex pair (re ± i·im)')
          .argParser(parsePair)
          .default(P.zComplex, P.zComplex.join(',')),
      )
      .addOption(new Option('--steps <n>', `solver steps (<= ${LIMITS.steps})`).argParser(parseInteger(10, LIMITS.steps)).default(P.steps))
      .addOption(new Option('--amplitude <a>', 'size of the initial perturbation').argParser(positive).default(P.amplitude))
      .addOption(
        new Option('--methods <list>', 'solvers to compare').argParser(parseList(tableauNames())).default(P.methods, P.methods.join(',')),
      ),
  ).action(async (o) => {
    await withOutput(o, io, (io) =>
      perturbationCommand(
        {
          out: o.out,
          seed: o.seed,
          h: o.h,
          zReal: o.zReal,
          zComplex: o.zComplex,
          steps: o.steps,
          amplitude: o.amplitude,
          methods: o.methods,
        },
        io,
      ),
    );
  });

  const ts = addCommon(
    addStudentOptions(
      program
        .command('teacher-student')
        .description(
          'Spec §7: per teacher seed, one student per init on identical data; minimum validation loss, curves, poles, paired tests',
        ),
      { teachers: 20, epochs: 100, setting: 'incl' },
    )
      .addOption(
        new Option(
          '--resume <run>',
          'continue an interrupted sweep in this run folder with its stored configuration (default: none, start a new run)',
        ),
      )
      .addOption(
        new Option('--abort-after <n>', 'testing aid: kill the process after n teachers were written')
          .argParser(parseInteger(1))
          .hideHelp(),
      ),
    { workers: true },
  );
  addQueueOptions(ts, 'teacher');
  ts.action(async (o) => {
    const resume = o.resume as string | undefined;
    if (resume) {
      refuseChangesOnResume(ts, resume, [
        'resume',
        'workers',
        'progress',
        'out',
        'abortAfter',
        'failFast',
        'json',
        'quiet',
        ...QUEUE_FLAGS,
      ]);
    }
    await withOutput(o, io, (io) =>
      teacherStudentCommand(
        { ...common(o), resume, abortAfter: o.abortAfter, ...queueOptions(o), config: resume ? undefined : teacherStudentConfig(o) },
        io,
      ),
    );
  });

  const implicit = addCommon(
    program
      .command('implicit-regularization')
      .description('Paper Figure 3: students fitted to a linear teacher with each solver; kernel density of the learned poles')
      .addOption(
        new Option('--solvers <list>', 'training solvers (@sii/rk tableaus)')
          .argParser(parseList(tableauNames()))
          .default(['euler', 'midpoint', 'rk4'], 'euler,midpoint,rk4'),
      )
      .addOption(
        new Option('--students <n>', `students (seeds) per solver (<= ${LIMITS.students})`)
          .argParser(parseInteger(1, LIMITS.students))
          .default(4),
      )
      .addOption(new Option('--epochs <n>', `training epochs (<= ${LIMITS.epochs})`).argParser(parseInteger(1, LIMITS.epochs)).default(150))
      .addOption(new Option('--h <h>', 'solver step = sample time').argParser(positive).default(0.1))
      .addOption(
        new Option('--hidden <n>', `student hidden width (<= ${LIMITS.hidden})`).argParser(parseInteger(3, LIMITS.hidden)).default(32),
      )
      .addOption(new Option('--layers <n>', `student layers (<= ${LIMITS.layers})`).argParser(parseInteger(2, LIMITS.layers)).default(2))
      .addOption(
        new Option('--trajectories <n>', `teacher trajectories (<= ${LIMITS.trajectories})`)
          .argParser(parseInteger(1, LIMITS.trajectories))
          .default(4),
      )
      .addOption(
        new Option('--samples <n>', `samples per trajectory (<= ${LIMITS.samples})`).argParser(parseInteger(3, LIMITS.samples)).default(40),
      )
      .addOption(new Option('--lr <lr>', 'NAdam learning rate').argParser(positive).default(1e-2))
      .addOption(new Option('--backend <name>', 'tfjs backend in the workers').choices(['wasm', 'cpu']).default('wasm')),
    { workers: true },
  );
  addQueueOptions(implicit, 'student');
  implicit.action(async (o) => {
    const h = o.h as number;
    await withOutput(o, io, (io) =>
      implicitCommand(
        {
          ...common(o),
          ...queueOptions(o),
          config: {
            solvers: o.solvers,
            students: o.students,
            seed: o.seed,
            train: {
              teacherPoles: IMPLICIT_TEACHER_HLAMBDA.map(([re, im]) => [re / h, im / h]),
              h,
              hidden: o.hidden,
              layers: o.layers,
              activation: 'elu',
              trajectories: o.trajectories,
              samples: o.samples,
              window: Math.min(10, o.samples),
              batch: 32,
              lr: o.lr,
              clip: 1,
              epochs: o.epochs,
              backend: o.backend,
            },
          },
        },
        io,
      ),
    );
  });

  const quickstart = addCommon(
    addStudentOptions(
      program
        .command('quickstart')
        .description('Stability figure, perturbation figure and a small teacher–student comparison in one report (pnpm start)'),
      { teachers: 8, epochs: 15, setting: 'incl' },
    ),
    { workers: true },
  );
  addQueueOptions(quickstart, 'teacher');
  quickstart.action(async (o) => {
    await withOutput(o, io, (io) =>
      quickstartCommand({ ...common(o), ...queueOptions(o), config: { seed: o.seed, teacherStudent: teacherStudentConfig(o) } }, io),
    );
  });

  program
    .command('worker')
    .description('Take sweep units (any study) from a BullMQ queue in Redis and run them on worker threads, until SIGTERM')
    .addOption(
      new Option('--queue <url>', 'the Redis of the queue: redis://HOST:PORT[/DB] (rediss:// for TLS)')
        .env('SII_QUEUE')
        .argParser(parseQueueArg)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--concurrency <n>', `units run at once, one worker thread each (<= ${LIMITS.workers})`)
        .argParser(parseInteger(1, LIMITS.workers))
        .default(WORKER_DEFAULTS.concurrency),
    )
    .addOption(
      new Option(
        '--lock-duration <ms>',
        'BullMQ job lock: a unit whose worker stops renewing it for this long is stalled and taken by another worker',
      )
        .argParser(parseInteger(1000))
        .default(WORKER_DEFAULTS.lockDurationMs),
    )
    .addOption(
      new Option('--stalled-interval <ms>', 'how often this worker moves stalled units (of dead workers) back to the queue')
        .argParser(parseInteger(500))
        .default(WORKER_DEFAULTS.stalledIntervalMs),
    )
    .addOption(
      new Option('--max-stalled <n>', 'a unit stalled more often than this is failed instead of moved back')
        .argParser(parseInteger(0))
        .default(WORKER_DEFAULTS.maxStalledCount),
    )
    .addOption(new Option('--name <name>', 'worker name in its output and in Redis (default: host:pid)'))
    .addOption(
      new Option(
        '--checkpoints <where>',
        'per-epoch checkpoints of pixel, latent and forecast units: auto (the run folder when this machine sees it, else Redis), redis, or off',
      )
        .choices(CHECKPOINT_MODES)
        .default('auto'),
    )
    .action(async (o) => {
      await workerCommand(
        {
          queue: o.queue,
          concurrency: o.concurrency,
          lockDurationMs: o.lockDuration,
          stalledIntervalMs: o.stalledInterval,
          maxStalledCount: o.maxStalled,
          name: o.name,
          checkpoints: o.checkpoints,
        },
        io,
      );
    });

  registerExperiments(program, io);
  registerReproduce(program, io);
  return program;
}

/** Run the CLI; resolves to the exit code (0 ok, 1 runtime error, 2 usage error). */
export async function main(argv: string[] = process.argv, io: Io = stdIo): Promise<number> {
  const program = buildProgram(io);
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    // An InvalidArgumentError that reaches here was thrown by an action (cross-flag checks), so commander
    // has not printed it; commander's own parse errors arrive as plain CommanderErrors, already printed.
    if (e instanceof InvalidArgumentError) {
      io.note(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    io.note(`error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
