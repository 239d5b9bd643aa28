/** `sii stability`: stability intervals of every registered tableau and the nested-regions figure. */
import { formatStabilityTable, getTableau, type StabilityRow, stabilityPolynomial, stabilityTable, tableauNames } from '@sii/rk';

export type { StabilityRow };
import { regionsChart } from '../charts.js';
import { readPolesFile } from '../polesfile.js';
import { regionCurves } from '../regions.js';
import { textTable } from '../report.js';
import { Run } from '../run.js';
import type { CommandResult, CommonOptions, Io } from './common.js';

export interface StabilityOptions extends Pick<CommonOptions, 'out'> {
  /** Methods whose regions are drawn (default euler, midpoint, kutta3, rk4). */
  methods: string[];
  /** File of poles λ to mark (plotted as h·λ). */
  poles?: string;
  /** Step multiplying the poles of --poles (default 1: the file holds hλ). */
  h: number;
}

export function stabilityRows(): StabilityRow[] {
  return stabilityTable(tableauNames());
}

/** 10 significant digits, as in the method spec's reference figures. */
export function sig10(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(10) : String(x);
}

export async function stabilityFigure(
  methods: readonly string[],
  poles: { re: number; im: number }[] = [],
  title?: string,
): Promise<string> {
  return regionsChart({
    regions: regionCurves(methods),
    poles: poles.map((p) => ({ ...p, group: 'hλ' })),
    title: title ?? `Stability regions |R(hλ)| ≤ 1: ${methods.join(', ')}`,
  });
}

export async function stabilityCommand(opts: StabilityOptions, io: Io): Promise<CommandResult> {
  for (const m of opts.methods) getTableau(m); // unknown names fail early with the list of known ones
  const poles = opts.poles ? readPolesFile(opts.poles).map((p) => ({ re: p.re * opts.h, im: p.im * opts.h })) : [];
  const run = Run.create(opts.out, 'stability', { methods: opts.methods, poles: opts.poles ?? null, h: opts.h }, {});
  const rows = stabilityRows();
  const polynomials = Object.fromEntries(tableauNames().map((n) => [n, Array.from(stabilityPolynomial(getTableau(n)))]));
  run.writeJson('results.json', { table: rows, polynomials, poles: poles.length ? poles : undefined });
  const svg = await stabilityFigure(opts.methods, poles);
  run.addFigure({
    file: 'stability-regions.svg',
    svg,
    caption: `Nested stability regions of ${opts.methods.join(', ')} in the hλ plane${poles.length ? `, poles from ${opts.poles} (×h = ${opts.h}) marked` : ''}.`,
  });
  const table = {
    head: ['method', 'stages', 'order', 'real interval', 'imaginary interval'],
    rows: rows.map((r) => [r.name, String(r.stages), String(r.order), sig10(r.realInterval), sig10(r.imagInterval)]),
  };
  const report = run.finish('Stability of explicit Runge–Kutta methods', [
    {
      title: 'Stability intervals',
      text: 'Largest L with [−L, 0] inside |R(z)| ≤ 1 (real) and largest M with i[−M, M] inside it (imaginary), for every registered tableau.',
      table,
      pre: formatStabilityTable(stabilityTable(tableauNames())),
    },
    { title: 'Stability regions', figures: run.figures },
  ]);
  io.print(textTable(table));
  io.print(`report: ${report}`);
  return { dir: run.dir, report, figures: run.figures, table };
}
