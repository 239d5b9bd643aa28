import { type Complex, cabs } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import {
  formatStabilityTable,
  getTableau,
  imaginaryStabilityInterval,
  isStable,
  maxStableStep,
  realStabilityInterval,
  regionsSvg,
  stabilityAbs,
  stabilityBoundary,
  stabilityPolynomial,
  stabilityTable,
  stabilityValue,
  tableauNames,
  taylorPolynomial,
} from '../src/index.js';

const R = (name: string) => stabilityPolynomial(getTableau(name));

/** Independent R(z) = 1 + z bᵀ(I − zA)⁻¹𝟙: forward substitution for the stage values (complex). */
function rFromTableau(name: string, z: Complex): Complex {
  const t = getTableau(name);
  const s = t.stages;
  const g: Complex[] = []; // g = (I − zA)⁻¹𝟙, i.e. g_i = 1 + z Σ_{j<i} a_ij g_j
  for (let i = 0; i < s; i++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < i; j++) {
      re += t.a[i][j] * g[j].re;
      im += t.a[i][j] * g[j].im;
    }
    g.push({ re: 1 + (z.re * re - z.im * im), im: z.re * im + z.im * re });
  }
  let re = 0;
  let im = 0;
  for (let i = 0; i < s; i++) {
    re += t.b[i] * g[i].re;
    im += t.b[i] * g[i].im;
  }
  return { re: 1 + z.re * re - z.im * im, im: z.re * im + z.im * re };
}

/**
 * First x > 0 on the ray t·dir where |R| > 1 + margin, by a scan of step 1e-3 from `start`, then
 * bisection (test-only code). Near 0, |R| = 1 − O(x^{p+1}) is within rounding of 1, hence `start`.
 */
function scanRay(r: Float64Array, dir: Complex, start = 1e-3, margin = 1e-14): number {
  const bad = (x: number) => stabilityAbs(r, x * dir.re, x * dir.im) > 1 + margin;
  let x = start;
  const maxT = 10;
  while (x < maxT && !bad(x)) x += 1e-3;
  let lo = x - 1e-3;
  let hi = x;
  for (let i = 0; i < 60; i++) {
    const m = 0.5 * (lo + hi);
    if (bad(m)) hi = m;
    else lo = m;
  }
  return lo;
}

describe('stability polynomial', () => {
  it('matches the resolvent form 1 + z bᵀ(I − zA)⁻¹𝟙 for every method at complex z', () => {
    for (const name of tableauNames()) {
      for (const z of [
        { re: -1.3, im: 0.7 },
        { re: 0.2, im: -2.1 },
        { re: -2.5, im: 0 },
      ]) {
        const a = stabilityValue(R(name), z);
        const b = rFromTableau(name, z);
        expect(Math.hypot(a.re - b.re, a.im - b.im)).toBeLessThan(1e-13);
      }
    }
  });

  it('s-stage methods of order s share the Taylor polynomial Σ_{k≤s} z^k/k!', () => {
    for (const name of ['euler', 'midpoint', 'heun', 'ralston', 'kutta3', 'heun3', 'ssprk3', 'rk4', 'rk38', 'adaptive_heun']) {
      const t = getTableau(name);
      expect(t.stages).toBe(t.order);
      const p = R(name);
      const q = taylorPolynomial(t.order);
      expect(p.length).toBe(q.length);
      for (let k = 0; k < p.length; k++) expect(Math.abs(p[k] - q[k])).toBeLessThan(1e-15);
    }
    expect(Array.from(taylorPolynomial(3))).toEqual([1, 1, 0.5, 1 / 6]);
  });

  it('every method of order p agrees with e^z up to z^p (R(z) − e^z = O(z^{p+1}))', () => {
    for (const name of tableauNames()) {
      const t = getTableau(name);
      const p = R(name);
      expect(p.length).toBe(t.stages + 1);
      let fact = 1;
      for (let k = 0; k <= t.order; k++) {
        if (k > 0) fact *= k;
        expect(Math.abs(p[k] - 1 / fact)).toBeLessThan(1e-14);
      }
      if (t.order < t.stages) expect(Math.abs(p[t.order + 1] - 1 / (fact * (t.order + 1)))).toBeGreaterThan(1e-6);
    }
  });

  it('dopri5: R(z) = Σ_{k≤5} z^k/k! + z⁶/600, coefficient-wise', () => {
    const p = R('dopri5');
    const expected = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 600, 0];
    expect(p.length).toBe(8);
    for (let k = 0; k < p.length; k++) expect(Math.abs(p[k] - expected[k])).toBeLessThan(1e-15);
  });
});

describe('stability intervals', () => {
  const cases: [string[], number, number][] = [
    [['euler'], 2, 0],
    [['midpoint', 'heun', 'ralston', 'adaptive_heun'], 2, 0],
    [['kutta3', 'heun3', 'ssprk3', 'bosh3'], 2.5127453266, Math.sqrt(3)],
    [['rk4', 'rk38'], 2.7852935634, 2 * Math.SQRT2],
  ];
  it.each(cases)('%j: real %d, imaginary %d', (names, real, imag) => {
    for (const name of names) {
      expect(Math.abs(realStabilityInterval(R(name)) - real)).toBeLessThan(1e-8);
      expect(Math.abs(imaginaryStabilityInterval(R(name)) - imag)).toBeLessThan(1e-8);
    }
  });

  it('real intervals agree with an independent scan-and-bisect to 1e-10 (dopri5 ≈ 3.3066)', () => {
    for (const name of ['euler', 'kutta3', 'rk4', 'dopri5', 'tsit5']) {
      const r = R(name);
      expect(Math.abs(realStabilityInterval(r) - scanRay(r, { re: -1, im: 0 }))).toBeLessThan(1e-10);
    }
    expect(Math.abs(realStabilityInterval(R('dopri5')) - 3.3066)).toBeLessThan(1e-4);
  });

  it('imaginary intervals agree with an independent scan where the boundary is not tangent to the axis', () => {
    // RK3 crosses the axis transversally at ±√3: the scan finds it; dopri5 and tsit5 likewise (tsit5's
    // crossing near 0.478 is shallow, d|R|/dy ≈ 3e-6, so the scan uses margin 0 and starts at 0.1)
    for (const name of ['kutta3', 'dopri5', 'tsit5']) {
      const r = R(name);
      expect(Math.abs(imaginaryStabilityInterval(r) - scanRay(r, { re: 0, im: 1 }, 0.1, 0))).toBeLessThan(1e-9);
    }
  });

  it('the interval ends are on |R| = 1 and just beyond is unstable', () => {
    for (const name of ['kutta3', 'rk4', 'dopri5']) {
      const r = R(name);
      const L = realStabilityInterval(r);
      expect(Math.abs(stabilityAbs(r, -L, 0) - 1)).toBeLessThan(1e-12);
      expect(stabilityAbs(r, -L * (1 + 1e-6), 0)).toBeGreaterThan(1);
      const M = imaginaryStabilityInterval(r);
      expect(stabilityAbs(r, 0, M * (1 + 1e-6))).toBeGreaterThan(1);
    }
  });
});

describe('maxStableStep and isStable', () => {
  it('real poles: h·|λ| equals the real interval', () => {
    for (const name of ['euler', 'heun', 'kutta3', 'rk4', 'dopri5']) {
      const r = R(name);
      const L = realStabilityInterval(r);
      for (const lam of [-0.5, -3, -40]) {
        const h = maxStableStep(r, { re: lam, im: 0 });
        expect(Math.abs(h * Math.abs(lam) - L)).toBeLessThan(1e-10 * L);
      }
    }
  });

  it('imaginary poles: Euler gives 0, RK4 gives 2√2/|λ|; λ = 0 never limits the step', () => {
    expect(maxStableStep(R('euler'), { re: 0, im: 3 })).toBe(0);
    expect(maxStableStep(R('heun'), { re: 0, im: -1 })).toBe(0);
    expect(Math.abs(maxStableStep(R('rk4'), { re: 0, im: 2 }) - Math.SQRT2)).toBeLessThan(1e-12);
    expect(maxStableStep(R('rk4'), { re: 0, im: 0 })).toBe(Number.POSITIVE_INFINITY);
    expect(maxStableStep(R('euler'), { re: 0.1, im: 0 })).toBe(0); // unstable pole: every h > 0 fails
  });

  it('complex poles: agrees with a scan along the ray; several poles give the minimum', () => {
    const r = R('rk4');
    const lam = { re: -1, im: 2 };
    const scale = cabs(lam);
    const h = maxStableStep(r, lam);
    expect(Math.abs(h * scale - scanRay(r, { re: lam.re / scale, im: lam.im / scale }))).toBeLessThan(1e-9);
    // Euler: |1 + hλ| ≤ 1 ⇔ h ≤ −2 Re λ / |λ|²
    expect(Math.abs(maxStableStep(R('euler'), lam) - 2 / 5)).toBeLessThan(1e-14);
    const poles = [
      { re: -1, im: 0 },
      { re: -1, im: 2 },
      { re: -4, im: 0 },
    ];
    expect(maxStableStep(R('euler'), poles)).toBeCloseTo(Math.min(2, 2 / 5, 0.5), 14);
    expect(() => maxStableStep(R('euler'), [])).toThrow(/poles must not be empty/);
  });

  it('isStable uses |R(z)| ≤ 1 + margin', () => {
    const r = R('euler');
    expect(isStable(r, { re: -1, im: 0.99 })).toBe(true);
    expect(isStable(r, { re: -1, im: 1.01 })).toBe(false);
    expect(isStable(r, { re: -1, im: 0.99 }, -0.02)).toBe(false);
    expect(() => isStable(r, { re: Number.NaN, im: 0 })).toThrow(/z must be a finite Complex/);
  });
});

/** Even–odd point-in-polygon over all curves. */
function insideEvenOdd(curves: Complex[][], p: Complex): boolean {
  let inside = false;
  for (const c of curves) {
    for (let i = 0, j = c.length - 1; i < c.length; j = i++) {
      const a = c[i];
      const b = c[j];
      if (a.im > p.im !== b.im > p.im && p.re < ((b.re - a.re) * (p.im - a.im)) / (b.im - a.im) + a.re) inside = !inside;
    }
  }
  return inside;
}

describe('stabilityBoundary', () => {
  it('Euler: a single closed curve on the circle |z + 1| = 1', () => {
    const curves = stabilityBoundary(R('euler'), { points: 128 });
    expect(curves).toHaveLength(1);
    for (const z of curves[0]) expect(Math.abs(Math.hypot(z.re + 1, z.im) - 1)).toBeLessThan(1e-12);
  });

  it.each(['heun', 'kutta3', 'rk4', 'bosh3', 'dopri5', 'tsit5'])(
    '%s: points on |R| = 1, closed polylines, even–odd fill equals the region',
    (name) => {
      const r = R(name);
      const curves = stabilityBoundary(r, { points: 256 });
      let extent = 0;
      for (const c of curves) {
        expect(c[0]).toEqual(c[c.length - 1]); // closed
        for (let i = 0; i < c.length; i++) {
          const z = c[i];
          expect(Math.abs(stabilityAbs(r, z.re, z.im) - 1)).toBeLessThan(1e-9);
          extent = Math.max(extent, cabs(z));
          if (i > 0) expect(Math.hypot(z.re - c[i - 1].re, z.im - c[i - 1].im)).toBeLessThan(0.1); // connected
        }
      }
      // the first curve passes through the origin
      expect(Math.min(...curves[0].map((z) => cabs(z)))).toBeLessThan(1e-12);
      // sampled points away from the boundary: inside the curves (even–odd) ⇔ |R(z)| < 1
      let checked = 0;
      for (let x = -extent - 0.3; x <= 1; x += 0.137) {
        for (let y = -extent - 0.3; y <= extent + 0.3; y += 0.131) {
          const a = stabilityAbs(r, x, y);
          if (Math.abs(a - 1) < 0.05) continue;
          expect(insideEvenOdd(curves, { re: x, im: y })).toBe(a < 1);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(500);
    },
  );

  it('RK1–RK4 regions are each bounded by one curve; a region of degree s winds s times', () => {
    for (const p of [1, 2, 3, 4]) {
      const curves = stabilityBoundary(taylorPolynomial(p), { points: 64 });
      expect(curves).toHaveLength(1);
      // arg R increases by 2π·s along the boundary: the curve is made of s branches of 64 θ steps (+ refinements)
      expect(curves[0].length).toBeGreaterThanOrEqual(64 * p + 1);
    }
  });
});

describe('stabilityTable', () => {
  it('reports stages, order and intervals, and formats them with 10 significant digits', () => {
    const rows = stabilityTable(['euler', 'rk4', 'kutta3']);
    expect(rows.map((r) => [r.name, r.stages, r.order])).toEqual([
      ['euler', 1, 1],
      ['rk4', 4, 4],
      ['kutta3', 3, 3],
    ]);
    expect(rows[1].realInterval).toBeCloseTo(2.7852935634, 9);
    expect(rows[1].imagInterval).toBeCloseTo(2 * Math.SQRT2, 9);
    const text = formatStabilityTable(rows);
    const lines = text.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[3]).toMatch(/^rk4\s+4\s+4\s+2\.785293563\s+2\.828427125$/);
    expect(lines[2]).toMatch(/^euler\s+1\s+1\s+2\.000000000\s+0$/);
    expect(stabilityTable()).toHaveLength(tableauNames().length);
    expect(() => stabilityTable(['nope'])).toThrow(/unknown method "nope"/);
  });
});

/** Light well-formedness check: every tag closes in order, attributes quoted, no stray '<' or '&'. */
function checkXml(svg: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  const body = svg.replace(/^<\?xml[^?]*\?>\s*/, '');
  const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null = re.exec(body);
  while (m !== null) {
    const text = body.slice(last, m.index);
    if (/[<>]/.test(text) || /&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bad text ${text}`);
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
    } else {
      names.push(name);
      if (!selfClose) stack.push(name);
    }
    last = re.lastIndex;
    m = re.exec(body);
  }
  if (stack.length || body.slice(last).trim()) throw new Error(`unclosed ${stack.join(',')}`);
  return names;
}

describe('regionsSvg', () => {
  it('renders a well-formed standalone SVG with regions, legend, axes and the requested poles', () => {
    const svg = regionsSvg({
      methods: [
        { name: 'RK4', R: taylorPolynomial(4) },
        { name: 'Euler <1>', R: taylorPolynomial(1), color: '#ff0000' },
      ],
      poles: [{ z: { re: -1.5, im: 1.25 }, label: 'hλ₁' }, { z: { re: -0.5, im: -2 } }],
      title: 'Regions & poles',
    });
    const tags = checkXml(svg);
    expect(tags[0]).toBe('svg');
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.match(/class="region"/g)).toHaveLength(2);
    expect(svg).toContain('data-method="Euler &lt;1&gt;"');
    expect(svg).toContain('fill="#ff0000"');
    expect(svg).toContain('Regions &amp; poles');
    expect(svg).toContain('data-re="-1.5" data-im="1.25"');
    expect(svg).toContain('data-re="-0.5" data-im="-2"');
    expect(svg).toContain('>hλ₁</text>');
    expect(svg.match(/class="pole"/g)).toHaveLength(2);
    expect(svg).toContain('>Re z<');
    expect(svg).toContain('>-2</text>'); // a tick label on the real axis
  });

  it('rejects bad input', () => {
    expect(() => regionsSvg({ methods: [] })).toThrow(/methods must be a non-empty array/);
    expect(() => regionsSvg({ methods: [{ name: 'a', R: taylorPolynomial(1) }], xRange: [1, 0] })).toThrow(/xRange/);
  });
});
