/**
 * `sii quickstart` (`pnpm start`): the stability figure, the perturbation figure and a small
 * teacher–student comparison, gathered in one report.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { interpretComparison, type ValCurves } from '../interpret.js';
import { type Figure, type ReportSection, textTable } from '../report.js';
import { Run } from '../run.js';
import { RUN_FILES } from '../runfolder.js';
import type { CommandResult, CommonOptions, Io } from './common.js';
import { PERTURBATION_DEFAULTS, perturbationCommand } from './perturbation.js';
import { stabilityCommand } from './stability.js';
import { stableSummary, type TeacherStudentConfig, teacherStudentCommand } from './teacherStudent.js';
import { DEFAULT_REGION_METHODS } from '../regions.js';

export interface QuickstartConfig {
  seed: number;
  teacherStudent: TeacherStudentConfig;
}

export async function quickstartCommand(
  /** `queue`, `attempts`, `backoffMs`: the teacher–student part runs on the queue (as `sii teacher-student --queue`). */
  opts: CommonOptions & { config: QuickstartConfig; queue?: string; attempts?: number; backoffMs?: number },
  io: Io,
): Promise<CommandResult> {
  const t0 = Date.now();
  const run = Run.create(opts.out, 'quickstart', opts.config, { seed: opts.config.seed });
  const sub = join(run.dir, 'runs');
  const quiet: Io = { print: () => {}, note: io.note };
  io.note('1/3 stability regions and intervals');
  const stab = await stabilityCommand({ out: sub, methods: [...DEFAULT_REGION_METHODS], h: 1 }, quiet);
  io.note('2/3 perturbation response (euler vs rk4)');
  const pert = await perturbationCommand({ ...PERTURBATION_DEFAULTS, seed: opts.seed, out: sub }, quiet);
  const ts = opts.config.teacherStudent;
  io.note(`3/3 teacher–student: ${ts.teachers} teachers × ${ts.inits.join(', ')}, ${ts.student.epochs} epochs (${ts.student.setting})`);
  const tsr = await teacherStudentCommand({ ...opts, out: sub, config: ts }, quiet);
  // Sub-runs live under runs/: their figures and reports are linked by paths relative to this report.
  const rel = (dir: string) => relative(run.dir, dir).split('\\').join('/');
  const linked = (dir: string, figures: Figure[]): Figure[] => figures.map((f) => ({ ...f, href: `${rel(dir)}/figures/${f.file}` }));
  const fullRun = (dir: string) => [{ label: `full run: ${rel(dir)}/report.html`, href: `${rel(dir)}/report.html` }];
  const sections: ReportSection[] = [
    {
      title: 'Teacher–student comparison',
      text: `${tsr.lines?.[0] ?? ''}.`,
      links: fullRun(tsr.dir),
      table: tsr.table,
      figures: linked(tsr.dir, tsr.figures),
    },
    { title: 'Stability regions', links: fullRun(stab.dir), figures: linked(stab.dir, stab.figures) },
    {
      title: 'Perturbation: Euler vs RK4 at the same h',
      table: pert.table,
      links: fullRun(pert.dir),
      figures: linked(pert.dir, pert.figures),
    },
    { title: 'Stability intervals', table: stab.table },
  ];
  // results.json: what the seed fixes; the elapsed time and the (timestamped) sub-run folders go to timings.json.
  run.writeJson(RUN_FILES.results, { teacherStudent: stableSummary(tsr.summary) });
  run.writeJson(RUN_FILES.timings, {
    elapsedMs: Date.now() - t0,
    runs: { stability: rel(stab.dir), perturbation: rel(pert.dir), teacherStudent: rel(tsr.dir) },
    teacherStudent: { elapsedMs: tsr.summary.elapsedMs, trainingWallMs: tsr.summary.trainingWallMs },
  });
  const curves = readFileSync(join(tsr.dir, RUN_FILES.lines), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ValCurves[number]);
  const report = run.finish('sii quickstart', sections, interpretComparison(tsr.summary, ts.student.epochs, curves));
  io.print(textTable(tsr.table));
  io.print(tsr.lines?.[0] ?? '');
  io.print(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  io.print(`report: ${report}`);
  // the figures as the report links them (in the sub-runs, relative to this run's folder)
  return { dir: run.dir, report, figures: sections.flatMap((s) => s.figures ?? []), table: tsr.table };
}
