/**
 * Commander definitions of `sii pixel`, `sii latent` and `sii forecast`: a preset per --scale, then
 * every flag given on the command line overrides the preset's value.
 */
import { existsSync } from 'node:fs';
import { SLOPE_COMPENSATIONS } from '@sii/init';
import { ACTIVATION_NAMES } from '@sii/mlp';
import { tableauNames } from '@sii/rk';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { addRunOptions, parseInteger, parseList, parseNumber } from '../cli.js';
import type { Io } from '../commands/common.js';
import { LIMITS } from '../limits.js';
import { addQueueOptions, queueOptions } from '../queue/options.js';
import { addOutputOptions, progressOption, withOutput } from '../output.js';
import { forecastDefinition, latentDefinition, pixelDefinition } from './definitions.js';
import { FORECAST_DATASETS, type ForecastConfig, forecastPreset } from './forecast.js';
import { checkLatentConfig, LATENT_SYSTEM_NAMES, type LatentConfig, latentPreset } from './latent.js';
import { INIT_NAMES, type InitName } from './nn.js';
import { PIXEL_DATASETS, type PixelConfig, pixelPreset } from './pixel.js';
import { type ExperimentDefinition, runExperiment } from './runner.js';
import type { BaseExperimentConfig, Scale } from './types.js';

type Parser = (v: string) => unknown;

/**
 * A configuration error found in an action (after parsing). A plain Error on purpose: main() turns
 * commander's errors (InvalidArgumentError included) into exit code 2 without printing them when they
 * come from an action, while a plain Error is printed as "error: …" (exit code 1).
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An integer >= min, or 'all' / 'none' (→ null). */
function intOrNull(min: number, word: string, max?: number): Parser {
  const int = parseInteger(min, max);
  return (v) => (v.trim() === word ? null : int(v));
}
function numberOrNull(word: string, check: (x: number) => boolean, what: string): Parser {
  const num = parseNumber(check, what);
  return (v) => (v.trim() === word ? null : num(v));
}
function onOff(flag: string): Parser {
  return (v) => {
    if (v === 'on') return true;
    if (v === 'off') return false;
    throw new InvalidArgumentError(`${flag} must be 'on' or 'off', got ${v}`);
  };
}
function solverName(v: string): string {
  const names = tableauNames();
  if (!names.includes(v)) throw new InvalidArgumentError(`unknown solver; expected one of ${names.join(', ')}`);
  return v;
}

/** Data sets read from user files: --data is required and must exist. */
function requireDataFile(dataset: string, data: string | undefined, needing: readonly string[], what: 'file' | 'folder'): void {
  if (data !== undefined && !existsSync(data)) throw new UsageError(`--data: no such ${what}: ${data}`);
  if (needing.includes(dataset) && data === undefined) {
    throw new UsageError(`--dataset ${dataset} needs --data <${what}> (nothing is downloaded; see the @sii/datasets README for the files)`);
  }
}

interface Flag {
  flags: string;
  key: string;
  description: string;
  parser?: Parser;
  choices?: readonly string[];
}

/** Model and training flags every experiment has (no defaults: the preset decides unless given). */
function fieldFlags(): Flag[] {
  const positive = parseNumber((x) => x > 0, 'a number > 0');
  return [
    {
      flags: '--seeds <n>',
      key: 'seeds',
      description: `runs (seeds) per init (<= ${LIMITS.seeds})`,
      parser: parseInteger(1, LIMITS.seeds),
    },
    { flags: '--epochs <n>', key: 'epochs', description: `training epochs (<= ${LIMITS.epochs})`, parser: parseInteger(1, LIMITS.epochs) },
    { flags: '--states <n>', key: 'states', description: `ODE states n (<= ${LIMITS.states})`, parser: parseInteger(1, LIMITS.states) },
    {
      flags: '--hidden <n>',
      key: 'hidden',
      description: `ODE MLP hidden width H (>= states for SII; <= ${LIMITS.hidden})`,
      parser: parseInteger(1, LIMITS.hidden),
    },
    { flags: '--layers <n>', key: 'layers', description: `ODE MLP layers L (<= ${LIMITS.layers})`, parser: parseInteger(2, LIMITS.layers) },
    { flags: '--activation <name>', key: 'activation', description: 'ODE MLP activation', choices: ACTIVATION_NAMES },
    {
      flags: '--solver <name>',
      key: 'solver',
      description: 'fixed-step solver (@sii/rk tableau); SII samples its region',
      parser: solverName,
    },
    { flags: '--eps <eps>', key: 'eps', description: 'SII margin', parser: parseNumber((x) => x < 0, 'a number < 0') },
    {
      flags: '--compensation <mode>',
      key: 'compensation',
      description: "SII activation-slope compensation: 'none' (authors' code), 'max' (divide by sup σ′) or 'exact'",
      choices: SLOPE_COMPENSATIONS,
    },
    { flags: '--batch <n>', key: 'batch', description: `batch size (<= ${LIMITS.batch})`, parser: parseInteger(1, LIMITS.batch) },
    { flags: '--lr <lr>', key: 'lr', description: 'Adam learning rate', parser: positive },
    {
      flags: '--clip <norm|none>',
      key: 'clip',
      description: 'global gradient-norm clip',
      parser: numberOrNull('none', (x) => x > 0, "a number > 0 or 'none'"),
    },
  ];
}

const SCALE_HELP =
  "preset: 'laptop' (default; one seed × both inits in minutes on 2 cores: about 6 min pixel, 1 min latent, 4 min forecast on duffing), 'paper' (the paper's settings, docs/FIDELITY.md), 'tiny' (smoke test)";

function addFlags(cmd: Command, flags: Flag[]): Command {
  for (const f of flags) {
    const o = new Option(f.flags, f.description);
    if (f.choices) o.choices(f.choices);
    if (f.parser) o.argParser(f.parser);
    cmd.addOption(o);
  }
  return cmd;
}

function addRunFlags(cmd: Command): Command {
  addQueueOptions(cmd, 'arm');
  addOutputOptions(cmd)
    .addOption(new Option('--scale <scale>', SCALE_HELP).choices(['laptop', 'paper', 'tiny']).default('laptop'))
    .addOption(
      new Option('--init <list>', 'initializations to compare (comma-separated)')
        .argParser(parseList<InitName>(INIT_NAMES))
        .default([...INIT_NAMES], 'sii,baseline'),
    )
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['wasm', 'cpu']).default('wasm'))
    .addOption(new Option('--resume <run>', 'continue an interrupted run folder with its stored configuration (other flags are ignored)'))
    .addOption(
      new Option('--fail-fast', 'stop at the first failed run and exit with code 1 (default: record the failure and go on)').default(false),
    );
  return addRunOptions(cmd, {
    seedHelp: 'base seed (data; run k trains with seed "<seed>/run/k")',
    workers: { help: 'worker threads, one model each (0: in-process)', min: 0 },
  });
}

/** Preset for the scale, overridden by every flag that was given. */
function buildConfig<C extends BaseExperimentConfig>(
  preset: Record<string, unknown>,
  o: Record<string, unknown>,
  flags: Flag[],
  fixed: Record<string, unknown>,
): C {
  const config: Record<string, unknown> = { ...preset, ...fixed, scale: o.scale, seed: o.seed, inits: o.init, backend: o.backend };
  for (const f of flags) {
    const name = f.key;
    // commander stores a parser's null ('all', 'none') as '' (it treats null as "no value"): map it back.
    if (o[name] !== undefined) config[name] = o[name] === '' ? null : o[name];
  }
  // Every experiment with an ODE field records its SII slope compensation ('none': the authors' code).
  if (config.states !== undefined) {
    config.compensation ??= 'none';
    delete config.siiPreset; // replaced by `compensation`; older presets may still carry it
  }
  const c = config as unknown as C & { states?: number; hidden?: number };
  if (c.inits.includes('sii') && c.states !== undefined && c.hidden !== undefined && c.hidden < c.states) {
    throw new UsageError(`--hidden (${c.hidden}) must be >= --states (${c.states}) for SII`);
  }
  return c;
}

function action<C extends BaseExperimentConfig>(def: ExperimentDefinition<C>, io: Io, makeConfig: (o: Record<string, unknown>) => C) {
  return async (o: Record<string, unknown>) => {
    const resume = o.resume as string | undefined;
    await withOutput(o, io, (io) =>
      runExperiment(
        def,
        {
          out: o.out as string,
          seed: o.seed as number,
          progress: progressOption(o),
          workers: o.workers as number,
          failFast: o.failFast === true,
          ...queueOptions(o),
          ...(resume ? { resume } : { config: makeConfig(o) }),
        },
        io,
      ),
    );
  };
}

/** Register `pixel`, `latent` and `forecast` on the `sii` program. */
export function registerExperiments(program: Command, io: Io): void {
  const positive = parseNumber((x) => x > 0, 'a number > 0');
  const nonNegative = parseNumber((x) => x >= 0, 'a number >= 0');
  // LinearLR's end factor: the schedule goes from 1 down to it
  const lrEndFactor = parseNumber((x) => x > 0 && x <= 1, 'a number in (0, 1]');

  const pixelFlags: Flag[] = [
    ...fieldFlags(),
    { flags: '--h <h>', key: 'h', description: 'solver step', parser: positive },
    {
      flags: '--pixels-per-step <k>',
      key: 'pixelsPerStep',
      description: `consecutive pixels per ODE step (paper 1; laptop one image row) (<= ${LIMITS.pixelsPerStep})`,
      parser: parseInteger(1, LIMITS.pixelsPerStep),
    },
    {
      flags: '--train-size <n|all>',
      key: 'trainSize',
      description: `training examples (class-balanced subset) (<= ${LIMITS.examples})`,
      parser: intOrNull(10, 'all', LIMITS.examples),
    },
    {
      flags: '--test-size <n|all>',
      key: 'testSize',
      description: `test examples (class-balanced subset) (<= ${LIMITS.examples})`,
      parser: intOrNull(10, 'all', LIMITS.examples),
    },
    {
      flags: '--decoder-hidden <n>',
      key: 'decoderHidden',
      description: `decoder hidden width (<= ${LIMITS.hidden})`,
      parser: parseInteger(1, LIMITS.hidden),
    },
    {
      flags: '--micro-batch <n|none>',
      key: 'microBatch',
      description: `accumulate gradients over chunks of n examples (same update, less memory) (<= ${LIMITS.batch})`,
      parser: intOrNull(1, 'none', LIMITS.batch),
    },
    {
      flags: '--checkpoint-every <k|auto|none>',
      key: 'checkpointEvery',
      description:
        "recompute the ODE's activations in the backward pass from a state kept every k steps (same numbers, less memory, one more forward pass); 'auto' (default) when the full tape exceeds 1 GiB, with k = ⌈√steps⌉; 'none' keeps the full tape",
      parser: (v) => (v.trim() === 'auto' ? 'auto' : intOrNull(1, 'none', 100000)(v)),
    },
    { flags: '--lr-end <f>', key: 'lrEnd', description: 'final factor of the linear learning-rate schedule', parser: lrEndFactor },
    {
      flags: '--augment <on|off>',
      key: 'augment',
      description:
        "sCIFAR training augmentation: random crop 32 (padding 4) + horizontal flip, as the paper's code (default on for scifar)",
      parser: onOff('--augment'),
    },
    {
      flags: '--permutation-seed <run|base>',
      key: 'permutationSeed',
      description: "psMNIST permutation: 'run' one per run from the run seed (default, as the paper's code), 'base' one for all runs",
      choices: ['run', 'base'],
    },
  ];
  addFlags(
    addRunFlags(
      program
        .command('pixel')
        .description('Pixel-level classification (sMNIST, psMNIST, Fashion-MNIST, sCIFAR-10): SII vs baseline, mean ± std over seeds')
        .addOption(new Option('--dataset <name>', 'data set').choices([...PIXEL_DATASETS]).default('smnist'))
        .addOption(
          new Option(
            '--data <dir>',
            'folder of the image files (Fashion-MNIST default /usr/share/datasets/fashion-mnist; required for scifar)',
          ),
        ),
    ),
    pixelFlags,
  ).action(
    action(pixelDefinition, io, (o) => {
      requireDataFile(o.dataset as string, o.data as string | undefined, ['scifar'], 'folder');
      if (o.augment === true && o.dataset !== 'scifar')
        throw new UsageError(`--augment on applies to --dataset scifar only, got --dataset ${String(o.dataset)}`);
      const c = buildConfig<PixelConfig>(pixelPreset(o.scale as Scale, o.dataset as PixelConfig['dataset']), o, pixelFlags, {
        dataset: o.dataset,
        data: o.data ?? null,
      });
      // checked here, before a run folder exists (every arm would fail on it in groupSteps)
      const length = c.dataset === 'scifar' ? 32 * 32 : 28 * 28;
      if (length % c.pixelsPerStep !== 0) {
        throw new UsageError(
          `--pixels-per-step must divide the sequence length ${length} of --dataset ${c.dataset}, got ${c.pixelsPerStep}`,
        );
      }
      return c;
    }),
  );

  const latentFlags: Flag[] = [
    ...fieldFlags(),
    { flags: '--h <h>', key: 'h', description: 'solver step (frames are 0.1 apart)', parser: positive },
    {
      flags: '--train-sequences <n>',
      key: 'trainSequences',
      description: `training sequences (<= ${LIMITS.sequences})`,
      parser: parseInteger(1, LIMITS.sequences),
    },
    {
      flags: '--test-sequences <n>',
      key: 'testSequences',
      description: `held-out sequences (<= ${LIMITS.sequences})`,
      parser: parseInteger(1, LIMITS.sequences),
    },
    {
      flags: '--frame-size <px>',
      key: 'frameSize',
      description: `frame height = width (multiple of 8) (<= ${LIMITS.frameSize})`,
      parser: parseInteger(8, LIMITS.frameSize),
    },
    {
      flags: '--input-frames <n>',
      key: 'inputFrames',
      description: `conditioning frames (<= ${LIMITS.frames})`,
      parser: parseInteger(1, LIMITS.frames),
    },
    {
      flags: '--horizon <n>',
      key: 'horizon',
      description: `predicted frames in training and the short test horizon (<= ${LIMITS.frames})`,
      parser: parseInteger(1, LIMITS.frames),
    },
    {
      flags: '--long-horizon <n>',
      key: 'longHorizon',
      description: `long test horizon (<= ${LIMITS.frames})`,
      parser: parseInteger(1, LIMITS.frames),
    },
    {
      flags: '--horizon-start <n>',
      key: 'horizonStart',
      description: `opt-in curriculum: predicted frames trained on in epoch 1 (>= --horizon: full horizon throughout) (<= ${LIMITS.frames})`,
      parser: parseInteger(1, LIMITS.frames),
    },
    {
      flags: '--ramp-epochs <n>',
      key: 'rampEpochs',
      description: `curriculum: epochs over which the training horizon grows linearly to --horizon (0: no curriculum) (<= ${LIMITS.epochs})`,
      parser: parseInteger(0, LIMITS.epochs),
    },
    {
      flags: '--recon-weight <w>',
      key: 'reconWeight',
      description: 'opt-in auxiliary loss weight, decode(z0) ≈ last conditioning frame (0: off, the authors)',
      parser: nonNegative,
    },
    {
      flags: '--dropout <p>',
      key: 'dropout',
      description: 'dropout in the convolution blocks (authors: 0.2 molecules, else 0)',
      parser: parseNumber((x) => x >= 0 && x < 1, 'a number in [0, 1)'),
    },
    {
      flags: '--lr-end <f>',
      key: 'lrEnd',
      description: 'final factor of the linear learning-rate schedule (authors 0.1)',
      parser: lrEndFactor,
    },
    {
      flags: '--conv-impl <name>',
      key: 'convImpl',
      description:
        "3-D convolution: 'simd' (direct convolution and fused Conv→BatchNorm→SiLU on WebAssembly SIMD; falls back to im2col where SIMD does not run), 'im2col' (JS gather + matMul, the reference) or 'native' (tfjs Conv3D)",
      choices: ['simd', 'im2col', 'native'],
    },
  ];
  addFlags(
    addRunFlags(
      program
        .command('latent')
        .description(
          "Latent dynamics from pixel frames (mass-spring, pendulum, double pendulum, molecules), the authors' convolutional model: SII vs baseline",
        )
        .addOption(new Option('--system <name>', 'simulated system').choices([...LATENT_SYSTEM_NAMES]).default('mass-spring')),
    ),
    latentFlags,
  ).action(
    action(latentDefinition, io, (o) => {
      const c = buildConfig<LatentConfig>(latentPreset(o.scale as Scale, o.system as LatentConfig['system']), o, latentFlags, {
        system: o.system,
      });
      try {
        checkLatentConfig(c);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      return c;
    }),
  );

  const forecastFlags: Flag[] = [
    ...fieldFlags(),
    { flags: '--h <h>', key: 'h', description: 'solver step (default: the sampling time, as the authors)', parser: positive },
    {
      flags: '--window <n>',
      key: 'window',
      description: `window length in samples (<= ${LIMITS.window}; default: the authors' per data set: engine 400, airquality 100, activity 10; tanks/duffing 64)`,
      parser: parseInteger(2, LIMITS.window),
    },
    {
      flags: '--segment-length <n>',
      key: 'segmentLength',
      description: `segment length of the engine / air-quality 80/20 split (authors 800) (<= ${LIMITS.samples})`,
      parser: parseInteger(2, LIMITS.samples),
    },
    {
      flags: '--train-stride <n>',
      key: 'trainStride',
      description: `distance between training window starts (authors: airquality 10, else 1) (<= ${LIMITS.samples})`,
      parser: parseInteger(1, LIMITS.samples),
    },
    {
      flags: '--test-stride <n>',
      key: 'testStride',
      description: `distance between test window starts (authors 1) (<= ${LIMITS.samples})`,
      parser: parseInteger(1, LIMITS.samples),
    },
    {
      flags: '--max-train-windows <n|all>',
      key: 'maxTrainWindows',
      description: `at most this many training windows, evenly spaced (authors: all) (<= ${LIMITS.windows})`,
      parser: intOrNull(1, 'all', LIMITS.windows),
    },
    {
      flags: '--max-test-windows <n|all>',
      key: 'maxTestWindows',
      description: `at most this many test windows, evenly spaced (authors: all) (<= ${LIMITS.windows})`,
      parser: intOrNull(1, 'all', LIMITS.windows),
    },
    {
      flags: '--data-seed <n>',
      key: 'dataSeed',
      description: "random_state of the authors' train/test splits (their data_seed 42)",
      parser: parseInteger(0),
    },
    { flags: '--optimizer <name>', key: 'optimizer', description: 'optimizer (authors: nadam)', choices: ['nadam', 'adam'] },
    {
      flags: '--lr-decay <gamma>',
      key: 'lrDecay',
      description: 'ExponentialLR γ per epoch (authors: airquality 0.95, else 0.999)',
      parser: positive,
    },
    {
      flags: '--kl-weight <beta>',
      key: 'klWeight',
      description: 'weight of the KL term (authors 1)',
      parser: parseNumber((x) => x >= 0, 'a number >= 0'),
    },
    {
      flags: '--eval-initial-state <mode>',
      key: 'evalInitialState',
      description: "z0 at test time: 'prior' N(0, I) draw (authors) or 'posterior-mean' (the encoder's mean)",
      choices: ['prior', 'posterior-mean'],
    },
  ];
  addFlags(
    addRunFlags(
      program
        .command('forecast')
        .description(
          "Multivariate forecasting with the authors' variational latent ODE (tanks, duffing built in; airquality (.xlsx/.csv), activity, engine from --data)",
        )
        .addOption(new Option('--dataset <name>', 'data set').choices([...FORECAST_DATASETS]).default('tanks'))
        .addOption(new Option('--data <file>', 'data file (required for airquality: AirQualityUCI.xlsx or .csv; activity; engine)')),
    ),
    forecastFlags,
  ).action(
    action(forecastDefinition, io, (o) => {
      requireDataFile(o.dataset as string, o.data as string | undefined, ['airquality', 'activity', 'engine'], 'file');
      return buildConfig<ForecastConfig>(forecastPreset(o.scale as Scale), o, forecastFlags, {
        dataset: o.dataset,
        data: o.data ?? null,
      });
    }),
  );
}
