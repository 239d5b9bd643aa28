// Small SVG/canvas plotting helpers: the complex hλ plane (raster fill of a stability region on a
// canvas, boundaries, axes and markers in an SVG on top) and a line chart for loss curves. Colours
// and region curves come from @sii/rk (methodColor, methodRegions), shared with the CLI's figures.
import { type MethodRegion, methodRegions, stabilityAbs } from '@sii/rk';

const SVG_NS = 'http://www.w3.org/2000/svg';

export interface Point {
  re: number;
  im: number;
}

export interface PlaneView {
  reMin: number;
  reMax: number;
  imMin: number;
  imMax: number;
}

export function svgEl<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  parent?: Element,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) node.append(c);
  return node;
}

/** Replace a section's content with its title and explanatory paragraph. */
export function mountSectionHeader(root: HTMLElement, title: string, hint: string): void {
  root.replaceChildren(el('h2', { text: title }), el('p', { class: 'hint', text: hint }));
}

/** Append the two-column layout (plot on the left) and return its columns. */
export function appendTwoColumns(
  root: HTMLElement,
  rightClass: 'side-col' | 'plot-col' = 'side-col',
): { left: HTMLDivElement; right: HTMLDivElement } {
  const left = el('div', { class: 'plot-col' });
  const right = el('div', { class: rightClass });
  root.append(el('div', { class: 'two-col' }, left, right));
  return { left, right };
}

/** Round to a "nice" tick step (1, 2 or 5 times a power of ten) for about `count` ticks over `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

export function formatNumber(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}

/** A tick label: at most 4 significant digits, no floating-point noise. */
export function formatTick(x: number): string {
  return formatNumber(x, 4);
}

export function formatComplex(z: Point, digits = 3): string {
  const re = formatNumber(z.re, digits);
  if (Math.abs(z.im) < 1e-12) return re;
  const im = formatNumber(Math.abs(z.im), digits);
  return `${re} ${z.im < 0 ? '−' : '+'} ${im}i`;
}

export type MarkerShape = 'circle' | 'cross' | 'triangle' | 'diamond';

/**
 * The complex plane with equal scales on both axes. The canvas (under) holds raster fills, the SVG
 * (over) holds axes, curves and markers; both share the view box `width × height` pixels.
 */
export class PlanePlot {
  readonly root: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  readonly svg: SVGSVGElement;
  readonly grid: SVGGElement;
  readonly curves: SVGGElement;
  readonly trails: SVGGElement;
  readonly markers: SVGGElement;
  readonly overlay: SVGGElement;
  readonly width: number;
  readonly height: number;
  view: PlaneView;

  constructor(parent: HTMLElement, opts: { width?: number; height?: number; view: PlaneView; label?: string }) {
    this.width = opts.width ?? 560;
    this.height = opts.height ?? 560;
    this.view = opts.view;
    this.root = el('div', { class: 'plane' });
    this.root.style.aspectRatio = `${this.width} / ${this.height}`;
    this.canvas = el('canvas', { width: this.width, height: this.height });
    this.svg = svgEl('svg', {
      viewBox: `0 0 ${this.width} ${this.height}`,
      role: 'img',
      'aria-label': opts.label ?? 'complex plane',
    });
    this.grid = svgEl('g', { class: 'grid' }, this.svg);
    this.curves = svgEl('g', { class: 'curves' }, this.svg);
    this.trails = svgEl('g', { class: 'trails' }, this.svg);
    this.markers = svgEl('g', { class: 'markers' }, this.svg);
    this.overlay = svgEl('g', { class: 'overlay' }, this.svg);
    this.root.append(this.canvas, this.svg);
    parent.appendChild(this.root);
    this.drawGrid();
  }

  /** Pixels per unit, the same on both axes (the view is widened to keep the aspect ratio). */
  get scale(): number {
    const v = this.view;
    return Math.min(this.width / (v.reMax - v.reMin), this.height / (v.imMax - v.imMin));
  }

  private get center(): Point {
    const v = this.view;
    return { re: (v.reMin + v.reMax) / 2, im: (v.imMin + v.imMax) / 2 };
  }

  x(re: number): number {
    return this.width / 2 + (re - this.center.re) * this.scale;
  }

  y(im: number): number {
    return this.height / 2 - (im - this.center.im) * this.scale;
  }

  toComplex(px: number, py: number): Point {
    const c = this.center;
    return { re: c.re + (px - this.width / 2) / this.scale, im: c.im - (py - this.height / 2) / this.scale };
  }

  /** Client (mouse) coordinates to the complex plane. */
  clientToComplex(clientX: number, clientY: number): Point {
    const rect = this.svg.getBoundingClientRect();
    const px = ((clientX - rect.left) / rect.width) * this.width;
    const py = ((clientY - rect.top) / rect.height) * this.height;
    return this.toComplex(px, py);
  }

  /** Visible range, after widening to equal scales. */
  visible(): PlaneView {
    const a = this.toComplex(0, this.height);
    const b = this.toComplex(this.width, 0);
    return { reMin: a.re, reMax: b.re, imMin: a.im, imMax: b.im };
  }

  setView(view: PlaneView): void {
    this.view = view;
    this.drawGrid();
  }

  drawGrid(): void {
    this.grid.replaceChildren();
    const v = this.visible();
    const step = niceStep(Math.max(v.reMax - v.reMin, v.imMax - v.imMin), 8);
    const x0 = this.x(0);
    const y0 = this.y(0);
    // Ticks are k·step (never a running sum, which prints 0.6000000000000001); labels print at most
    // 4 significant digits and keep clear of the axis labels.
    for (let k = Math.ceil(v.reMin / step); k * step <= v.reMax; k++) {
      const xr = this.x(k * step);
      svgEl('line', { x1: xr, x2: xr, y1: 0, y2: this.height, class: k === 0 ? 'axis' : 'gridline' }, this.grid);
      if (k !== 0 && xr < this.width - 48) {
        svgEl('text', { x: xr, y: y0 + 13, class: 'tick', 'text-anchor': 'middle' }, this.grid).textContent = formatTick(k * step);
      }
    }
    for (let k = Math.ceil(v.imMin / step); k * step <= v.imMax; k++) {
      const yi = this.y(k * step);
      svgEl('line', { x1: 0, x2: this.width, y1: yi, y2: yi, class: k === 0 ? 'axis' : 'gridline' }, this.grid);
      if (k !== 0 && yi > 24) svgEl('text', { x: x0 + 4, y: yi + 3.5, class: 'tick' }, this.grid).textContent = `${formatTick(k * step)}i`;
    }
    svgEl('text', { x: this.width - 6, y: y0 - 6, class: 'axis-label', 'text-anchor': 'end' }, this.grid).textContent = 'Re hλ';
    // left of the imaginary axis, at the top, where no tick label is printed
    svgEl('text', { x: x0 - 6, y: 14, class: 'axis-label', 'text-anchor': 'end' }, this.grid).textContent = 'Im hλ';
  }

  /**
   * A legend box inside the plot: one row per entry (a swatch or a marker symbol and a label), at the
   * given corner. Replaces any previous legend.
   */
  legend(
    entries: readonly { label: string; color: string; symbol?: string }[],
    corner: 'top-left' | 'bottom-left' = 'top-left',
  ): SVGGElement {
    this.svg.querySelector(':scope > g.plot-legend')?.remove();
    const g = svgEl('g', { class: 'plot-legend' }, this.svg);
    const rowH = 17;
    const w = 16 + 7 * Math.max(1, ...entries.map((e) => e.label.length)) + 22;
    const h = entries.length * rowH + 8;
    const x = 8;
    const y = corner === 'top-left' ? 8 : this.height - h - 8;
    svgEl('rect', { x, y, width: w, height: h, class: 'legend-box' }, g);
    entries.forEach((e, k) => {
      const cy = y + 4 + rowH * k + rowH / 2;
      if (e.symbol) {
        svgEl('text', { x: x + 12, y: cy + 4, class: 'legend', 'text-anchor': 'middle', fill: e.color }, g).textContent = e.symbol;
      } else {
        svgEl('rect', { x: x + 6, y: cy - 5, width: 12, height: 10, fill: e.color, 'fill-opacity': 0.45, stroke: e.color }, g);
      }
      svgEl('text', { x: x + 24, y: cy + 4, class: 'legend' }, g).textContent = e.label;
    });
    return g;
  }

  /**
   * Raster fill: `inside(re, im)` per pixel block. Returns the number of filled cells (exposed by the
   * callers as a data attribute: the end-to-end test reads it to know that a region was drawn).
   */
  fill(layers: { inside: (re: number, im: number) => boolean; rgba: [number, number, number, number] }[], cell = 2): number {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return 0;
    const img = ctx.createImageData(this.width, this.height);
    let filled = 0;
    for (let py = 0; py < this.height; py += cell) {
      for (let px = 0; px < this.width; px += cell) {
        const z = this.toComplex(px + cell / 2, py + cell / 2);
        let r = 255;
        let g = 255;
        let b = 255;
        let hit = false;
        for (const layer of layers) {
          if (!layer.inside(z.re, z.im)) continue;
          hit = true;
          const [lr, lg, lb, la] = layer.rgba;
          r = r * (1 - la) + lr * la;
          g = g * (1 - la) + lg * la;
          b = b * (1 - la) + lb * la;
        }
        if (hit) filled++;
        for (let dy = 0; dy < cell && py + dy < this.height; dy++) {
          for (let dx = 0; dx < cell && px + dx < this.width; dx++) {
            const o = ((py + dy) * this.width + px + dx) * 4;
            img.data[o] = r;
            img.data[o + 1] = g;
            img.data[o + 2] = b;
            img.data[o + 3] = 255;
          }
        }
      }
    }
    ctx.putImageData(img, 0, 0);
    return filled;
  }

  clearFill(): void {
    this.canvas.getContext('2d')?.clearRect(0, 0, this.width, this.height);
  }

  /** Closed or open polyline through complex points. */
  polyline(points: readonly Point[], attrs: Record<string, string | number>, parent: SVGGElement = this.curves): SVGPolylineElement {
    const pts = points.map((p) => `${this.x(p.re).toFixed(2)},${this.y(p.im).toFixed(2)}`).join(' ');
    return svgEl('polyline', { points: pts, fill: 'none', ...attrs }, parent);
  }

  marker(
    z: Point,
    shape: MarkerShape,
    color: string,
    attrs: Record<string, string | number> = {},
    size = 6,
    parent: SVGGElement = this.markers,
  ): SVGElement {
    const cx = this.x(z.re);
    const cy = this.y(z.im);
    let node: SVGElement;
    if (shape === 'circle') {
      node = svgEl('circle', { cx, cy, r: size, fill: color, stroke: '#fff', 'stroke-width': 1.5 }, parent);
    } else if (shape === 'cross') {
      const s = size;
      node = svgEl(
        'path',
        { d: `M${cx - s},${cy - s}L${cx + s},${cy + s}M${cx - s},${cy + s}L${cx + s},${cy - s}`, stroke: color, 'stroke-width': 2.5 },
        parent,
      );
    } else if (shape === 'triangle') {
      const s = size * 1.1;
      node = svgEl(
        'path',
        { d: `M${cx},${cy - s}L${cx + s},${cy + s * 0.8}L${cx - s},${cy + s * 0.8}Z`, fill: 'none', stroke: color, 'stroke-width': 2 },
        parent,
      );
    } else {
      const s = size;
      node = svgEl('path', { d: `M${cx},${cy - s}L${cx + s},${cy}L${cx},${cy + s}L${cx - s},${cy}Z`, fill: color }, parent);
    }
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  }
}

export interface Series {
  name: string;
  color: string;
  values: readonly number[];
}

/** A line chart with a log10 y axis (losses), redrawn from scratch on every update. */
export class LogChart {
  readonly svg: SVGSVGElement;
  readonly width = 560;
  readonly height = 300;
  private readonly margin = { left: 56, right: 12, top: 12, bottom: 34 };

  constructor(
    parent: HTMLElement,
    private readonly xLabel: string,
    private readonly yLabel: string,
  ) {
    this.svg = svgEl('svg', { viewBox: `0 0 ${this.width} ${this.height}`, class: 'chart', role: 'img', 'aria-label': yLabel });
    parent.appendChild(this.svg);
    this.draw([]);
  }

  draw(series: readonly Series[]): void {
    const svg = this.svg;
    svg.replaceChildren();
    const m = this.margin;
    const w = this.width - m.left - m.right;
    const h = this.height - m.top - m.bottom;
    const all = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v) && v > 0));
    const n = Math.max(2, ...series.map((s) => s.values.length));
    let lo = all.length ? Math.log10(Math.min(...all)) : -3;
    let hi = all.length ? Math.log10(Math.max(...all)) : 0;
    if (hi - lo < 0.5) {
      const mid = (hi + lo) / 2;
      lo = mid - 0.25;
      hi = mid + 0.25;
    }
    lo = Math.floor(lo * 2) / 2;
    hi = Math.ceil(hi * 2) / 2;
    const X = (i: number) => m.left + (i / (n - 1)) * w;
    const Y = (v: number) => m.top + (1 - (Math.log10(v) - lo) / (hi - lo)) * h;
    svgEl('rect', { x: m.left, y: m.top, width: w, height: h, class: 'frame' }, svg);
    for (let e = Math.ceil(lo); e <= hi; e++) {
      svgEl('line', { x1: m.left, x2: m.left + w, y1: Y(10 ** e), y2: Y(10 ** e), class: 'gridline' }, svg);
      svgEl('text', { x: m.left - 6, y: Y(10 ** e) + 4, class: 'tick', 'text-anchor': 'end' }, svg).textContent = `1e${e}`;
    }
    // epochs are counts: integer ticks only (k·step with an integer step)
    const xStep = Math.max(1, Math.round(niceStep(n - 1, 6)));
    for (let k = 0; k * xStep <= n - 1; k++) {
      svgEl('text', { x: X(k * xStep), y: m.top + h + 16, class: 'tick', 'text-anchor': 'middle' }, svg).textContent = String(k * xStep);
    }
    svgEl('text', { x: m.left + w / 2, y: this.height - 4, class: 'axis-label', 'text-anchor': 'middle' }, svg).textContent = this.xLabel;
    svgEl(
      'text',
      { x: 12, y: m.top + h / 2, class: 'axis-label', transform: `rotate(-90 12 ${m.top + h / 2})`, 'text-anchor': 'middle' },
      svg,
    ).textContent = this.yLabel;
    series.forEach((s, k) => {
      const pts: string[] = [];
      s.values.forEach((v, i) => {
        if (Number.isFinite(v) && v > 0) pts.push(`${X(i).toFixed(1)},${Y(v).toFixed(1)}`);
      });
      if (pts.length)
        svgEl('polyline', { points: pts.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2, 'data-series': s.name }, svg);
      const ly = m.top + 14 + k * 16;
      svgEl('line', { x1: m.left + w - 150, x2: m.left + w - 130, y1: ly - 4, y2: ly - 4, stroke: s.color, 'stroke-width': 3 }, svg);
      svgEl('text', { x: m.left + w - 124, y: ly, class: 'legend' }, svg).textContent = s.name;
    });
  }
}

const regionCache = new Map<string, MethodRegion>();

/** A method's region (polynomial, boundary, colour) from @sii/rk, computed once per page. */
export function methodRegion(name: string): MethodRegion {
  let r = regionCache.get(name);
  if (!r) {
    r = methodRegions([name], { points: 720 })[0];
    regionCache.set(name, r);
  }
  return r;
}

/** Fill and outline the regions of `names` (in that order, later on top) with their palette colours. */
export function drawRegions(
  plot: PlanePlot,
  names: readonly string[],
  opts: { alpha?: (name: string) => number; width?: (name: string) => number } = {},
): { cells: number; polylines: number } {
  const regions = names.map(methodRegion);
  const cells = plot.fill(
    regions.map((m) => {
      const [r, g, b] = hexToRgb(m.color);
      return { inside: (re: number, im: number) => stabilityAbs(m.R, re, im) <= 1, rgba: [r, g, b, opts.alpha?.(m.name) ?? 0.15] };
    }),
  );
  plot.curves.replaceChildren();
  let polylines = 0;
  for (const m of regions) {
    for (const line of m.boundary) {
      plot.polyline(line, { stroke: m.color, 'stroke-width': opts.width?.(m.name) ?? 1.5, 'data-method': m.name });
      polylines++;
    }
  }
  return { cells, polylines };
}

export function hexToRgb(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}
