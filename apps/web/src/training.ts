// Live training panel: a teacher–student run in a Web Worker (tfjs, WASM backend), SII and baseline
// students side by side; loss curves and pole trajectories update after every epoch.

import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import { INIT_COLORS } from '@sii/rk';
import {
  appendTwoColumns,
  drawRegions,
  el,
  formatNumber,
  LogChart,
  methodRegion,
  mountSectionHeader,
  PlanePlot,
  type Point,
} from './plot.js';
import { type NumberLimits, readNumberInputs } from './number-input.js';
import { DEFAULT_TRAIN_CONFIG, type FromWorker, type ModelProgress, type TrainConfig } from './protocol.js';

const SII_COLOR = INIT_COLORS.sii;
const BASE_COLOR = INIT_COLORS.baseline;
const TEACHER_COLOR = '#222';

/** Absolute URLs of the bundled .wasm files (the worker resolves nothing itself). */
export function wasmPaths(): Record<string, string> {
  const abs = (u: string) => new URL(u, document.baseURI).href;
  return {
    'tfjs-backend-wasm.wasm': abs(wasmUrl),
    'tfjs-backend-wasm-simd.wasm': abs(wasmSimdUrl),
    'tfjs-backend-wasm-threaded-simd.wasm': abs(wasmThreadedUrl),
  };
}

type State = 'idle' | 'invalid' | 'setting-up' | 'ready' | 'running' | 'paused' | 'done' | 'error';

type NumericKey = 'hidden' | 'layers' | 'lr' | 'epochs' | 'samples' | 'seed';

/** The numeric settings, their input step and the limits a run accepts (small, for the browser). */
export const TRAIN_LIMITS: Record<NumericKey, NumberLimits & { step: number }> = {
  hidden: { label: 'hidden H', min: 4, max: 256, integer: true, step: 1 },
  layers: { label: 'layers L', min: 2, max: 6, integer: true, step: 1 },
  lr: { label: 'learning rate', min: 0, max: 1, minExclusive: true, step: 0.001 },
  epochs: { label: 'epochs', min: 1, max: 1000, integer: true, step: 1 },
  samples: { label: 'samples', min: 50, max: 5000, integer: true, step: 10 },
  seed: { label: 'seed', min: 0, max: 2 ** 32 - 1, integer: true, step: 1 },
};

export function mountTraining(root: HTMLElement): void {
  mountSectionHeader(
    root,
    '3 · Live training',
    'A teacher network (SII-initialized, poles well inside the region, simulated in float64 with dopri5 under a noisy PWM ' +
      'input) produces a trajectory; two students learn it with one solver step per sample: one SII-initialized, one with ' +
      'the baseline init. Training runs in a Web Worker on TensorFlow.js with the WebAssembly backend.',
  );
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG };
  const controls = el('fieldset', { class: 'inline' }, el('legend', { text: 'Settings (small, for the browser)' }));
  const inputs: Partial<Record<keyof TrainConfig, HTMLInputElement | HTMLSelectElement>> = {};
  const numericFields = {} as Record<NumericKey, { input: HTMLInputElement; limits: NumberLimits }>;
  for (const [key, limits] of Object.entries(TRAIN_LIMITS) as [NumericKey, (typeof TRAIN_LIMITS)[NumericKey]][]) {
    const input = el('input', {
      type: 'number',
      id: `train-${key}`,
      value: String(cfg[key]),
      step: limits.step,
      min: limits.min,
      max: limits.max,
    });
    inputs[key] = input;
    numericFields[key] = { input, limits };
    controls.append(el('label', { class: 'row' }, `${limits.label} `, input));
  }
  const teacher = el(
    'select',
    { id: 'train-teacher' },
    el('option', { value: 'incl', text: 'incl: teacher poles inside Euler region', selected: true }),
    el('option', { value: 'excl', text: 'excl: teacher poles outside RK4 region' }),
  );
  const backend = el(
    'select',
    { id: 'train-backend' },
    el('option', { value: 'wasm', text: 'wasm', selected: true }),
    el('option', { value: 'cpu', text: 'cpu (plain JS)' }),
  );
  inputs.teacher = teacher;
  inputs.backend = backend;
  controls.append(el('label', { class: 'row' }, 'teacher ', teacher), el('label', { class: 'row' }, 'backend ', backend));

  const start = el('button', { type: 'button', id: 'train-start', class: 'primary', text: 'Start' });
  const pause = el('button', { type: 'button', id: 'train-pause', text: 'Pause', disabled: true });
  const reset = el('button', { type: 'button', id: 'train-reset', text: 'Reset' });
  const status = el('div', {
    class: 'status',
    'data-testid': 'train-status',
    text: 'Press Start: the worker builds the teacher data and both students.',
  });
  const invalid = el('div', { class: 'error', id: 'train-invalid', role: 'alert' });
  root.append(controls, el('div', { class: 'row buttons' }, start, pause, reset), status, invalid);

  const { left, right } = appendTwoColumns(root, 'plot-col');
  left.append(el('h3', { text: 'Training loss (MSE, log scale)' }));
  const lossChart = new LogChart(left, 'epoch', 'MSE');
  left.append(el('h3', { text: 'Validation loss' }));
  const valChart = new LogChart(left, 'epoch', 'validation MSE');
  right.append(el('h3', { text: 'Poles hλ of ∂f/∂x(0) during training' }));
  const plane = new PlanePlot(right, {
    width: 560,
    height: 560,
    view: { reMin: -3.6, reMax: 1.1, imMin: -3.2, imMax: 3.2 },
    label: 'pole trajectories',
  });

  let worker: Worker | null = null;
  let state: State = 'idle';
  const history = { sii: [] as ModelProgress[], base: [] as ModelProgress[] };
  /** tf.memory().numTensors in the worker after each epoch (flat when nothing leaks). */
  let tensorCounts: number[] = [];
  let teacherHLambda: Point[] = [];

  function setState(s: State, text?: string): void {
    state = s;
    root.dataset.state = s;
    start.disabled = s === 'running' || s === 'setting-up' || s === 'done';
    pause.disabled = s !== 'running';
    start.textContent = s === 'paused' ? 'Resume' : 'Start';
    if (text !== undefined) status.textContent = text;
  }

  /** Read the settings into cfg; returns the messages of the fields that are not valid (cfg unchanged then). */
  function readConfig(): string[] {
    const { values, errors } = readNumberInputs(numericFields);
    if (errors.length > 0) return errors;
    Object.assign(cfg, values);
    cfg.teacher = teacher.value as TrainConfig['teacher'];
    cfg.backend = backend.value as TrainConfig['backend'];
    return [];
  }

  function drawRegion(): void {
    drawRegions(plane, [cfg.solver]);
  }

  function redraw(): void {
    const lossSii = history.sii.map((p) => p.loss);
    const lossBase = history.base.map((p) => p.loss);
    lossChart.draw([
      { name: 'SII', color: SII_COLOR, values: lossSii },
      { name: 'baseline', color: BASE_COLOR, values: lossBase },
    ]);
    valChart.draw([
      { name: 'SII', color: SII_COLOR, values: history.sii.map((p) => p.val) },
      { name: 'baseline', color: BASE_COLOR, values: history.base.map((p) => p.val) },
    ]);
    root.dataset.lossSii = JSON.stringify(lossSii);
    root.dataset.lossBaseline = JSON.stringify(lossBase);
    root.dataset.valSii = JSON.stringify(history.sii.map((p) => p.val));
    root.dataset.valBaseline = JSON.stringify(history.base.map((p) => p.val));
    root.dataset.epoch = String(Math.max(0, history.sii.length - 1));

    plane.trails.replaceChildren();
    plane.markers.replaceChildren();
    const last = history.sii.length - 1;
    for (const [key, color] of [
      ['sii', SII_COLOR],
      ['base', BASE_COLOR],
    ] as const) {
      history[key].forEach((p, k) => {
        if (k === last) return;
        const opacity = 0.15 + (0.5 * k) / Math.max(1, last);
        for (const z of p.hLambda) plane.marker(z, 'circle', color, { opacity, stroke: 'none' }, 2.2, plane.trails);
      });
      const now = history[key][last];
      if (now) for (const z of now.hLambda) plane.marker(z, key === 'sii' ? 'cross' : 'triangle', color, { class: `${key}-pole` }, 6);
    }
    // teacher poles as outlines, so they do not hide the students' markers or the region
    for (const z of teacherHLambda) {
      plane.marker(z, 'diamond', 'none', { class: 'teacher-pole', stroke: TEACHER_COLOR, 'stroke-width': 1.2 }, 6);
    }
    plane.legend(
      [
        { symbol: '◇', color: TEACHER_COLOR, label: 'teacher poles' },
        { symbol: '×', color: SII_COLOR, label: 'SII student (dots: history)' },
        { symbol: '△', color: BASE_COLOR, label: 'baseline student (dots: history)' },
        { color: methodRegion(cfg.solver).color, label: `${cfg.solver} region` },
      ],
      'bottom-left',
    );
  }

  function describe(epoch: number): string {
    const s = history.sii[history.sii.length - 1];
    const b = history.base[history.base.length - 1];
    if (!s || !b) return '';
    return `epoch ${epoch}/${cfg.epochs} · loss SII ${formatNumber(s.loss, 3)} (val ${formatNumber(s.val, 3)}) · baseline ${formatNumber(b.loss, 3)} (val ${formatNumber(b.val, 3)})`;
  }

  function onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'ready':
        root.dataset.backend = msg.backend;
        root.dataset.simd = String(msg.simd);
        teacherHLambda = msg.teacherHLambda;
        history.sii = [msg.sii];
        history.base = [msg.base];
        redraw();
        setState('running', `backend ${msg.backend}${msg.simd ? ' (SIMD)' : ''} · ${msg.windows} windows · ${describe(0)}`);
        worker?.postMessage({ type: 'start' });
        break;
      case 'epoch':
        history.sii.push(msg.sii);
        history.base.push(msg.base);
        redraw();
        if (state === 'running') status.textContent = `${describe(msg.epoch)} · ${formatNumber(msg.ms, 3)} ms/epoch`;
        tensorCounts.push(msg.tensors);
        root.dataset.tensors = JSON.stringify(tensorCounts);
        break;
      case 'paused':
        setState('paused', `paused at ${describe(msg.epoch)}`);
        break;
      case 'probe':
        root.dataset.workerEpoch = String(msg.epoch);
        root.dataset.workerHeld = String(msg.held);
        break;
      case 'done':
        setState('done', `finished: ${describe(msg.epoch)}`);
        break;
      case 'error':
        setState('error', `error: ${msg.message}`);
        root.dataset.error = msg.message;
        break;
    }
  }

  function createWorker(): Worker {
    const w = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'sii-train' });
    w.addEventListener('message', (ev: MessageEvent<FromWorker>) => onMessage(ev.data));
    w.addEventListener('error', (ev) => onMessage({ type: 'error', message: ev.message || 'worker failed to load' }));
    return w;
  }

  start.addEventListener('click', () => {
    if (state === 'paused' && worker) {
      setState('running', 'resuming…');
      worker.postMessage({ type: 'start' });
      return;
    }
    const errors = readConfig();
    invalid.textContent = errors.join('\n');
    if (errors.length > 0) {
      setState('invalid', 'Not started: fix the settings marked below.');
      return;
    }
    for (const i of Object.values(inputs)) i.disabled = true;
    drawRegion();
    setState('setting-up', 'setting up: teacher simulation (float64, dopri5) and tfjs backend…');
    worker = createWorker();
    worker.postMessage({ type: 'setup', config: { ...cfg }, wasmPaths: wasmPaths() });
  });
  pause.addEventListener('click', () => worker?.postMessage({ type: 'pause' }));
  // Page state for scripts and tests: ask the worker where it is (the answer lands in data-worker-*).
  root.addEventListener('sii:probe', () => {
    delete root.dataset.workerEpoch;
    delete root.dataset.workerHeld;
    worker?.postMessage({ type: 'probe' });
  });
  reset.addEventListener('click', () => {
    worker?.terminate();
    worker = null;
    history.sii = [];
    history.base = [];
    teacherHLambda = [];
    tensorCounts = [];
    delete root.dataset.tensors;
    for (const i of Object.values(inputs)) i.disabled = false;
    delete root.dataset.error;
    invalid.textContent = '';
    redraw();
    setState('idle', 'Reset. Press Start to train again (settings can be changed).');
  });

  drawRegion();
  redraw();
  setState('idle');
}
