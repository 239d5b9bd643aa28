// Initializer: sample SII poles for a solver and step, build the MLP weights, and show the Jacobian
// eigenvalues at the origin (float64) on top of the sampled poles, beside the baseline (He) init.

import type { Complex } from '@sii/linalg';
import type { SlopeCompensation } from '@sii/init';
import type { ActivationName } from '@sii/mlp';
import { INIT_COLORS, tableauNames } from '@sii/rk';
import {
  appendTwoColumns,
  drawRegions,
  el,
  formatComplex,
  formatNumber,
  methodRegion,
  mountSectionHeader,
  PlanePlot,
  type PlaneView,
} from './plot.js';
import { type NumberLimits, readNumberInputs } from './number-input.js';
import type { InitReply, InitRequest, InitResult } from './initializer-compute.js';

export { expectedPoleScale, maxMatchDistance } from './initializer-compute.js';

const ACTIVATIONS: ActivationName[] = ['elu', 'tanh', 'silu', 'gelu', 'softplus', 'selu', 'none'];
const SII_COLOR = INIT_COLORS.sii;
const BASE_COLOR = INIT_COLORS.baseline;

/** A square view centred on 0 that holds every point (with a margin), at least ±`min` wide. */
export function zoomView(points: readonly Complex[], min = 1e-3): PlaneView {
  const r = 1.25 * Math.max(min, ...points.map((z) => Math.max(Math.abs(z.re), Math.abs(z.im))));
  return { reMin: -r, reMax: r, imMin: -r, imMax: r };
}

/** siiInit's slope-compensation choices, each with what it does and what it did in our forecasting runs. */
export const COMPENSATION_CHOICES: readonly { value: SlopeCompensation; label: string; sentence: string }[] = [
  {
    value: 'none',
    label: 'none (authors’ code, default)',
    sentence:
      'eig ∂f/∂x(0) = λ·σ′(0)^(L−1) (λ for ELU and tanh, λ/4 for SiLU with L = 3); measured along forecasting ' +
      'trajectories with SiLU: no eigenvalue of h·J left the midpoint region and SII started near test MSE 1.',
  },
  {
    value: 'max',
    label: 'max (÷ sup|σ′|)',
    sentence:
      'hidden layers divided by the supremum slope: eig = λ·(σ′(0)/sup|σ′|)^(L−1), the same as none for ELU and tanh, ' +
      '0.207·λ for SiLU with L = 3; it kept every eigenvalue of h·J inside the midpoint region along forecasting trajectories.',
  },
  {
    value: 'exact',
    label: 'exact',
    sentence:
      'each neuron’s slope divided out, so eig = λ for any activation; with SiLU 8–16 % of h·J’s eigenvalues along ' +
      'forecasting trajectories left the midpoint region and models started with test MSE 1e6–1e10.',
  },
];

/**
 * Limits of the initializer's fields: at most 64 poles (n×n eigenvalue problems of n ≤ 64, H ≤ 256),
 * computed in a worker (a few seconds at the limits on a slow core).
 */
export const INIT_LIMITS = {
  h: { label: 'h', min: 0, max: 10, minExclusive: true },
  states: { label: 'states n', min: 1, max: 64, integer: true },
  inputs: { label: 'inputs m', min: 0, max: 8, integer: true },
  hidden: { label: 'hidden H', min: 1, max: 256, integer: true },
  layers: { label: 'layers L', min: 1, max: 6, integer: true },
  eps: { label: 'ε (margin)', min: -1, max: 0 },
  seed: { label: 'seed', min: 0, max: 2 ** 32 - 1, integer: true },
} satisfies Record<string, NumberLimits>;

function numberInput(id: string, value: number, limits: NumberLimits, step: number): HTMLInputElement {
  return el('input', { type: 'number', id, value, min: limits.min, max: limits.max, step });
}

function select(id: string, options: readonly string[], value: string): HTMLSelectElement {
  const s = el('select', { id });
  for (const o of options) s.append(el('option', { value: o, selected: o === value, text: o }));
  return s;
}

export function mountInitializer(root: HTMLElement): void {
  mountSectionHeader(
    root,
    '2 · Initializer',
    'SII samples poles z = hλ inside the solver’s region (|R(z)| < 1 + ε), then builds MLP weights whose Jacobian at the ' +
      'origin has these eigenvalues, scaled by the activation’s slope unless compensated (below). Circles: sampled poles; ' +
      'crosses: eigenvalues of ∂f/∂x(0) of the SII network (on the circles for ELU and tanh, or with exact compensation); ' +
      'triangles: the baseline (PyTorch default / “He”) initialization.',
  );
  const { left, right } = appendTwoColumns(root);
  const plot = new PlanePlot(left, {
    width: 560,
    height: 560,
    view: { reMin: -3.6, reMax: 1.4, imMin: -3.5, imMax: 3.5 },
    label: 'SII poles and Jacobian eigenvalues in the hλ plane',
  });
  // The baseline's eigenvalues (h·λ) sit within ~0.1 of the origin: a zoomed plot shows where.
  const zoomTitle = el('h3', { text: 'Zoom on the origin: baseline eigenvalues' });
  left.append(zoomTitle);
  const zoom = new PlanePlot(left, {
    width: 560,
    height: 300,
    view: { reMin: -0.2, reMax: 0.2, imMin: -0.1, imMax: 0.1 },
    label: 'baseline eigenvalues near the origin (zoomed)',
  });
  zoom.root.classList.add('zoom');

  const solver = select('init-solver', tableauNames(), 'midpoint');
  const h = numberInput('init-h', 0.1, INIT_LIMITS.h, 0.01);
  const states = numberInput('init-states', 8, INIT_LIMITS.states, 1);
  const inputs = numberInput('init-inputs', 1, INIT_LIMITS.inputs, 1);
  const hidden = numberInput('init-hidden', 32, INIT_LIMITS.hidden, 1);
  const layers = numberInput('init-layers', 3, INIT_LIMITS.layers, 1);
  const activation = select('init-activation', ACTIVATIONS, 'elu');
  const complexPoles = el('input', { type: 'checkbox', id: 'init-complex', checked: true });
  const compensationInputs = COMPENSATION_CHOICES.map((c) =>
    el('input', {
      type: 'radio',
      name: 'init-compensation',
      id: `init-compensation-${c.value}`,
      value: c.value,
      checked: c.value === 'none',
    }),
  );
  const compensationField = el(
    'fieldset',
    { id: 'init-compensation' },
    el('legend', { text: 'Activation-slope compensation' }),
    ...COMPENSATION_CHOICES.map((c, k) =>
      el(
        'label',
        { class: 'choice' },
        compensationInputs[k],
        el('span', {}, el('b', { text: c.label }), el('small', { text: c.sentence })),
      ),
    ),
  );
  const compensation = (): SlopeCompensation => (compensationInputs.find((i) => i.checked)?.value ?? 'none') as SlopeCompensation;
  const eps = numberInput('init-eps', -0.01, INIT_LIMITS.eps, 0.01);
  const seed = numberInput('init-seed', 1, INIT_LIMITS.seed, 1);
  const button = el('button', { type: 'button', id: 'sample-poles', class: 'primary', text: 'Sample poles' });
  const error = el('div', { class: 'error' });
  const summary = el('div', { class: 'summary', 'data-testid': 'init-summary' });
  const list = el('table', { class: 'results' });
  const row = (label: string, input: HTMLElement) => el('label', { class: 'row' }, `${label} `, input);
  right.append(
    el(
      'fieldset',
      {},
      el('legend', { text: 'Model and solver' }),
      row('solver', solver),
      row('h', h),
      row('states n', states),
      row('inputs m', inputs),
      row('hidden H', hidden),
      row('layers L', layers),
      row('activation', activation),
      row('complex poles', complexPoles),
      row('ε (margin)', eps),
      row('seed', seed),
      button,
      error,
    ),
    compensationField,
    summary,
    list,
  );

  function run(): void {
    error.textContent = '';
    const { values: v, errors } = readNumberInputs({
      h: { input: h, limits: INIT_LIMITS.h },
      states: { input: states, limits: INIT_LIMITS.states },
      inputs: { input: inputs, limits: INIT_LIMITS.inputs },
      hidden: { input: hidden, limits: INIT_LIMITS.hidden },
      layers: { input: layers, limits: INIT_LIMITS.layers },
      eps: { input: eps, limits: INIT_LIMITS.eps },
      seed: { input: seed, limits: INIT_LIMITS.seed },
    });
    if (errors.length > 0) {
      error.textContent = errors.join('\n');
      root.dataset.state = 'error';
      return;
    }
    const req: InitRequest = {
      id: ++requestId,
      spec: { states: v.states, inputs: v.inputs, hidden: v.hidden, layers: v.layers, activation: activation.value as ActivationName },
      solver: solver.value,
      h: v.h,
      complex: complexPoles.checked,
      eps: v.eps,
      compensation: compensation(),
      seed: v.seed,
    };
    latest = req;
    root.dataset.state = 'sampling';
    summary.replaceChildren(el('p', { text: `sampling ${req.spec.states} poles and computing the eigenvalues…` }));
    worker().postMessage(req);
  }

  let requestId = 0;
  let latest: InitRequest | null = null;
  let initWorker: Worker | null = null;

  function worker(): Worker {
    if (initWorker) return initWorker;
    const w = new Worker(new URL('./initializer.worker.ts', import.meta.url), { type: 'module', name: 'sii-initializer' });
    w.addEventListener('message', (ev: MessageEvent<InitReply>) => {
      const msg = ev.data;
      if (msg.id !== requestId) return; // an answer to an earlier click
      if (msg.type === 'error') {
        error.textContent = msg.message;
        summary.replaceChildren();
        root.dataset.state = 'error';
        return;
      }
      show(msg.result, latest!);
    });
    w.addEventListener('error', (ev) => {
      error.textContent = `the initializer worker failed (${ev.message || 'could not load'})`;
      root.dataset.state = 'error';
    });
    initWorker = w;
    return w;
  }

  /** Draw and describe one answer of the worker. */
  function show(r: InitResult, req: InitRequest): void {
    const solverName = req.solver;
    const step = req.h;
    draw(solverName, r.hLambda, r.sii.hLambda, r.base.hLambda);
    const { scale, mismatch } = r;
    Object.assign(root.dataset, {
      state: 'sampled',
      poles: String(r.poles.length),
      maxMismatch: String(mismatch),
      compensation: r.compensation,
      poleScale: String(scale),
      siiInside: String(r.sii.inside),
      baselineInside: String(r.base.inside),
      baselineCount: String(r.base.poles.length),
    });
    summary.replaceChildren(
      el('p', {}, el('b', { text: `${r.poles.length} poles` }), ` sampled for ${solverName}, h = ${formatNumber(step)}.`),
      el('p', {
        text:
          `SII (compensation ${r.compensation}): eig ∂f/∂x(0) ≈ ${formatNumber(scale, 3)}·λ; ${r.sii.inside}/${r.sii.poles.length} inside the region; ` +
          `largest |eig − ${formatNumber(scale, 3)}·λ| / |${formatNumber(scale, 3)}·λ| = ${formatNumber(mismatch, 2)}.`,
      }),
      el('p', {
        text: `Baseline: ${r.base.inside}/${r.base.poles.length} inside; spectral abscissa max Re λ = ${formatNumber(Math.max(...r.base.poles.map((p) => p.re)), 3)}.`,
      }),
    );
    list.replaceChildren(
      el('thead', {}, el('tr', {}, el('th', { text: 'sampled λ' }), el('th', { text: 'SII eig' }), el('th', { text: 'He eig' }))),
      el(
        'tbody',
        {},
        ...r.poles.map((p, k) =>
          el(
            'tr',
            {},
            el('td', { text: formatComplex(p) }),
            el('td', { text: r.sii.poles[k] ? formatComplex(r.sii.poles[k]) : '' }),
            el('td', { text: r.base.poles[k] ? formatComplex(r.base.poles[k]) : '' }),
          ),
        ),
      ),
    );
  }

  function draw(solverName: string, target: Complex[], siiEig: Complex[], baseEig: Complex[]): void {
    drawRegions(plot, [solverName], { alpha: () => 0.18, width: () => 2 });
    plot.markers.replaceChildren();
    for (const z of target) {
      plot.marker(z, 'circle', 'none', { stroke: SII_COLOR, 'stroke-width': 2, class: 'target' }, 8);
    }
    for (const z of siiEig) plot.marker(z, 'cross', SII_COLOR, { class: 'sii-eig' }, 5);
    for (const z of baseEig) plot.marker(z, 'triangle', BASE_COLOR, { class: 'base-eig' }, 5);
    plot.legend(
      [
        { symbol: '○', color: SII_COLOR, label: 'sampled SII poles hλ' },
        { symbol: '×', color: SII_COLOR, label: 'eig ∂f/∂x(0)·h, SII network' },
        { symbol: '△', color: BASE_COLOR, label: 'eig ∂f/∂x(0)·h, baseline' },
        { color: methodRegion(solverName).color, label: `${solverName} region` },
      ],
      'bottom-left',
    );
    // Zoom: square view around the baseline's eigenvalues, the region boundary for reference.
    const view = zoomView(baseEig);
    const w = view.reMax - view.reMin;
    zoom.setView({ ...view, reMin: view.reMin * (zoom.width / zoom.height), reMax: view.reMax * (zoom.width / zoom.height) });
    drawRegions(zoom, [solverName], { alpha: () => 0.18, width: () => 2 });
    zoom.markers.replaceChildren();
    for (const z of baseEig) {
      zoom.marker(z, 'triangle', BASE_COLOR, { class: `zoom-base-eig ${z.re > 0 ? 'unstable' : ''}` }, 5);
    }
    zoomTitle.textContent = `Zoom on the origin (±${formatNumber(w / 2, 2)}): baseline eigenvalues h·λ; ${baseEig.filter((z) => z.re > 0).length} with Re > 0`;
    root.dataset.zoomHalfWidth = String(w / 2);
  }

  button.addEventListener('click', run);
  root.dataset.state = 'ready';
}
