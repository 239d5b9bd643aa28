/** Options and output shared by every command. */
import type { ProgressSink } from '../progress.js';
import type { Figure, Table } from '../report.js';

export interface CommonOptions {
  out: string;
  seed: number;
  progress: 'auto' | 'bar' | 'plain' | 'off';
  workers: number;
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
