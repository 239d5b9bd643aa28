/**
 * `sii perturbation` (the paper's first figure, right): a linear system with a real pole and a
 * complex pair whose hλ lies outside the Euler disk |1 + z| ≤ 1 but inside RK4's region, simulated
 * from a small perturbation with euler and rk4 at the same h (float64, @sii/rk odeint, fixed step).
 */
import { cabs, complex, Rng } from '@sii/linalg';
import { getTableau, odeint, stabilityPolynomial, stabilityValue } from '@sii/rk';
import { lineChart, METHOD_COLORS, regionsChart } from '../charts.js';
import { linearRhs, linearSystem } from '../linear.js';
import { regionCurves, DEFAULT_REGION_METHODS } from '../regions.js';
import { sig, textTable } from '../report.js';
import { Run } from '../run.js';
import type { CommandResult, CommonOptions, Io } from './common.js';

export interface PerturbationConfig {
  h: number;
  /** hλ of the real pole. */
  zReal: number;
  /** hλ of the upper member of the complex pair (re, im > 0). */
  zComplex: [number, number];
  steps: number;
  amplitude: number;
  methods: string[];
  seed: number;
}

export const PERTURBATION_DEFAULTS: Omit<PerturbationConfig, 'seed'> = {
  h: 0.1,
  zReal: -0.5,
  zComplex: [-0.1, 0.45],
  steps: 100,
  amplitude: 0.01,
  methods: ['euler', 'rk4'],
};

export interface PerturbationSimulation {
  method: string;
  t: number[];
  /** States [steps + 1][n]. */
  y: number[][];
  /** ‖x_k‖₂. */
  norm: number[];
  /** |R(hλ)| of the complex pair and of the real pole for this method. */
  growthComplex: number;
  growthReal: number;
}

/** Poles λ (= z / h) of the system: the real one, then the complex pair. */
export function perturbationPoles(c: Pick<PerturbationConfig, 'h' | 'zReal' | 'zComplex'>): [number, number][] {
  const [re, im] = c.zComplex;
  return [
    [c.zReal / c.h, 0],
    [re / c.h, im / c.h],
    [re / c.h, -im / c.h],
  ];
}

export function simulatePerturbation(c: PerturbationConfig) {
  if (!(c.zComplex[1] > 0)) throw new RangeError(`--z-complex: the imaginary part must be > 0, got ${c.zComplex[1]}`);
  const poles = perturbationPoles(c);
  const { A, Q } = linearSystem(poles, new Rng(c.seed).fork('perturbation'));
  const f = linearRhs(A);
  const x0 = new Float64Array(3).fill(c.amplitude);
  const t = Float64Array.from({ length: c.steps + 1 }, (_, k) => k * c.h);
  const sims: PerturbationSimulation[] = c.methods.map((method) => {
    const sol = odeint(f, x0, t, { method, step: c.h });
    const y: number[][] = [];
    for (let k = 0; k < t.length; k++) y.push(Array.from(sol.y.subarray(k * 3, k * 3 + 3)));
    const R = stabilityPolynomial(getTableau(method));
    return {
      method,
      t: Array.from(t),
      y,
      norm: y.map((v) => Math.hypot(...v)),
      growthComplex: cabs(stabilityValue(R, complex(c.zComplex[0], c.zComplex[1]))),
      growthReal: cabs(stabilityValue(R, complex(c.zReal, 0))),
    };
  });
  return { poles, A, Q, x0, sims };
}

/** max ‖x‖ over the last tenth of the run divided by max ‖x‖ over the first tenth. */
export function amplitudeRatio(norm: readonly number[]): number {
  const k = Math.max(1, Math.floor(norm.length / 10));
  return Math.max(...norm.slice(-k)) / Math.max(...norm.slice(0, k));
}

export async function perturbationCommand(opts: PerturbationConfig & Pick<CommonOptions, 'out'>, io: Io): Promise<CommandResult> {
  const config: PerturbationConfig = {
    h: opts.h,
    zReal: opts.zReal,
    zComplex: opts.zComplex,
    steps: opts.steps,
    amplitude: opts.amplitude,
    methods: opts.methods,
    seed: opts.seed,
  };
  const sim = simulatePerturbation(config);
  const run = Run.create(opts.out, 'perturbation', config, { system: `${config.seed}/perturbation` });
  const rows = sim.sims.map((s) => ({
    method: s.method,
    growthComplex: s.growthComplex,
    growthReal: s.growthReal,
    amplitudeRatio: amplitudeRatio(s.norm),
    finalNorm: s.norm[s.norm.length - 1],
  }));
  run.writeJson('results.json', {
    poles: sim.poles,
    hLambda: sim.poles.map(([re, im]) => [re * config.h, im * config.h]),
    A: { rows: 3, cols: 3, data: Array.from(sim.A.data) },
    x0: Array.from(sim.x0),
    summary: rows,
    simulations: sim.sims,
  });
  const points = sim.sims.flatMap((s) =>
    s.y.flatMap((v, k) => v.map((x, i) => ({ x: s.t[k], y: x, series: `x${i + 1}`, panel: s.method }))),
  );
  run.addFigure({
    file: 'perturbation-response.svg',
    svg: await lineChart({
      points,
      xTitle: 't',
      yTitle: 'state',
      title: `Response to a perturbation of size ${config.amplitude}, h = ${config.h}`,
    }),
    caption: `States after a small perturbation, simulated with ${config.methods.join(' and ')} at h = ${config.h}. |R(hλ)| of the complex pair: ${rows.map((r) => `${r.method} ${sig(r.growthComplex, 5)}`).join(', ')} (> 1 grows, < 1 decays).`,
  });
  run.addFigure({
    file: 'perturbation-norm.svg',
    svg: await lineChart({
      points: sim.sims.flatMap((s) => s.norm.map((y, k) => ({ x: s.t[k], y: Math.max(y, 1e-300), series: s.method }))),
      xTitle: 't',
      yTitle: '‖x‖ (log)',
      logY: true,
      colors: METHOD_COLORS,
      title: 'Norm of the state',
    }),
    caption: 'Euclidean norm of the state (log scale) for each method.',
  });
  const hl = sim.poles.map(([re, im]) => ({ re: re * config.h, im: im * config.h, group: 'hλ' }));
  run.addFigure({
    file: 'perturbation-poles.svg',
    svg: await regionsChart({
      regions: regionCurves(DEFAULT_REGION_METHODS),
      poles: hl,
      title: 'Poles of the system (hλ) over the stability regions',
    }),
    caption: `hλ of the system (×) over the regions of ${DEFAULT_REGION_METHODS.join(', ')}: the complex pair lies outside the Euler disk but inside RK4's region.`,
  });
  const table = {
    head: ['method', '|R(hλ)| pair', '|R(hλ)| real', 'end/start amplitude', 'final ‖x‖'],
    rows: rows.map((r) => [r.method, sig(r.growthComplex, 6), sig(r.growthReal, 6), sig(r.amplitudeRatio, 4), sig(r.finalNorm, 4)]),
  };
  const report = run.finish('Perturbation response: Euler vs RK4', [
    {
      title: 'Summary',
      text: `Linear system with poles hλ = ${config.zReal} and ${config.zComplex[0]} ± ${config.zComplex[1]}i (h = ${config.h}), started from x0 = ${config.amplitude}·(1, 1, 1).`,
      table,
    },
    { title: 'Figures', figures: run.figures },
  ]);
  io.print(textTable(table));
  io.print(`report: ${report}`);
  return { dir: run.dir, report, figures: run.figures, table };
}
