/**
 * Figures as vega-lite specifications rendered to standalone SVG in Node (vega's headless
 * renderer, no canvas). Every function returns the SVG text.
 */
import { INIT_COLORS, methodColor } from '@sii/rk';
import { contours } from 'd3-contour';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type VlSpec = Record<string, unknown>;

/** Render a vega-lite spec to SVG. */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const vgSpec = compile(spec as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One palette for the project, defined in @sii/rk (the web demo and regionsSvg use the same). */
export { INIT_COLORS, METHOD_COLORS } from '@sii/rk';

export interface RegionCurve {
  /** Method name (legend entry). */
  name: string;
  /** Closed polylines of |R(z)| = 1 (e.g. from @sii/rk stabilityBoundary). */
  boundary: readonly { re: number; im: number }[][];
  color?: string;
}

export interface PolePoint {
  re: number;
  im: number;
  /** Legend group (e.g. 'poles', 'teacher', 'sii'). */
  group?: string;
}

export interface Range2 {
  x: [number, number];
  y: [number, number];
}

/** Axis settings for a quantitative axis: integer ticks (no 1.5 epochs) when every value is an integer. */
function countAxis(values: readonly number[]): VlSpec | undefined {
  return values.length > 0 && values.every(Number.isInteger) ? { tickMinStep: 1, format: 'd' } : undefined;
}

const BASE = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white' } as const;

function regionRows(regions: readonly RegionCurve[]) {
  const rows: { x: number; y: number; method: string; seg: string; k: number }[] = [];
  regions.forEach((r) => {
    r.boundary.forEach((curve, c) => {
      curve.forEach((p, k) => {
        rows.push({ x: p.re, y: p.im, method: r.name, seg: `${r.name}#${c}`, k });
      });
      // close the polyline
      if (curve.length > 0) rows.push({ x: curve[0].re, y: curve[0].im, method: r.name, seg: `${r.name}#${c}`, k: curve.length });
    });
  });
  return rows;
}

/** Vega-lite layers of filled, outlined stability regions (largest first so small ones sit on top). */
export function regionLayer(regions: readonly RegionCurve[], range: Range2): VlSpec {
  const names = regions.map((r) => r.name);
  const colors = regions.map((r) => r.color ?? methodColor(r.name));
  const scale = { domain: names, range: colors };
  const x = { field: 'x', type: 'quantitative', scale: { domain: range.x, nice: false }, title: 'Re(hλ)' };
  const y = { field: 'y', type: 'quantitative', scale: { domain: range.y, nice: false }, title: 'Im(hλ)' };
  return {
    data: { values: regionRows(regions) },
    layer: [
      {
        mark: { type: 'line', fillOpacity: 0.12, strokeOpacity: 0, clip: true },
        encoding: {
          x,
          y,
          detail: { field: 'seg' },
          order: { field: 'k', type: 'quantitative' },
          fill: { field: 'method', type: 'nominal', scale, legend: null },
        },
      },
      {
        mark: { type: 'line', strokeWidth: 1.5, clip: true },
        encoding: {
          x,
          y,
          detail: { field: 'seg' },
          order: { field: 'k', type: 'quantitative' },
          color: { field: 'method', type: 'nominal', scale, title: 'region' },
        },
      },
    ],
  };
}

const AXIS_LAYER = (range: Range2): VlSpec => ({
  data: {
    values: [
      { x: range.x[0], y: 0, x2: range.x[1], y2: 0 },
      { x: 0, y: range.y[0], x2: 0, y2: range.y[1] },
    ],
  },
  mark: { type: 'rule', color: '#999', strokeDash: [3, 3], clip: true },
  encoding: {
    x: { field: 'x', type: 'quantitative' },
    y: { field: 'y', type: 'quantitative' },
    x2: { field: 'x2' },
    y2: { field: 'y2' },
  },
});

/** Nested stability regions with optional poles (hλ) marked. */
export async function regionsChart(opts: {
  regions: readonly RegionCurve[];
  poles?: readonly PolePoint[];
  range?: Range2;
  title?: string;
  width?: number;
  height?: number;
}): Promise<string> {
  const range = opts.range ?? { x: [-3.2, 0.8], y: [-3.2, 3.2] };
  const layers: VlSpec[] = [regionLayer(opts.regions, range), AXIS_LAYER(range)];
  if (opts.poles && opts.poles.length > 0) {
    layers.push({
      data: { values: opts.poles.map((p) => ({ x: p.re, y: p.im, group: p.group ?? 'poles' })) },
      mark: { type: 'point', shape: 'cross', size: 110, filled: true, clip: true },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        y: { field: 'y', type: 'quantitative' },
        fill: { field: 'group', type: 'nominal', title: 'marked', scale: { range: ['black', '#7f3c8d', '#11a579'] } },
      },
    });
  }
  return renderSvg({
    ...BASE,
    title: opts.title ?? 'Stability regions |R(hλ)| ≤ 1',
    // equal aspect ratio so that circles stay circles
    width: opts.width ?? Math.round(((opts.height ?? 360) * (range.x[1] - range.x[0])) / (range.y[1] - range.y[0])),
    height: opts.height ?? 360,
    layer: layers,
    resolve: { scale: { fill: 'independent' } },
  });
}

export interface SeriesPoint {
  x: number;
  y: number;
  series: string;
  panel?: string;
}

/** Line chart, one line per series, optionally one panel per `panel` value. */
export async function lineChart(opts: {
  points: readonly SeriesPoint[];
  xTitle: string;
  yTitle: string;
  title?: string;
  logY?: boolean;
  width?: number;
  height?: number;
  colors?: Record<string, string>;
}): Promise<string> {
  const series = [...new Set(opts.points.map((p) => p.series))];
  const color: VlSpec = { field: 'series', type: 'nominal', title: null, scale: { domain: series } };
  if (opts.colors) (color.scale as VlSpec).range = series.map((s) => opts.colors?.[s] ?? '#888');
  const hasPanels = opts.points.some((p) => p.panel !== undefined);
  const unit: VlSpec = {
    mark: { type: 'line', strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xTitle, axis: countAxis(opts.points.map((p) => p.x)) },
      y: { field: 'y', type: 'quantitative', title: opts.yTitle, scale: opts.logY ? { type: 'log' } : { zero: false } },
      color,
    },
  };
  const data = { values: opts.points.map((p) => ({ ...p, panel: p.panel ?? '' })) };
  if (hasPanels) {
    return renderSvg({
      ...BASE,
      title: opts.title ?? '',
      data,
      facet: { column: { field: 'panel', type: 'nominal', title: null } },
      spec: { width: opts.width ?? 300, height: opts.height ?? 200, ...unit },
      resolve: { scale: { y: 'independent' } },
    });
  }
  return renderSvg({ ...BASE, title: opts.title ?? '', data, width: opts.width ?? 420, height: opts.height ?? 240, ...unit });
}

/** Log-spaced histogram per group, overlaid with transparency (log x axis). */
export async function logHistogram(opts: {
  values: readonly { value: number; group: string }[];
  bins?: number;
  xTitle: string;
  title?: string;
  colors?: Record<string, string>;
}): Promise<string> {
  const finite = opts.values.filter((v) => Number.isFinite(v.value) && v.value > 0);
  const groups = [...new Set(opts.values.map((v) => v.group))];
  const rows: { lo: number; hi: number; count: number; group: string }[] = [];
  if (finite.length > 0) {
    let lmin = Math.log10(Math.min(...finite.map((v) => v.value)));
    let lmax = Math.log10(Math.max(...finite.map((v) => v.value)));
    if (lmax - lmin < 1e-9) {
      lmin -= 0.5;
      lmax += 0.5;
    }
    const nb = opts.bins ?? Math.max(5, Math.min(30, Math.ceil(Math.sqrt(finite.length) * 2)));
    const w = (lmax - lmin) / nb;
    for (const g of groups) {
      const counts = new Array<number>(nb).fill(0);
      for (const v of finite) {
        if (v.group !== g) continue;
        counts[Math.min(nb - 1, Math.floor((Math.log10(v.value) - lmin) / w))]++;
      }
      counts.forEach((c, i) => {
        rows.push({ lo: 10 ** (lmin + i * w), hi: 10 ** (lmin + (i + 1) * w), count: c, group: g });
      });
    }
  }
  return renderSvg({
    ...BASE,
    title: opts.title ?? '',
    width: 420,
    height: 240,
    data: { values: rows },
    mark: { type: 'rect', opacity: 0.55, stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'lo', type: 'quantitative', scale: { type: 'log' }, title: opts.xTitle },
      x2: { field: 'hi' },
      y: { field: 'count', type: 'quantitative', title: 'teachers', stack: null, axis: { tickMinStep: 1, format: 'd' } },
      y2: { datum: 0 },
      color: {
        field: 'group',
        type: 'nominal',
        title: 'init',
        scale: { domain: groups, range: groups.map((g) => opts.colors?.[g] ?? INIT_COLORS[g] ?? '#888') },
      },
    },
  });
}

/** Median curve per group with an interquartile band (log y). */
export async function bandChart(opts: {
  rows: readonly { x: number; median: number; q1: number; q3: number; group: string }[];
  xTitle: string;
  yTitle: string;
  title?: string;
  colors?: Record<string, string>;
}): Promise<string> {
  const groups = [...new Set(opts.rows.map((r) => r.group))];
  const color = {
    field: 'group',
    type: 'nominal',
    title: 'init',
    scale: { domain: groups, range: groups.map((g) => opts.colors?.[g] ?? INIT_COLORS[g] ?? '#888') },
  };
  return renderSvg({
    ...BASE,
    title: opts.title ?? '',
    width: 420,
    height: 240,
    data: { values: opts.rows.filter((r) => r.q1 > 0 && r.q3 > 0 && r.median > 0) },
    layer: [
      {
        mark: { type: 'area', opacity: 0.2 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: opts.xTitle, axis: countAxis(opts.rows.map((r) => r.x)) },
          y: { field: 'q1', type: 'quantitative', scale: { type: 'log' }, title: opts.yTitle },
          y2: { field: 'q3' },
          color,
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'median', type: 'quantitative', scale: { type: 'log' } },
          color,
        },
      },
    ],
  });
}

/**
 * Trajectories of poles (hλ) over the regions: faint points for every recorded epoch, filled
 * circles at the end, open circles at the start; one panel per group.
 */
export async function poleTrajectoryChart(opts: {
  regions: readonly RegionCurve[];
  points: readonly { re: number; im: number; group: string; epoch: number; last: boolean }[];
  /** Reference points (e.g. teacher poles hλ), drawn as outline diamonds in a small panel of their own. */
  marks?: readonly { re: number; im: number }[];
  range: Range2;
  title?: string;
}): Promise<string> {
  const groups = [...new Set(opts.points.map((p) => p.group))];
  const height = 320;
  const width = Math.round((height * (opts.range.x[1] - opts.range.x[0])) / (opts.range.y[1] - opts.range.y[0]));
  // Reference points get their own smaller panel (left), so they do not hide the students' dots.
  const markPanel: VlSpec[] = opts.marks?.length
    ? [
        {
          title: 'teacher poles',
          width: Math.round(width * 0.6),
          height: Math.round(height * 0.6),
          layer: [
            regionLayer(opts.regions, opts.range),
            AXIS_LAYER(opts.range),
            {
              data: { values: opts.marks.map((p) => ({ x: p.re, y: p.im })) },
              mark: { type: 'point', shape: 'diamond', filled: false, size: 40, color: '#222', strokeWidth: 1, clip: true },
              encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
            },
          ],
        },
      ]
    : [];
  const panels = groups.map((g) => ({
    title: g,
    width,
    height,
    layer: [
      regionLayer(opts.regions, opts.range),
      AXIS_LAYER(opts.range),
      {
        data: { values: opts.points.filter((p) => p.group === g).map((p) => ({ x: p.re, y: p.im, epoch: p.epoch, last: p.last })) },
        mark: { type: 'circle', size: 10, clip: true },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          opacity: { field: 'epoch', type: 'quantitative', scale: { range: [0.15, 0.7] }, title: 'epoch' },
          color: { value: INIT_COLORS[g] ?? '#333' },
          size: { condition: { test: 'datum.last', value: 40 }, value: 10 },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  }));
  return renderSvg({ ...BASE, title: opts.title ?? '', hconcat: [...markPanel, ...panels] });
}

/**
 * Gaussian kernel density estimate on a grid (float64). Isotropic bandwidth, default 1/50 of the
 * x range: pole clouds are multi-modal (conjugate pairs, real poles), where rules like Scott's
 * over-smooth.
 */
export function kde2d(
  pts: readonly { x: number; y: number }[],
  range: Range2,
  nx = 80,
  ny = 128,
  bandwidth = (range.x[1] - range.x[0]) / 50,
): { values: Float64Array; nx: number; ny: number } {
  const n = pts.length;
  const values = new Float64Array(nx * ny);
  if (n === 0) return { values, nx, ny };
  const hx = bandwidth;
  const hy = bandwidth;
  for (let j = 0; j < ny; j++) {
    const gy = range.y[0] + ((j + 0.5) * (range.y[1] - range.y[0])) / ny;
    for (let i = 0; i < nx; i++) {
      const gx = range.x[0] + ((i + 0.5) * (range.x[1] - range.x[0])) / nx;
      let s = 0;
      for (const p of pts) s += Math.exp(-0.5 * (((gx - p.x) / hx) ** 2 + ((gy - p.y) / hy) ** 2));
      values[j * nx + i] = s / (n * 2 * Math.PI * hx * hy);
    }
  }
  return { values, nx, ny };
}

/**
 * Kernel-density contours of points (hλ) per panel over the regions, with reference points
 * (e.g. teacher poles) marked.
 */
export async function kdeChart(opts: {
  regions: readonly RegionCurve[];
  panels: readonly { name: string; points: readonly { re: number; im: number }[] }[];
  marks?: readonly { re: number; im: number }[];
  range: Range2;
  title?: string;
  levels?: number;
}): Promise<string> {
  const levels = opts.levels ?? 6;
  const panels = opts.panels.map((panel) => {
    const grid = kde2d(
      panel.points.map((p) => ({ x: p.re, y: p.im })),
      opts.range,
    );
    const max = Math.max(...grid.values);
    const thresholds = Array.from({ length: levels }, (_, k) => (max * (k + 1)) / (levels + 1));
    const rows: { x: number; y: number; ring: string; k: number; level: number }[] = [];
    if (max > 0) {
      const polys = contours().size([grid.nx, grid.ny]).thresholds(thresholds)(Array.from(grid.values));
      const sx = (opts.range.x[1] - opts.range.x[0]) / grid.nx;
      const sy = (opts.range.y[1] - opts.range.y[0]) / grid.ny;
      polys.forEach((mp, li) => {
        mp.coordinates.forEach((poly, pi) => {
          poly.forEach((ring, ri) => {
            ring.forEach(([gx, gy], k) => {
              // grid coordinates are cell corners; cell centres sit at +0.5
              rows.push({
                x: opts.range.x[0] + (gx - 0.5) * sx + sx / 2,
                y: opts.range.y[0] + (gy - 0.5) * sy + sy / 2,
                ring: `${li}-${pi}-${ri}`,
                k,
                level: li + 1,
              });
            });
          });
        });
      });
    }
    const layer: VlSpec[] = [
      regionLayer(opts.regions, opts.range),
      AXIS_LAYER(opts.range),
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1, fillOpacity: 0.18, clip: true },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          detail: { field: 'ring' },
          order: { field: 'k', type: 'quantitative' },
          color: { value: '#222' },
          fill: { value: '#222' },
          strokeOpacity: { field: 'level', type: 'quantitative', scale: { range: [0.3, 1] }, legend: null },
        },
      },
      {
        data: { values: panel.points.map((p) => ({ x: p.re, y: p.im })) },
        mark: { type: 'circle', size: 6, opacity: 0.35, color: '#222', clip: true },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
    ];
    if (opts.marks && opts.marks.length > 0) {
      layer.push({
        data: { values: opts.marks.map((p) => ({ x: p.re, y: p.im })) },
        mark: { type: 'point', shape: 'circle', filled: false, size: 70, color: '#222', strokeWidth: 1, opacity: 0.8, clip: true },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      });
    }
    const height = 340;
    const width = Math.round((height * (opts.range.x[1] - opts.range.x[0])) / (opts.range.y[1] - opts.range.y[0]));
    return { title: panel.name, width, height, layer, resolve: { scale: { color: 'independent' } } };
  });
  return renderSvg({ ...BASE, title: opts.title ?? '', hconcat: panels });
}
