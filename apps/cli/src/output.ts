/**
 * `--json` and `--quiet`, shared by every command that runs something.
 *
 * --json   stdout holds exactly one JSON document, the run's summary (runSummary below), written when the
 *          command has finished; the text summary, progress and notices go to stderr.
 * --quiet  no progress, notices or summary text; errors are still printed on stderr. With --json, the JSON
 *          document is then the only output. Exit codes do not change.
 * A command that fails prints its error on stderr and nothing on stdout, whatever the flags.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import type { CommonOptions, Io } from './commands/common.js';
import type { Figure, Table } from './report.js';
import { RUN_FILES, readJson } from './runfolder.js';

export interface OutputMode {
  json: boolean;
  quiet: boolean;
}

/** Adds --json and --quiet to a command. */
export function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--json',
        "print the run's summary on stdout as one JSON document (nothing else on stdout: text summary, progress and notices go to stderr)",
      ).default(false),
    )
    .addOption(
      new Option('--quiet', 'no progress, notices or summary text (errors still on stderr; with --json only the JSON document)').default(
        false,
      ),
    );
}

export function outputMode(o: Record<string, unknown>): OutputMode {
  return { json: o.json === true, quiet: o.quiet === true };
}

/** The progress mode a command runs with: --quiet turns it off. */
export function progressOption(o: Record<string, unknown>): CommonOptions['progress'] {
  return o.quiet === true ? 'off' : ((o.progress as CommonOptions['progress'] | undefined) ?? 'auto');
}

const silent: Io = { print: () => {}, note: () => {} };

/** The Io a command runs with: --quiet drops summary lines and notices, --json moves summary lines to stderr. */
export function commandIo(io: Io, mode: OutputMode): Io {
  if (mode.quiet) return silent;
  if (mode.json) return { print: (s) => io.note(s), note: (s) => io.note(s) };
  return io;
}

/** What a command returns about its run (every command returns at least the folder and the report). */
export interface RunOutcome {
  dir: string;
  report: string;
  figures?: readonly Figure[];
  table?: Table;
  lines?: readonly string[];
}

/** The JSON document of --json. Numbers that are not finite appear as strings ("NaN", "Infinity"), as in results.json. */
export interface RunSummary {
  command: string;
  /** status.json's state: 'complete' for a command that returned. */
  status: string;
  /** Absolute path of the run folder and of its report.html. */
  dir: string;
  report: string;
  /** The summary table printed in text mode (formatted cells), and the lines printed after it. */
  table: Table | null;
  lines: string[];
  /** Figure files, relative to `dir` (quickstart's are in its sub-runs). */
  figures: string[];
  /** results.json of the run: the command's results (what the seed fixes). */
  results: unknown;
  /** timings.json's elapsedMs when the command records it. */
  elapsedMs: number | null;
  /** Versions recorded in config.json (node, @sii/*, tfjs, commander, vega, vega-lite). */
  versions: Record<string, string | null>;
}

function readIfPresent<T>(dir: string, file: string): T | null {
  const path = join(dir, file);
  return existsSync(path) ? readJson<T>(path) : null;
}

/** The summary of a finished run, read back from its folder (what was written is what is reported). */
export function runSummary(outcome: RunOutcome): RunSummary {
  const config = readIfPresent<{ command?: string; versions?: Record<string, string | null> }>(outcome.dir, RUN_FILES.config);
  const status = readIfPresent<{ state?: string }>(outcome.dir, RUN_FILES.status);
  const timings = readIfPresent<{ elapsedMs?: unknown }>(outcome.dir, RUN_FILES.timings);
  return {
    command: config?.command ?? 'unknown',
    status: status?.state ?? 'unknown',
    dir: outcome.dir,
    report: outcome.report,
    table: outcome.table ?? null,
    lines: [...(outcome.lines ?? [])],
    figures: (outcome.figures ?? []).map((f) => f.href ?? `${RUN_FILES.figures}/${f.file}`),
    results: readIfPresent(outcome.dir, RUN_FILES.results),
    elapsedMs: typeof timings?.elapsedMs === 'number' ? timings.elapsedMs : null,
    versions: config?.versions ?? {},
  };
}

/**
 * Runs a command under --json/--quiet: `run` gets the Io of the mode; with --json the run's summary is
 * printed on stdout as one line of JSON once it returns.
 */
export async function withOutput(o: Record<string, unknown>, io: Io, run: (io: Io) => Promise<RunOutcome>): Promise<void> {
  const mode = outputMode(o);
  const outcome = await run(commandIo(io, mode));
  if (mode.json) io.print(JSON.stringify(runSummary(outcome)));
}
