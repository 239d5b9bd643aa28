/** A run: its folder, configuration record, figures, results and report. */
import { existsSync, readdirSync } from 'node:fs';
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
  static create<C>(out: string, command: string, config: C, seeds: Record<string, unknown>, argv: string[] = process.argv.slice(2)): Run<C> {
    const dir = createRunDir(out, command);
    const record: RunRecord<C> = { command, startedAt: new Date().toISOString(), argv, config, seeds, versions: collectVersions() };
    writeJsonAtomic(join(dir, RUN_FILES.config), record);
    writeJsonAtomic(join(dir, RUN_FILES.status), { state: 'running', updatedAt: record.startedAt });
    return new Run(dir, record);
  }

  /** Reopen an existing run folder (for --resume). */
  static open<C>(dir: string, command: string): Run<C> {
    const abs = resolve(dir);
    const cfg = join(abs, RUN_FILES.config);
    if (!existsSync(cfg)) throw new Error(`--resume: ${dir} is not a run folder (no ${RUN_FILES.config})`);
    const record = readJson<RunRecord<C>>(cfg);
    if (record.command !== command) {
      throw new Error(`--resume: ${dir} is a '${record.command}' run, not '${command}'`);
    }
    return new Run(abs, record);
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

  setStatus(state: 'running' | 'complete' | 'interrupted', extra: Record<string, unknown> = {}): void {
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
