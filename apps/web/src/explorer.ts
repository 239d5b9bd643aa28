// Stability explorer: regions |R(z)| ≤ 1 of explicit Runge–Kutta methods in the hλ plane, |R| read-out
// under the pointer, poles λ that can be typed, added by a click and dragged, and the largest stable step.

import type { Complex } from '@sii/linalg';
import { getTableau, imaginaryStabilityInterval, realStabilityInterval, regionsSvg, stabilityAbs, tableauNames } from '@sii/rk';
import { complexToInput, parseComplexList } from './complex-input.js';
import { type NumberLimits, readNumber } from './number-input.js';
import { MAX_POLES, type PoleAnalysisReply, type PoleAnalysisRequest } from './pole-analysis.js';
import {
  appendTwoColumns,
  drawRegions,
  el,
  formatComplex,
  formatNumber,
  methodRegion,
  mountSectionHeader,
  PlanePlot,
  type Point,
} from './plot.js';

interface MethodInfo {
  name: string;
  color: string;
  R: Float64Array;
  stages: number;
  order: number;
  realInterval: number;
  imagInterval: number;
}

const DEFAULT_SHOWN = ['euler', 'midpoint', 'kutta3', 'rk4', 'dopri5'];
/** A typed step h: positive and finite (the slider spans 1e-3 … 1). */
const H_LIMITS: NumberLimits = { label: 'h', min: 0, max: 1e6, minExclusive: true };
/** Figure 1 of the paper in spirit: a complex pair outside Euler's disk but inside RK4's region. */
const DEFAULT_POLES: Point[] = [
  { re: -5, im: 20 },
  { re: -25, im: 0 },
];

export interface ExplorerHandle {
  methods: Map<string, MethodInfo>;
}

export function mountExplorer(root: HTMLElement): ExplorerHandle {
  const methods = new Map<string, MethodInfo>();
  tableauNames().forEach((name) => {
    const t = getTableau(name);
    // colour and polynomial from @sii/rk's palette and regions (the boundary is computed when first drawn)
    const R = methodRegion(name).R;
    methods.set(name, {
      name,
      color: methodRegion(name).color,
      R,
      stages: t.stages,
      order: t.order,
      realInterval: realStabilityInterval(R),
      imagInterval: imaginaryStabilityInterval(R),
    });
  });
  const shown = new Set(DEFAULT_SHOWN.filter((n) => methods.has(n)));
  let active = methods.has('rk4') ? 'rk4' : [...methods.keys()][0];
  let h = 0.1;
  let poles: Point[] = DEFAULT_POLES.map((p) => ({ ...p }));

  mountSectionHeader(
    root,
    '1 · Stability explorer',
    'Regions |R(hλ)| ≤ 1 of explicit Runge–Kutta methods. Hover to read |R(z)|; click the plane to add a pole λ = z/h ' +
      '(complex poles come with their conjugate), drag a pole to move it, double-click it to remove it. Change h and watch ' +
      'the poles slide along their rays from the origin.',
  );
  const { left, right } = appendTwoColumns(root);

  const plot = new PlanePlot(left, {
    width: 560,
    height: 600,
    view: { reMin: -5, reMax: 1.5, imMin: -3.75, imMax: 3.75 },
    label: 'stability regions in the hλ plane',
  });
  const readout = el('div', { class: 'readout', 'data-testid': 'explorer-readout', text: 'Move the pointer over the plane.' });
  left.append(readout);

  // --- method list ---------------------------------------------------------------------------------
  const methodList = el('fieldset', { class: 'methods' }, el('legend', { text: 'Methods (show · fill)' }));
  for (const m of methods.values()) {
    const show = el('input', { type: 'checkbox', 'data-method': m.name, checked: shown.has(m.name) });
    const fill = el('input', { type: 'radio', name: 'explorer-active', value: m.name, checked: m.name === active, title: 'highlight' });
    show.addEventListener('change', () => {
      if (show.checked) shown.add(m.name);
      else shown.delete(m.name);
      redrawRegions();
      redrawPoles();
    });
    fill.addEventListener('change', () => {
      active = m.name;
      shown.add(m.name);
      show.checked = true;
      redrawRegions();
      redrawPoles();
    });
    const swatch = el('span', { class: 'swatch' });
    swatch.style.background = m.color;
    methodList.append(
      el('label', { class: 'method' }, show, fill, swatch, ` ${m.name} `, el('small', { text: `s=${m.stages}, p=${m.order}` })),
    );
  }
  right.append(methodList);

  // --- step and poles ------------------------------------------------------------------------------
  const hInput = el('input', { type: 'number', id: 'explorer-h', min: 0.0001, step: 0.01, value: h });
  const hSlider = el('input', { type: 'range', min: -3, max: 0, step: 0.01, value: Math.log10(h), 'aria-label': 'log10 h' });
  const polesInput = el('input', { type: 'text', id: 'explorer-poles', value: poles.map(complexToInput).join(', '), size: 28 });
  const hError = el('div', { class: 'error', id: 'explorer-h-error', role: 'alert' });
  const polesError = el('div', { class: 'error', id: 'explorer-poles-error', role: 'alert' });
  const fitButton = el('button', { type: 'button', id: 'explorer-fit-h', text: 'h ← largest stable step' });
  const clearButton = el('button', { type: 'button', text: 'clear poles' });
  right.append(
    el(
      'fieldset',
      {},
      el('legend', { text: 'Step h and poles λ' }),
      el('label', { class: 'row' }, 'h ', hInput, hSlider),
      hError,
      el('label', { class: 'row', title: `at most ${MAX_POLES} poles` }, 'λ ', polesInput),
      el('small', { text: `up to ${MAX_POLES} poles; a complex pole comes with its conjugate` }),
      polesError,
      el('div', { class: 'row' }, fitButton, clearButton),
    ),
  );
  const table = el('table', { class: 'results', 'data-testid': 'explorer-table' });
  right.append(table);
  const download = el('a', { href: '#', download: 'stability-regions.svg', text: 'download the regions as SVG (regionsSvg)' });
  right.append(el('p', {}, download));

  // --- largest stable steps, computed in a worker ---------------------------------------------------
  /** Bumped whenever the pole list changes; the worker's answers carry the version they are for. */
  let polesVersion = 0;
  /** hmax per method and pole (allPoles() order) for the current version. */
  let hmaxCache = new Map<string, Float64Array>();
  let inFlight = '';
  let analysisWorker: Worker | null = null;

  function polesChanged(): void {
    polesVersion++;
    hmaxCache = new Map();
    inFlight = '';
  }

  function worker(): Worker {
    if (analysisWorker) return analysisWorker;
    const w = new Worker(new URL('./pole-analysis.worker.ts', import.meta.url), { type: 'module', name: 'sii-pole-analysis' });
    w.addEventListener('message', (ev: MessageEvent<PoleAnalysisReply>) => {
      const msg = ev.data;
      if (msg.version !== polesVersion) return; // an answer for poles that have changed since
      inFlight = '';
      if (msg.type === 'error') {
        polesError.textContent = `largest stable steps: ${msg.message}`;
        root.dataset.analysis = 'error';
        return;
      }
      for (const [name, hmax] of Object.entries(msg.hmax)) hmaxCache.set(name, hmax);
      redrawPoles();
    });
    w.addEventListener('error', (ev) => {
      polesError.textContent = `largest stable steps: the worker failed (${ev.message || 'could not load'})`;
      root.dataset.analysis = 'error';
    });
    analysisWorker = w;
    return w;
  }

  /** Methods whose largest stable steps are needed and not known yet (an empty list: all known). */
  function missingMethods(): string[] {
    return allPoles().length === 0 ? [] : [...new Set([...shown, active])].filter((n) => !hmaxCache.has(n));
  }

  /** Ask the worker for what is missing (once per pole version and method list). */
  function requestAnalysis(missing: string[]): void {
    const key = `${polesVersion}:${missing.join(',')}`;
    if (inFlight === key) return;
    inFlight = key;
    const req: PoleAnalysisRequest = {
      version: polesVersion,
      poles: allPoles(),
      methods: missing.map((name) => ({ name, R: Array.from(methods.get(name)!.R) })),
    };
    worker().postMessage(req);
  }

  /** Largest stable step of the method over all poles (Infinity without poles), or undefined while computing. */
  function methodMaxStep(name: string): number | undefined {
    if (allPoles().length === 0) return Number.POSITIVE_INFINITY;
    const a = hmaxCache.get(name);
    if (!a) return undefined;
    let m = Number.POSITIVE_INFINITY;
    for (const v of a) m = Math.min(m, v);
    return m;
  }

  /** Refuse a pole list longer than MAX_POLES with a visible message (the current poles stay). */
  function refusePoles(count: number): false {
    polesError.textContent = `λ: ${count} poles; the explorer takes at most ${MAX_POLES} (each complex pole is shown with its conjugate). The previous poles are kept.`;
    root.dataset.polesRefused = String(count);
    return false;
  }

  /** Replace the poles (typed, clicked, dragged or cleared); refuses more than MAX_POLES. */
  function setPoles(next: Point[]): boolean {
    if (next.length > MAX_POLES) return refusePoles(next.length);
    poles = next;
    polesError.textContent = '';
    delete root.dataset.polesRefused;
    polesChanged();
    return true;
  }

  function setH(value: number, from?: 'input' | 'slider'): void {
    if (!(value > 0) || !Number.isFinite(value)) return;
    h = value;
    if (from !== 'input') hInput.value = String(Number(value.toPrecision(4)));
    if (from !== 'slider') hSlider.value = String(Math.log10(value));
    redrawPoles();
  }
  hInput.addEventListener('input', () => {
    // A typed h that is not a positive number is refused with a message; the plot keeps the last h.
    try {
      setH(readNumber(hInput.value, H_LIMITS, hInput.validity.badInput), 'input');
      hError.textContent = '';
      hInput.removeAttribute('aria-invalid');
    } catch (e) {
      hError.textContent = (e as Error).message;
      hInput.setAttribute('aria-invalid', 'true');
    }
  });
  hSlider.addEventListener('input', () => setH(10 ** Number(hSlider.value), 'slider'));
  polesInput.addEventListener('change', () => {
    // Count the entries before parsing them: a huge list is refused as a whole, at once.
    const entries = polesInput.value.split(/[,;\n]+/).filter((t) => t.trim().length > 0).length;
    if (entries > MAX_POLES) {
      refusePoles(entries);
      return;
    }
    try {
      if (setPoles(parseComplexList(polesInput.value).map((p) => (p.im < 0 ? { re: p.re, im: -p.im } : p)))) redrawPoles();
    } catch (e) {
      polesError.textContent = (e as Error).message;
    }
  });
  fitButton.addEventListener('click', () => {
    const hmax = methodMaxStep(active);
    if (hmax !== undefined && Number.isFinite(hmax) && hmax > 0) setH(hmax * 0.999);
  });
  clearButton.addEventListener('click', () => {
    setPoles([]);
    syncPolesInput();
    redrawPoles();
  });
  download.addEventListener('click', () => {
    const svg = regionsSvg({
      methods: [...shown].map((n) => ({ name: n, R: methods.get(n)!.R, color: methods.get(n)!.color })),
      poles: allPoles().map((p) => ({ z: { re: p.re * h, im: p.im * h }, label: formatComplex(p) })),
      title: `Stability regions, h = ${formatNumber(h)}`,
    });
    download.href = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  });

  function syncPolesInput(): void {
    polesInput.value = poles.map(complexToInput).join(', ');
  }

  /** Every pole including conjugates (the stored list keeps im ≥ 0). */
  function allPoles(): Complex[] {
    const out: Complex[] = [];
    for (const p of poles) {
      out.push({ re: p.re, im: p.im });
      if (p.im !== 0) out.push({ re: p.re, im: -p.im });
    }
    return out;
  }

  // --- drawing ---------------------------------------------------------------------------------------
  function redrawRegions(): void {
    const order = [...shown].sort((a, b) => (a === active ? 1 : b === active ? -1 : 0));
    const { cells, polylines } = drawRegions(plot, order, {
      alpha: (n) => (n === active ? 0.28 : 0.1),
      width: (n) => (n === active ? 2.5 : 1.5),
    });
    // the legend lists the shown methods in menu order
    plot.legend(
      [...methods.keys()]
        .filter((n) => shown.has(n))
        .map((n) => ({ label: n === active ? `${n} (filled)` : n, color: methods.get(n)!.color })),
    );
    root.dataset.methods = order.join(',');
    root.dataset.active = active;
    root.dataset.filledCells = String(cells);
    root.dataset.boundaryPolylines = String(polylines);
  }

  /**
   * Draw the poles at once; the rays, their exit points and the table's largest stable steps come from
   * the worker (data-analysis: 'pending' until they are in, then 'done').
   */
  function redrawPoles(): void {
    plot.markers.replaceChildren();
    plot.trails.replaceChildren();
    const missing = missingMethods();
    if (missing.length > 0) requestAnalysis(missing);
    root.dataset.analysis = missing.length > 0 ? 'pending' : 'done';
    fitButton.disabled = missing.length > 0;
    const activeR = methods.get(active)!.R;
    const activeHmax = hmaxCache.get(active);
    let k = 0; // index in allPoles() order
    poles.forEach((p, index) => {
      for (const sign of p.im === 0 ? [1] : [1, -1]) {
        const lambda = { re: p.re, im: sign * p.im };
        const z = { re: h * lambda.re, im: h * lambda.im };
        const stable = stabilityAbs(activeR, z.re, z.im) <= 1;
        // Ray from the origin and the point where this pole leaves the active region.
        const hmax = activeHmax?.[k++];
        if (hmax !== undefined) {
          const far = Number.isFinite(hmax) ? Math.max(hmax, h) * 1.15 : h * 1.15;
          plot.polyline(
            [
              { re: 0, im: 0 },
              { re: far * lambda.re, im: far * lambda.im },
            ],
            { class: 'ray' },
            plot.trails,
          );
        }
        if (hmax !== undefined && Number.isFinite(hmax) && hmax > 0) {
          plot.marker({ re: hmax * lambda.re, im: hmax * lambda.im }, 'diamond', '#555', { class: 'hmax' }, 4, plot.trails);
        }
        const node = plot.marker(z, 'circle', stable ? '#2a9d4b' : '#d62728', { class: 'pole', 'data-index': index, 'data-sign': sign }, 7);
        node.style.cursor = 'grab';
        const title = svgTitle(
          `λ = ${formatComplex(lambda)}\nhλ = ${formatComplex(z)}\n|R| (${active}) = ${formatNumber(stabilityAbs(activeR, z.re, z.im), 4)}`,
        );
        node.appendChild(title);
      }
    });
    renderTable();
  }

  function svgTitle(text: string): SVGTitleElement {
    const t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    t.textContent = text;
    return t;
  }

  function renderTable(): void {
    const all = allPoles();
    table.replaceChildren(
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['method', 'real int.', 'imag int.', 'largest stable h', `stable at h = ${formatNumber(h)}`].map((t) => el('th', { text: t })),
        ),
      ),
    );
    const body = el('tbody');
    for (const n of shown) {
      const m = methods.get(n)!;
      const hmax = methodMaxStep(n);
      const unstable = all.filter((l) => stabilityAbs(m.R, h * l.re, h * l.im) > 1).length;
      const row = el(
        'tr',
        { 'data-method': n, 'data-unstable': unstable, class: n === active ? 'active' : '' },
        el('td', {}, n),
        el('td', { text: formatNumber(m.realInterval, 5) }),
        el('td', { text: formatNumber(m.imagInterval, 5) }),
        el('td', { text: !all.length ? '—' : hmax === undefined ? 'computing…' : formatNumber(hmax, 4) }),
        el('td', { class: unstable ? 'bad' : 'good', text: all.length ? (unstable ? `${unstable} pole(s) outside` : 'all inside') : '—' }),
      );
      if (hmax !== undefined) row.dataset.maxStep = String(hmax);
      body.append(row);
      if (n === active) {
        if (hmax !== undefined) root.dataset.maxStep = String(hmax);
        else delete root.dataset.maxStep;
      }
    }
    table.append(body);
    root.dataset.poles = String(all.length);
  }

  // --- pointer interaction -------------------------------------------------------------------------
  let drag: { index: number; sign: number; moved: boolean } | null = null;
  plot.svg.addEventListener('pointermove', (ev) => {
    const z = plot.clientToComplex(ev.clientX, ev.clientY);
    showReadout(z);
    if (drag) {
      drag.moved = true;
      const snap = Math.abs(z.im) * plot.scale < 6 ? 0 : z.im;
      const next = poles.slice();
      next[drag.index] = { re: z.re / h, im: Math.abs(snap / h) };
      setPoles(next);
      syncPolesInput();
      redrawPoles();
    }
  });
  plot.svg.addEventListener('pointerdown', (ev) => {
    const target = ev.target as Element;
    if (target.classList.contains('pole')) {
      drag = { index: Number(target.getAttribute('data-index')), sign: Number(target.getAttribute('data-sign')), moved: false };
      plot.svg.setPointerCapture(ev.pointerId);
      ev.preventDefault();
    }
  });
  plot.svg.addEventListener('pointerup', (ev) => {
    if (drag) {
      drag = null;
      plot.svg.releasePointerCapture(ev.pointerId);
      return;
    }
    if (ev.button !== 0) return;
    const z = plot.clientToComplex(ev.clientX, ev.clientY);
    const im = Math.abs(z.im) * plot.scale < 6 ? 0 : Math.abs(z.im);
    if (!setPoles([...poles, { re: z.re / h, im: im / h }])) return;
    syncPolesInput();
    redrawPoles();
  });
  plot.svg.addEventListener('dblclick', (ev) => {
    const target = ev.target as Element;
    // The double click's own two clicks added nothing on a pole (pointerdown started a drag).
    if (target.classList.contains('pole')) {
      const next = poles.slice();
      next.splice(Number(target.getAttribute('data-index')), 1);
      setPoles(next);
      syncPolesInput();
      redrawPoles();
    }
  });

  function showReadout(z: Point): void {
    const parts = [...shown].map((n) => {
      const a = stabilityAbs(methods.get(n)!.R, z.re, z.im);
      return `${n}: ${formatNumber(a, 4)}${a <= 1 ? ' ✓' : ''}`;
    });
    const a = stabilityAbs(methods.get(active)!.R, z.re, z.im);
    readout.dataset.abs = String(a);
    readout.dataset.z = `${z.re},${z.im}`;
    readout.textContent = `z = hλ = ${formatComplex(z)} · |R(z)|  ${parts.join(' · ')}`;
  }

  redrawRegions();
  redrawPoles();
  root.dataset.state = 'ready';
  return { methods };
}
