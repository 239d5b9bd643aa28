// Initializer: sample SII poles for a solver and step, build the MLP weights, and show the Jacobian
// eigenvalues at the origin (float64) on top of the sampled poles, beside the baseline (He) init.

import type { Complex } from '@sii/linalg';
import { type ActivationName, heInit, type MlpSpec, siiInit, solverStability, verify } from '@sii/init';
import { stabilityAbs, stabilityBoundary, tableauNames } from '@sii/rk';
import { appendTwoColumns, el, formatComplex, formatNumber, mountSectionHeader, PlanePlot } from './plot.js';

const ACTIVATIONS: ActivationName[] = ['elu', 'tanh', 'silu', 'gelu', 'softplus', 'selu', 'none'];
const SII_COLOR = '#1f77b4';
const BASE_COLOR = '#e07b00';

/** Pair every target with a distinct nearest eigenvalue (greedy); returns the largest distance. */
export function maxMatchDistance(targets: readonly Complex[], found: readonly Complex[]): number {
  const free = found.map((z) => ({ ...z, used: false }));
  let worst = 0;
  for (const t of targets) {
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    free.forEach((z, k) => {
      if (z.used) return;
      const d = Math.hypot(z.re - t.re, z.im - t.im);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    });
    if (best < 0) return Number.POSITIVE_INFINITY;
    free[best]!.used = true;
    worst = Math.max(worst, bestD);
  }
  return worst;
}

function numberInput(id: string, value: number, attrs: Record<string, string | number> = {}): HTMLInputElement {
  return el('input', { type: 'number', id, value, ...attrs });
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
    'origin has exactly these eigenvalues. Circles: sampled poles; crosses: eigenvalues of ∂f/∂x(0) of the SII network ' +
    '(they must sit on the circles); triangles: the baseline (PyTorch default / “He”) initialization.',
  );
  const { left, right } = appendTwoColumns(root);
  const plot = new PlanePlot(left, {
    width: 560,
    height: 560,
    view: { reMin: -3.6, reMax: 1.4, imMin: -3.5, imMax: 3.5 },
    label: 'SII poles and Jacobian eigenvalues in the hλ plane',
  });

  const solver = select('init-solver', tableauNames(), 'midpoint');
  const h = numberInput('init-h', 0.1, { min: 0.001, step: 0.01 });
  const states = numberInput('init-states', 8, { min: 1, max: 64, step: 1 });
  const inputs = numberInput('init-inputs', 1, { min: 0, max: 8, step: 1 });
  const hidden = numberInput('init-hidden', 32, { min: 1, max: 256, step: 1 });
  const layers = numberInput('init-layers', 3, { min: 1, max: 6, step: 1 });
  const activation = select('init-activation', ACTIVATIONS, 'elu');
  const complexPoles = el('input', { type: 'checkbox', id: 'init-complex', checked: true });
  const preset = select('init-preset', ['default', 'reference'], 'default');
  const eps = numberInput('init-eps', -0.01, { step: 0.01, max: 0 });
  const seed = numberInput('init-seed', 1, { step: 1 });
  const button = el('button', { type: 'button', id: 'sample-poles', class: 'primary', text: 'Sample poles' });
  const error = el('div', { class: 'error' });
  const summary = el('div', { class: 'summary', 'data-testid': 'init-summary' });
  const list = el('table', { class: 'results' });
  const row = (label: string, input: HTMLElement) => el('label', { class: 'row' }, `${label} `, input);
  right.append(
    el('fieldset', {}, el('legend', { text: 'Model and solver' }),
      row('solver', solver), row('h', h), row('states n', states), row('inputs m', inputs), row('hidden H', hidden),
      row('layers L', layers), row('activation', activation), row('complex poles', complexPoles), row('preset', preset),
      row('ε (margin)', eps), row('seed', seed), button, error),
    summary,
    list,
  );

  function run(): void {
    error.textContent = '';
    try {
      const spec: MlpSpec = {
        states: Number(states.value),
        inputs: Number(inputs.value),
        hidden: Number(hidden.value),
        layers: Number(layers.value),
        activation: activation.value as ActivationName,
      };
      const step = Number(h.value);
      const sii = siiInit({
        ...spec,
        solver: solver.value,
        h: step,
        complex: complexPoles.checked,
        eps: Number(eps.value),
        preset: preset.value as 'default' | 'reference',
        seed: Number(seed.value),
      });
      const checkSii = verify(spec, sii, { solver: solver.value, h: step });
      const base = heInit(spec, `he-${seed.value}`);
      const checkBase = verify(spec, base, { solver: solver.value, h: step });
      draw(solverStability(solver.value), sii.hLambda, checkSii.hLambda, checkBase.hLambda);
      const mismatch = maxMatchDistance(sii.poles, checkSii.poles);
      const siiInside = checkSii.inside.filter(Boolean).length;
      const baseInside = checkBase.inside.filter(Boolean).length;
      Object.assign(root.dataset, {
        state: 'sampled',
        poles: String(sii.poles.length),
        maxMismatch: String(mismatch),
        siiInside: String(siiInside),
        baselineInside: String(baseInside),
        baselineCount: String(checkBase.poles.length),
      });
      summary.replaceChildren(
        el('p', {}, el('b', { text: `${sii.poles.length} poles` }), ` sampled for ${solver.value}, h = ${formatNumber(step)}.`),
        el('p', { text: `SII: ${siiInside}/${checkSii.poles.length} eigenvalues of ∂f/∂x(0) inside the region; largest |eig − pole| = ${formatNumber(mismatch, 2)}.` }),
        el('p', { text: `Baseline: ${baseInside}/${checkBase.poles.length} inside; spectral abscissa max Re λ = ${formatNumber(Math.max(...checkBase.poles.map((p) => p.re)), 3)}.` }),
      );
      list.replaceChildren(
        el('thead', {}, el('tr', {}, el('th', { text: 'sampled λ' }), el('th', { text: 'SII eig' }), el('th', { text: 'He eig' }))),
        el('tbody', {}, ...sii.poles.map((p, k) =>
          el('tr', {},
            el('td', { text: formatComplex(p) }),
            el('td', { text: checkSii.poles[k] ? formatComplex(checkSii.poles[k]!) : '' }),
            el('td', { text: checkBase.poles[k] ? formatComplex(checkBase.poles[k]!) : '' })))),
      );
    } catch (e) {
      error.textContent = (e as Error).message;
      root.dataset.state = 'error';
    }
  }

  function draw(R: Float64Array, target: Complex[], siiEig: Complex[], baseEig: Complex[]): void {
    plot.fill([{ inside: (re, im) => stabilityAbs(R, re, im) <= 1, rgba: [31, 119, 180, 0.18] }]);
    plot.curves.replaceChildren();
    for (const line of stabilityBoundary(R, { points: 720 })) plot.polyline(line, { stroke: SII_COLOR, 'stroke-width': 2 });
    plot.markers.replaceChildren();
    for (const z of target) {
      plot.marker(z, 'circle', 'none', { stroke: SII_COLOR, 'stroke-width': 2, class: 'target' }, 8);
    }
    for (const z of siiEig) plot.marker(z, 'cross', SII_COLOR, { class: 'sii-eig' }, 5);
    for (const z of baseEig) plot.marker(z, 'triangle', BASE_COLOR, { class: 'base-eig' }, 5);
    const legend = [
      ['○', SII_COLOR, 'sampled SII poles hλ'],
      ['×', SII_COLOR, 'eig ∂f/∂x(0)·h, SII network'],
      ['△', BASE_COLOR, 'eig ∂f/∂x(0)·h, baseline'],
    ] as const;
    legend.forEach(([sym, color, text], k) => {
      const t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      t.setAttribute('x', '10');
      t.setAttribute('y', String(plot.height - 60 + k * 18));
      t.setAttribute('class', 'legend');
      t.setAttribute('fill', color);
      t.textContent = `${sym} ${text}`;
      plot.markers.appendChild(t);
    });
  }

  button.addEventListener('click', run);
  root.dataset.state = 'ready';
}
