/**
 * Rendering of bodies as soft discs (DeepMind Hamiltonian suite style): each body is a disc of
 * radius r (world units) with a Gaussian edge, intensity I(d) = 1 for d <= r and
 * exp(−(d − r)² / (2 s²)) beyond, s = `edge` pixels; body k adds colour_k · I to the RGB pixel,
 * the sum is clipped to [0, 1]; background black. Pixel (row i, column j) samples the world point
 * at its centre: x = xmin + (j + ½)·(xmax − xmin)/W, y = ymax − (i + ½)·(ymax − ymin)/H (y up).
 */
import { checkInt, checkNonNegative, checkPositive } from './checks.js';
import type { View } from './systems.js';

export interface RenderOptions {
  height: number;
  width: number;
  view: View;
  /** Disc radius in world units. */
  radius: number;
  /** Standard deviation of the Gaussian edge in pixels (default 0.6). */
  edge?: number;
  /** Draw periodic images across the view's edges (periodic boxes). */
  periodic?: boolean;
  /** Colours [bodies × 3] in [0, 1]; default: bodyColours(bodies). */
  colours?: Float64Array;
}

/** Distinct colours: hue k / count around the HSV circle, saturation 0.85, value 1. */
export function bodyColours(count: number): Float64Array {
  checkInt('count', count, 1);
  const out = new Float64Array(3 * count);
  for (let k = 0; k < count; k++) {
    const h = (6 * k) / count;
    const s = 0.85;
    const c = s; // value 1 → chroma = s
    const x = c * (1 - Math.abs((h % 2) - 1));
    const sector = Math.floor(h);
    const rgb =
      sector === 0
        ? [c, x, 0]
        : sector === 1
          ? [x, c, 0]
          : sector === 2
            ? [0, c, x]
            : sector === 3
              ? [0, x, c]
              : sector === 4
                ? [x, 0, c]
                : [c, 0, x];
    for (let ch = 0; ch < 3; ch++) out[3 * k + ch] = rgb[ch] + (1 - s);
  }
  return out;
}

/** Projected position of a world point in continuous pixel coordinates (column, row), pixel centres at +½. */
export function projectToPixels(x: number, y: number, view: View, height: number, width: number): [number, number] {
  return [((x - view.xmin) / (view.xmax - view.xmin)) * width, ((view.ymax - y) / (view.ymax - view.ymin)) * height];
}

export function checkRenderOptions(opts: RenderOptions): void {
  checkInt('height', opts.height, 1, 4096);
  checkInt('width', opts.width, 1, 4096);
  checkPositive('radius', opts.radius);
  if (opts.edge !== undefined) checkNonNegative('edge', opts.edge);
  const v = opts.view;
  if (!v || !(v.xmax > v.xmin) || !(v.ymax > v.ymin)) {
    throw new RangeError(`view must have xmax > xmin and ymax > ymin, got ${JSON.stringify(v)}`);
  }
}

/**
 * Render one frame of bodies at `positions` ([x0, y0, x1, y1, …], world units) into
 * out[offset … offset + H·W·3) (row-major [H, W, 3]).
 */
export function renderFrame(
  positions: ArrayLike<number>,
  opts: RenderOptions,
  out: Float32Array = new Float32Array(opts.height * opts.width * 3),
  offset = 0,
  scratch: Float64Array = new Float64Array(opts.height * opts.width * 3),
): Float32Array {
  const { height: H, width: W, view, radius } = opts;
  const bodies = positions.length / 2;
  const colours = opts.colours ?? bodyColours(Math.max(1, bodies));
  if (colours.length < 3 * bodies) {
    throw new RangeError(`colours must hold 3 values per body (${3 * bodies}), got ${colours.length}`);
  }
  const pw = (view.xmax - view.xmin) / W; // world units per pixel
  const ph = (view.ymax - view.ymin) / H;
  const s = (opts.edge ?? 0.6) * 0.5 * (pw + ph);
  const reach = radius + 4 * s + 0.5 * Math.max(pw, ph);
  const inv2s2 = s > 0 ? 1 / (2 * s * s) : Number.POSITIVE_INFINITY;
  const lx = view.xmax - view.xmin;
  const ly = view.ymax - view.ymin;
  scratch.fill(0, 0, H * W * 3);
  const drawDisc = (cx: number, cy: number, k: number) => {
    const j0 = Math.max(0, Math.floor((cx - reach - view.xmin) / pw));
    const j1 = Math.min(W - 1, Math.ceil((cx + reach - view.xmin) / pw));
    const i0 = Math.max(0, Math.floor((view.ymax - cy - reach) / ph));
    const i1 = Math.min(H - 1, Math.ceil((view.ymax - cy + reach) / ph));
    const r0 = colours[3 * k];
    const g0 = colours[3 * k + 1];
    const b0 = colours[3 * k + 2];
    for (let i = i0; i <= i1; i++) {
      const dy = view.ymax - (i + 0.5) * ph - cy;
      for (let j = j0; j <= j1; j++) {
        const dx = view.xmin + (j + 0.5) * pw - cx;
        const dist = Math.sqrt(dx * dx + dy * dy);
        const outside = dist - radius;
        const intensity = outside <= 0 ? 1 : Math.exp(-outside * outside * inv2s2);
        if (intensity < 1e-12) continue;
        const p = 3 * (i * W + j);
        scratch[p] += r0 * intensity;
        scratch[p + 1] += g0 * intensity;
        scratch[p + 2] += b0 * intensity;
      }
    }
  };
  for (let k = 0; k < bodies; k++) {
    const x = positions[2 * k];
    const y = positions[2 * k + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw new RangeError(`positions[${2 * k}..${2 * k + 1}] must be finite, got (${x}, ${y})`);
    }
    if (opts.periodic) {
      // Draw the images whose discs reach into the view.
      for (const ox of [-lx, 0, lx]) {
        for (const oy of [-ly, 0, ly]) {
          const cx = x + ox;
          const cy = y + oy;
          if (cx + reach < view.xmin || cx - reach > view.xmax || cy + reach < view.ymin || cy - reach > view.ymax) continue;
          drawDisc(cx, cy, k);
        }
      }
    } else {
      drawDisc(x, y, k);
    }
  }
  const n = H * W * 3;
  for (let p = 0; p < n; p++) {
    const v = scratch[p];
    out[offset + p] = Math.min(v, 1);
  }
  return out;
}
