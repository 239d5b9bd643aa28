// Standalone SVG rendering of stability regions {|R(z)| ≤ 1}, with optional poles, legend and axes.
import type { Complex } from '@sii/linalg';
import { methodColor } from './palette.js';
import { stabilityBoundary } from './stability.js';

export interface RegionsSvgOptions {
  /** regions to draw, in order (later ones on top); colours default to the project palette (methodColor) */
  methods: { name: string; R: ArrayLike<number>; color?: string }[];
  /** points z (e.g. hλ) marked with a cross and an optional label */
  poles?: { z: Complex; label?: string }[];
  /** pixel size (default 640 × 480) */
  width?: number;
  height?: number;
  /** plotted ranges of Re z and Im z (default: bounding box of regions and poles, padded, equal scale) */
  xRange?: [number, number];
  yRange?: [number, number];
  title?: string;
  /** θ samples per branch for the boundary (default 256) */
  points?: number;
}

/** XML-escape text and attribute values. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** "Nice" tick step (1, 2 or 5 × 10^k) giving about `target` ticks over `span`. */
function tickStep(span: number, target: number): number {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

function checkRange(name: string, r: unknown): [number, number] | undefined {
  if (r === undefined) return undefined;
  const v = r as [number, number];
  if (!Array.isArray(v) || v.length !== 2 || !Number.isFinite(v[0]) || !Number.isFinite(v[1]) || !(v[1] > v[0])) {
    throw new RangeError(`regionsSvg: ${name} must be [min, max] with finite min < max, got ${JSON.stringify(r)}`);
  }
  return v;
}

/**
 * Render stability regions as a standalone SVG document (string). Each region is the even–odd fill of
 * all closed curves from {@link stabilityBoundary} (exactly {|R| ≤ 1}); the axes Re z, Im z are drawn
 * through 0 with ticks on the frame; a legend lists the methods; poles are marked with ×.
 */
export function regionsSvg(opts: RegionsSvgOptions): string {
  if (opts === null || typeof opts !== 'object' || !Array.isArray(opts.methods) || opts.methods.length === 0) {
    throw new TypeError('regionsSvg: opts.methods must be a non-empty array of { name, R, color? }');
  }
  const width = opts.width ?? 640;
  const height = opts.height ?? 480;
  if (!(Number.isFinite(width) && width >= 100)) throw new RangeError(`regionsSvg: width must be ≥ 100, got ${String(opts.width)}`);
  if (!(Number.isFinite(height) && height >= 100)) throw new RangeError(`regionsSvg: height must be ≥ 100, got ${String(opts.height)}`);
  const poles = opts.poles ?? [];
  poles.forEach((p, i) => {
    if (!p?.z || !Number.isFinite(p.z.re) || !Number.isFinite(p.z.im)) {
      throw new TypeError(`regionsSvg: poles[${i}].z must be a finite Complex, got ${JSON.stringify(p)}`);
    }
  });
  const curves = opts.methods.map((m, i) => {
    if (!m || typeof m.name !== 'string') throw new TypeError(`regionsSvg: methods[${i}].name must be a string, got ${JSON.stringify(m)}`);
    return stabilityBoundary(m.R, { points: opts.points ?? 256 });
  });

  // plot area
  const margin = { left: 56, right: 16, top: opts.title ? 36 : 16, bottom: 40 };
  const pw = width - margin.left - margin.right;
  const ph = height - margin.top - margin.bottom;
  let xr = checkRange('xRange', opts.xRange);
  let yr = checkRange('yRange', opts.yRange);
  if (!xr || !yr) {
    let x0 = 0;
    let x1 = 0;
    let y0 = 0;
    let y1 = 0;
    const grow = (z: Complex) => {
      x0 = Math.min(x0, z.re);
      x1 = Math.max(x1, z.re);
      y0 = Math.min(y0, z.im);
      y1 = Math.max(y1, z.im);
    };
    for (const cs of curves) for (const c of cs) for (const z of c) grow(z);
    for (const p of poles) grow(p.z);
    const padX = 0.08 * (x1 - x0 || 1);
    const padY = 0.08 * (y1 - y0 || 1);
    let ax: [number, number] = [x0 - padX, x1 + padX];
    let ay: [number, number] = [y0 - padY, y1 + padY];
    if (!xr && !yr) {
      // equal scale on both axes: widen the tighter range
      const sx = (ax[1] - ax[0]) / pw;
      const sy = (ay[1] - ay[0]) / ph;
      const sc = Math.max(sx, sy);
      const cx = 0.5 * (ax[0] + ax[1]);
      const cy = 0.5 * (ay[0] + ay[1]);
      ax = [cx - 0.5 * sc * pw, cx + 0.5 * sc * pw];
      ay = [cy - 0.5 * sc * ph, cy + 0.5 * sc * ph];
    }
    xr = xr ?? ax;
    yr = yr ?? ay;
  }
  const [xa, xb] = xr;
  const [ya, yb] = yr;
  const X = (x: number) => margin.left + ((x - xa) / (xb - xa)) * pw;
  const Y = (y: number) => margin.top + ((yb - y) / (yb - ya)) * ph;
  const f = (v: number) => v.toFixed(2);

  const parts: string[] = [];
  parts.push(
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<defs><clipPath id="plot"><rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}"/></clipPath></defs>`,
  );
  if (opts.title) parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`);

  // regions
  parts.push('<g clip-path="url(#plot)">');
  opts.methods.forEach((m, i) => {
    const color = m.color ?? methodColor(m.name);
    const d = curves[i].map((c) => `M${c.map((z) => `${f(X(z.re))},${f(Y(z.im))}`).join('L')}Z`).join('');
    parts.push(
      `<path class="region" data-method="${esc(m.name)}" d="${d}" fill="${esc(color)}" fill-opacity="0.25" fill-rule="evenodd" stroke="${esc(color)}" stroke-width="1.5"/>`,
    );
  });
  // axes through 0
  if (xa < 0 && xb > 0)
    parts.push(`<line x1="${f(X(0))}" y1="${margin.top}" x2="${f(X(0))}" y2="${margin.top + ph}" stroke="#444" stroke-width="0.8"/>`);
  if (ya < 0 && yb > 0)
    parts.push(`<line x1="${margin.left}" y1="${f(Y(0))}" x2="${margin.left + pw}" y2="${f(Y(0))}" stroke="#444" stroke-width="0.8"/>`);
  // poles
  for (const p of poles) {
    const px = X(p.z.re);
    const py = Y(p.z.im);
    parts.push(
      `<g class="pole" data-re="${p.z.re}" data-im="${p.z.im}"><path d="M${f(px - 4)},${f(py - 4)}L${f(px + 4)},${f(py + 4)}M${f(px - 4)},${f(py + 4)}L${f(px + 4)},${f(py - 4)}" stroke="black" stroke-width="1.6"/>` +
        (p.label ? `<text x="${f(px + 6)}" y="${f(py - 6)}">${esc(p.label)}</text>` : '') +
        '</g>',
    );
  }
  parts.push('</g>');

  // frame and ticks
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}" fill="none" stroke="black"/>`);
  const sx = tickStep(xb - xa, 8);
  for (let k = Math.ceil(xa / sx), v = k * sx; v <= xb + 1e-9 * sx; k++, v = k * sx) {
    const x = f(X(v));
    const vv = Math.abs(v) < 1e-9 * sx ? 0 : v;
    parts.push(`<line x1="${x}" y1="${margin.top + ph}" x2="${x}" y2="${margin.top + ph + 5}" stroke="black"/>`);
    parts.push(`<text x="${x}" y="${margin.top + ph + 17}" text-anchor="middle">${num(vv)}</text>`);
  }
  const sy = tickStep(yb - ya, 6);
  for (let k = Math.ceil(ya / sy), v = k * sy; v <= yb + 1e-9 * sy; k++, v = k * sy) {
    const y = f(Y(v));
    const vv = Math.abs(v) < 1e-9 * sy ? 0 : v;
    parts.push(`<line x1="${margin.left - 5}" y1="${y}" x2="${margin.left}" y2="${y}" stroke="black"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${num(vv)}</text>`);
  }
  parts.push(`<text x="${margin.left + pw / 2}" y="${height - 6}" text-anchor="middle">Re z</text>`);
  parts.push(`<text x="14" y="${margin.top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${margin.top + ph / 2})">Im z</text>`);

  // legend (top-right of the plot, where Re z > 0 is usually empty)
  const lw = 12 + 7 * Math.max(...opts.methods.map((m) => m.name.length)) + 24;
  const lx = margin.left + pw - lw - 6;
  let ly = margin.top + 10;
  parts.push(
    `<g class="legend"><rect x="${lx - 4}" y="${ly - 4}" width="${lw}" height="${opts.methods.length * 16 + 4}" fill="white" fill-opacity="0.85" stroke="#999"/>`,
  );
  opts.methods.forEach((m) => {
    const color = m.color ?? methodColor(m.name);
    parts.push(`<rect x="${lx}" y="${ly}" width="12" height="10" fill="${esc(color)}" fill-opacity="0.5" stroke="${esc(color)}"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly + 9}">${esc(m.name)}</text>`);
    ly += 16;
  });
  parts.push('</g>', '</svg>');
  return `${parts.join('\n')}\n`;
}
