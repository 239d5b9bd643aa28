/** Options and output shared by every command. */
import type { ProgressSink } from '../progress.js';
import type { Figure, Table } from '../report.js';

export interface CommonOptions {
  out: string;
  seed: number;
  progress: 'auto' | 'bar' | 'plain' | 'off';
  workers: number;
  /** Stop at the first failed unit (teacher, student, arm) and exit non-zero. */
  failFast?: boolean;
}

/** The first line of each distinct error, for a one-line failure message. */
export function firstErrors(errors: readonly string[], max = 2): string {
  const lines = [...new Set(errors.map((e) => e.split('\n')[0]))];
  return lines.slice(0, max).join('; ') + (lines.length > max ? `; … (${lines.length - max} more)` : '');
}

export interface Io {
  /** Summary lines (stdout). */
  print(line: string): void;
  /** Notices (stderr). */
  note(line: string): void;
}

export const stdIo: Io = {
  print: (s) => process.stdout.write(`${s}\n`),
  note: (s) => process.stderr.write(`${s}\n`),
};

export interface CommandResult {
  dir: string;
  report: string;
  figures: Figure[];
  /** The summary table printed to the terminal. */
  table: Table;
  /** Extra summary lines printed after the table. */
  lines?: string[];
}

export const silentProgress: ProgressSink = {
  start() {},
  epoch() {},
  finish() {},
  log() {},
  stop() {},
};
