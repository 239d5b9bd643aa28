/** A run: its folder, configuration record, figures, results and report. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { renderReport, type Figure, type ReportSection } from './report.js';
import { createRunDir, RUN_FILES, readJson, writeFileAtomic, writeJsonAtomic } from './runfolder.js';
import { collectVersions } from './versions.js';

export interface RunRecord<C = unknown> {
  command: string;
  startedAt: string;
  argv: string[];
  config: C;
  seeds: Record<string, unknown>;
  versions: Record<string, string | null>;
}

export class Run<C = unknown> {
  readonly figures: Figure[] = [];
  private constructor(
    readonly dir: string,
    readonly record: RunRecord<C>,
  ) {}

  /** New run folder under `out`; writes config.json. */
  static create<C>(
    out: string,
    command: string,
    config: C,
    seeds: Record<string, unknown>,
    argv: string[] = process.argv.slice(2),
  ): Run<C> {
    const dir = createRunDir(out, command);
    const record: RunRecord<C> = { command, startedAt: new Date().toISOString(), argv, config, seeds, versions: collectVersions() };
    writeJsonAtomic(join(dir, RUN_FILES.config), record);
    writeJsonAtomic(join(dir, RUN_FILES.status), { state: 'running', updatedAt: record.startedAt });
    return new Run(dir, record);
  }

  /**
   * Reopen an existing run folder (for --resume). `checkConfig` throws (a message without the file name)
   * when the stored configuration lacks a field the command needs; every error names config.json.
   */
  static open<C>(dir: string, command: string, checkConfig: (config: Record<string, unknown>) => void = () => {}): Run<C> {
    const abs = resolve(dir);
    if (existsSync(abs) && !statSync(abs).isDirectory()) throw new Error(`--resume: ${dir} is not a run folder (not a directory)`);
    const cfg = join(abs, RUN_FILES.config);
    if (!existsSync(cfg)) throw new Error(`--resume: ${dir} is not a run folder (no ${RUN_FILES.config})`);
    const record = readJson<RunRecord<C>>(cfg);
    const bad = (why: string) => new Error(`--resume: ${cfg} is not a usable run record: ${why}`);
    if (!isObject(record)) throw bad(`expected a JSON object, got ${JSON.stringify(record)?.slice(0, 40)}`);
    if (typeof record.command !== 'string') throw bad("no 'command'");
    if (record.command !== command) {
      throw new Error(`--resume: ${dir} is a '${record.command}' run, not '${command}' (${cfg})`);
    }
    if (!isObject(record.config)) throw bad("no 'config' object");
    try {
      checkConfig(record.config);
    } catch (e) {
      throw bad((e as Error).message);
    }
    record.argv = Array.isArray(record.argv) ? record.argv : [];
    record.seeds = isObject(record.seeds) ? record.seeds : {};
    record.versions = isObject(record.versions) ? record.versions : {};
    record.startedAt = typeof record.startedAt === 'string' ? record.startedAt : 'unknown';
    return new Run(abs, record);
  }

  /**
   * Elapsed time recorded by earlier invocations (status.json). The status file is bookkeeping only: when
   * it is missing, unreadable or corrupt, `note` names it and the elapsed time restarts at 0.
   */
  previousElapsedMs(note: (line: string) => void): number {
    const file = this.path(RUN_FILES.status);
    if (!existsSync(file)) return 0;
    try {
      const status = readJson<{ elapsedMs?: unknown }>(file);
      const ms = isObject(status) ? status.elapsedMs : undefined;
      if (ms === undefined) return 0;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new Error(`${file}: elapsedMs is ${JSON.stringify(ms)}`);
      return ms;
    } catch (e) {
      note(`ignoring ${RUN_FILES.status}: ${(e as Error).message} (the elapsed time restarts at 0)`);
      return 0;
    }
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  writeJson(name: string, value: unknown): void {
    writeJsonAtomic(this.path(name), value);
  }

  addFigure(fig: Figure): void {
    writeFileAtomic(this.path(RUN_FILES.figures, fig.file), fig.svg);
    this.figures.push(fig);
  }

  setStatus(state: 'running' | 'complete' | 'interrupted' | 'failed', extra: Record<string, unknown> = {}): void {
    this.writeJson(RUN_FILES.status, { state, updatedAt: new Date().toISOString(), ...extra });
  }

  /** Write report.html and mark the run complete; returns the report's path. */
  finish(title: string, sections: ReportSection[], summary?: string): string {
    const files = listFiles(this.dir).filter((f) => f !== RUN_FILES.report && !f.includes('.tmp-'));
    const html = renderReport({
      title,
      command: this.record.command,
      startedAt: this.record.startedAt,
      config: { config: this.record.config, seeds: this.record.seeds, argv: this.record.argv },
      versions: this.record.versions,
      sections,
      summary,
      files: [...files, RUN_FILES.report].sort(),
    });
    const report = this.path(RUN_FILES.report);
    writeFileAtomic(report, html);
    this.setStatus('complete');
    return report;
  }
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p));
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
