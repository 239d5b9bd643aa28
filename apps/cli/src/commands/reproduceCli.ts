/** Commander definition of `sii reproduce` (the command itself: reproduce.ts). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { addRunOptions, parseInteger, parseList, refuseChangesOnResume, teacherStudentConfig } from '../cli.js';
import { addOutputOptions, progressOption, withOutput } from '../output.js';
import { addQueueOptions, QUEUE_FLAGS, queueOptions } from '../queue/options.js';
import type { Io } from './common.js';
import {
  adoptableCommand,
  FILE_FORECAST_DATASETS,
  type FileForecastDataset,
  makeReproduceConfig,
  REPRODUCE_SCALES,
  type ReproduceScale,
  reproduceCommand,
  STUDY_NAMES,
} from './reproduce.js';

/**
 * A comma-separated list of key=path items (`--data`, `--adopt`): each key one of `keys`, each path
 * accepted by `checkPath` (which returns the error message otherwise).
 */
function parseAssignments(
  v: string,
  spec: { form: string; keys: readonly string[]; checkPath: (path: string) => string | undefined; uniqueKeys?: boolean },
): Record<string, string> {
  const out: Record<string, string> = {};
  const [keyName] = spec.form.split('=');
  for (const item of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z0-9-]+)=(.+)$/.exec(item);
    if (!m || !spec.keys.includes(m[1])) {
      throw new InvalidArgumentError(`expected ${spec.form} with ${keyName} one of ${spec.keys.join(', ')}, got "${item}"`);
    }
    if (spec.uniqueKeys && out[m[1]] !== undefined) throw new InvalidArgumentError(`${keyName} ${m[1]} given twice`);
    const bad = spec.checkPath(m[2]);
    if (bad) throw new InvalidArgumentError(bad);
    out[m[1]] = m[2];
  }
  if (Object.keys(out).length === 0) throw new InvalidArgumentError(`expected ${spec.form}`);
  return out;
}

/** `--data name=file[,name=file]`: forecast data files (airquality, activity, engine); each file must exist. */
export function parseDataFiles(v: string): Partial<Record<FileForecastDataset, string>> {
  return parseAssignments(v, {
    form: 'name=file',
    keys: FILE_FORECAST_DATASETS,
    checkPath: (f) => (existsSync(f) ? undefined : `no such file: ${f}`),
  });
}

/** `--adopt study=run[,study=run]`: each run folder must exist and hold a config.json. */
export function parseAdopt(studies: readonly string[]) {
  const keys = studies.filter((s) => adoptableCommand(s) !== undefined);
  return (v: string): Record<string, string> =>
    parseAssignments(v, {
      form: 'study=run',
      keys,
      uniqueKeys: true,
      checkPath: (d) => (existsSync(join(d, 'config.json')) ? undefined : `${d} is not a run folder (no config.json)`),
    });
}

/** Option defaults of another registered command, keyed by attribute name. */
export function defaultsOf(program: Command) {
  return (name: string): Record<string, unknown> => {
    const cmd = program.commands.find((c) => c.name() === name);
    if (!cmd) throw new Error(`reproduce: no '${name}' command`);
    const o: Record<string, unknown> = {};
    for (const opt of cmd.options) {
      if (opt.defaultValue !== undefined) o[opt.attributeName()] = opt.defaultValue;
      // A lone `--no-x` flag defaults x to true when parsed, but carries no defaultValue of its own.
      else if (opt.negate && !cmd.options.some((p) => p !== opt && p.attributeName() === opt.attributeName()))
        o[opt.attributeName()] = true;
    }
    return o;
  };
}

export function registerReproduce(program: Command, io: Io): void {
  const studies = [...STUDY_NAMES, ...FILE_FORECAST_DATASETS.map((d) => `forecast-${d}`)];
  const cmd = program
    .command('reproduce')
    .description(
      "Every study of the paper in turn (each its own resumable sub-run), then one report whose first table is the paper's claims with a verdict each",
    )
    .addOption(
      new Option(
        '--scale <scale>',
        "'laptop' (under 90 min on 2 cores), 'paper' (500 teachers, the paper's presets; hours to days), 'tiny' (smoke test)",
      )
        .choices([...REPRODUCE_SCALES])
        .default('laptop'),
    )
    .addOption(
      new Option('--only <list>', `studies to run (comma-separated; default all of ${STUDY_NAMES.join(', ')})`).argParser(
        parseList(studies),
      ),
    )
    .addOption(
      new Option(
        '--data <name=file,...>',
        `forecast data files (${FILE_FORECAST_DATASETS.join(', ')}); each adds a study forecast-<name>`,
      ).argParser(parseDataFiles),
    )
    .addOption(
      new Option(
        '--adopt <study=run,...>',
        "finished sub-runs to use instead of running these studies again (teacher-student, pixel, latent or forecast run folders); each must have exactly the study's configuration",
      ).argParser(parseAdopt(studies)),
    )
    .addOption(new Option('--resume <run>', 'continue an interrupted reproduce run folder with its stored configuration'))
    .addOption(
      new Option('--abort-after <n>', 'testing aid: kill the process after n studies finished').argParser(parseInteger(1)).hideHelp(),
    );
  addRunOptions(cmd, { seedHelp: 'base seed of every study', workers: { help: 'worker threads (one model each)', min: 1 } });
  addQueueOptions(cmd, 'unit (teacher, student or arm) of the studies that have units');
  addOutputOptions(cmd);
  cmd.action(async (o) => {
    const resume = o.resume as string | undefined;
    if (resume) {
      refuseChangesOnResume(cmd, resume, ['resume', 'workers', 'progress', 'out', 'abortAfter', 'json', 'quiet', ...QUEUE_FLAGS]);
    }
    const common = {
      out: o.out as string,
      progress: progressOption(o),
      workers: o.workers as number,
      abortAfter: o.abortAfter as number | undefined,
      ...queueOptions(o),
    };
    if (resume) {
      await withOutput(o, io, (io) => reproduceCommand({ ...common, resume }, io));
      return;
    }
    const only = o.only as string[] | undefined;
    const data = (o.data as Partial<Record<FileForecastDataset, string>> | undefined) ?? {};
    const missing = (only ?? []).filter(
      (s) =>
        s.startsWith('forecast-') &&
        FILE_FORECAST_DATASETS.includes(s.slice(9) as FileForecastDataset) &&
        !data[s.slice(9) as FileForecastDataset],
    );
    if (missing.length)
      throw new InvalidArgumentError(`--only ${missing.join(', ')} needs --data ${missing.map((s) => `${s.slice(9)}=<file>`).join(',')}`);
    const config = makeReproduceConfig(
      { scale: o.scale as ReproduceScale, seed: o.seed as number, only, data },
      defaultsOf(program),
      teacherStudentConfig,
    );
    const adopt = o.adopt as Record<string, string> | undefined;
    const notRun = Object.keys(adopt ?? {}).filter((s) => !config.studies.includes(s));
    if (notRun.length)
      throw new InvalidArgumentError(`--adopt ${notRun.join(', ')}: not among the studies of this run (${config.studies.join(', ')})`);
    await withOutput(o, io, (io) => reproduceCommand({ ...common, config, ...(adopt ? { adopt } : {}) }, io));
  });
}
