import { describe, expect, it } from 'vitest';
import {
  type Complex,
  cabs,
  type DenseMatrix,
  denseMatrix,
  eig,
  eigenvalues,
  eigenvaluesBatch,
  fromRows,
  frobeniusNorm,
  haarOrthogonal,
  matmul,
  Rng,
  transpose,
  zeros,
} from '../src/index.js';
import { matchSets } from './helpers.js';

function gaussian(n: number, rng: Rng): DenseMatrix {
  return denseMatrix(n, n, rng.fillNormal(new Float64Array(n * n)));
}

/** max_k ‖A v_k − λ_k v_k‖₂ */
function worstResidual(a: DenseMatrix, values: Complex[], vectors: Complex[][]): number {
  const n = a.rows;
  let worst = 0;
  values.forEach((l, k) => {
    const v = vectors[k];
    let r2 = 0;
    for (let i = 0; i < n; i++) {
      let re = -(l.re * v[i].re - l.im * v[i].im);
      let im = -(l.re * v[i].im + l.im * v[i].re);
      for (let j = 0; j < n; j++) {
        re += a.data[i * n + j] * v[j].re;
        im += a.data[i * n + j] * v[j].im;
      }
      r2 += re * re + im * im;
    }
    worst = Math.max(worst, Math.sqrt(r2));
  });
  return worst;
}

/** Sorted by descending real part, non-real values in exactly conjugate adjacent pairs (+ω first). */
function expectCanonicalOrder(values: Complex[]): void {
  for (let k = 0; k + 1 < values.length; k++) expect(values[k].re).toBeGreaterThanOrEqual(values[k + 1].re);
  for (let k = 0; k < values.length; k++) {
    const z = values[k];
    if (z.im > 0) {
      expect(values[k + 1]).toEqual({ re: z.re, im: -z.im });
      k++;
    } else {
      expect(z.im).toBe(0);
    }
  }
}

describe('eigenvalues of small matrices with known spectra', () => {
  it('2x2 cases', () => {
    expect(
      eigenvalues([
        [0, -1],
        [1, 0],
      ]),
    ).toEqual([
      { re: 0, im: 1 },
      { re: 0, im: -1 },
    ]);
    // [[1,2],[3,4]]: (5 ± √33)/2
    const v = eigenvalues([
      [1, 2],
      [3, 4],
    ]);
    expect(v[0].re).toBeCloseTo((5 + Math.sqrt(33)) / 2, 14);
    expect(v[1].re).toBeCloseTo((5 - Math.sqrt(33)) / 2, 14);
    expect(v.map((z) => z.im)).toEqual([0, 0]);
    // Jordan block: double eigenvalue 1
    matchSets(
      eigenvalues([
        [1, 1],
        [0, 1],
      ]),
      [
        { re: 1, im: 0 },
        { re: 1, im: 0 },
      ],
      1e-14,
    );
    expect(eigenvalues([[-3.5]])).toEqual([{ re: -3.5, im: 0 }]);
    expect(eigenvalues(zeros(3, 3))).toEqual([0, 0, 0].map(() => ({ re: 0, im: 0 })));
  });

  it('triangular and symmetric tridiagonal matrices', () => {
    const t = fromRows([
      [2, 5, -1],
      [0, -1, 7],
      [0, 0, 0.5],
    ]);
    matchSets(
      eigenvalues(t),
      [2, -1, 0.5].map((re) => ({ re, im: 0 })),
      1e-14,
    );
    // tridiag(−1, 2, −1) of size n: 2 − 2cos(kπ/(n+1))
    const n = 12;
    const a = zeros(n, n);
    for (let i = 0; i < n; i++) {
      a.data[i * n + i] = 2;
      if (i > 0) a.data[i * n + i - 1] = -1;
      if (i + 1 < n) a.data[i * n + i + 1] = -1;
    }
    const want = Array.from({ length: n }, (_, k) => ({ re: 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)), im: 0 }));
    matchSets(eigenvalues(a), want, 1e-13);
  });

  it('recovers prescribed complex pole pairs from Q·blockdiag([[μ, ω], [−ω, μ]])·Qᵀ', () => {
    const rng = new Rng('poles');
    const n = 10;
    const b = zeros(n, n);
    const want: Complex[] = [];
    for (let j = 0; j < n; j += 2) {
      const mu = rng.uniform(-3, 0);
      const om = rng.uniform(0.1, 2);
      b.data[j * n + j] = mu;
      b.data[(j + 1) * n + j + 1] = mu;
      b.data[j * n + j + 1] = om;
      b.data[(j + 1) * n + j] = -om;
      want.push({ re: mu, im: om }, { re: mu, im: -om });
    }
    const q = haarOrthogonal(n, rng);
    const a = matmul(matmul(q, b), transpose(q));
    const got = eigenvalues(a);
    expectCanonicalOrder(got);
    matchSets(got, want, 1e-12);
  });

  it('balancing: a badly scaled similarity D·A·D⁻¹ keeps the spectrum', () => {
    const a = fromRows([
      [1, 2, 0.5],
      [-3, 0.25, 1],
      [2, -1, -2],
    ]);
    const d = [1, 1e6, 1e-5];
    const s = zeros(3, 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s.data[i * 3 + j] = (d[i] * a.data[i * 3 + j]) / d[j];
    const ref = eigenvalues(a);
    // trace and sum of eigenvalues agree (Σλ = tr A = −0.75)
    expect(ref.reduce((acc, z) => acc + z.re, 0)).toBeCloseTo(-0.75, 13);
    matchSets(eigenvalues(s), ref, 1e-10);
    const { values, vectors } = eig(s, { vectors: true });
    expect(worstResidual(s, values, vectors)).toBeLessThan(1e-10 * frobeniusNorm(s));
  });
});

describe('eigenvalues of random nonsymmetric matrices', () => {
  for (const n of [2, 3, 5, 10, 33, 64, 128]) {
    it(`n = ${n}: ‖Av − λv‖ ≤ 1e-10·‖A‖, Σλ = tr A, canonical order`, () => {
      const a = gaussian(n, new Rng(`eig-${n}`));
      const { values, vectors } = eig(a, { vectors: true });
      expect(values).toHaveLength(n);
      expect(vectors).toHaveLength(n);
      expectCanonicalOrder(values);
      const norm = frobeniusNorm(a);
      expect(worstResidual(a, values, vectors)).toBeLessThanOrEqual(1e-10 * norm);
      for (const v of vectors) expect(Math.hypot(...v.map((z) => cabs(z)))).toBeCloseTo(1, 13);
      let tr = 0;
      for (let i = 0; i < n; i++) tr += a.data[i * n + i];
      expect(Math.abs(values.reduce((s, z) => s + z.re, 0) - tr)).toBeLessThan(1e-10 * n * norm);
      expect(eigenvalues(a)).toEqual(values);
      // conjugate eigenvalues get conjugate eigenvectors
      values.forEach((z, k) => {
        if (z.im > 0) expect(vectors[k + 1]).toEqual(vectors[k].map((w) => ({ re: w.re, im: -w.im })));
      });
    });
  }

  it('a real eigenvalue sharing the real part of a pair does not split the pair', () => {
    // blockdiag(1, [[1, 2], [−2, 1]]): eigenvalues 1 and 1 ± 2i
    const v = eigenvalues([
      [1, 0, 0],
      [0, 1, 2],
      [0, -2, 1],
    ]);
    expectCanonicalOrder(v);
    expect(v[2].im).toBe(0);
    matchSets(
      v,
      [
        { re: 1, im: 2 },
        { re: 1, im: -2 },
        { re: 1, im: 0 },
      ],
      1e-14,
    );
  });

  it('balance: false gives the same spectrum on a well-scaled matrix', () => {
    const a = gaussian(9, new Rng('nobalance'));
    matchSets(eig(a, { balance: false }).values, eigenvalues(a), 1e-12);
  });

  it('eig without vectors returns values only', () => {
    const a = gaussian(4, new Rng(3));
    const r = eig(a);
    expect(r.vectors).toBeUndefined();
    expect(r.values).toEqual(eigenvalues(a));
    expect(eig([[2]], { vectors: true }).vectors).toEqual([[{ re: 1, im: 0 }]]);
  });
});

describe('eigenvaluesBatch', () => {
  it('2x2 batch agrees with the closed form tr/2 ± √((a−d)²/4 + bc)', () => {
    const rng = new Rng('batch');
    const count = 500;
    const data = rng.fillUniform(new Float64Array(4 * count), -2, 2);
    const out = eigenvaluesBatch(data, 2);
    expect(out).toHaveLength(count);
    for (let k = 0; k < count; k++) {
      const [a, b, c, d] = data.subarray(4 * k, 4 * k + 4);
      const m = (a + d) / 2;
      const disc = ((a - d) / 2) ** 2 + b * c;
      const s = Math.sqrt(Math.abs(disc));
      const want =
        disc >= 0
          ? [
              { re: m + s, im: 0 },
              { re: m - s, im: 0 },
            ]
          : [
              { re: m, im: s },
              { re: m, im: -s },
            ];
      expectCanonicalOrder(out[k]);
      matchSets(out[k], want, 1e-12);
    }
  });

  it('larger matrices agree with eigenvalues() one by one', () => {
    const rng = new Rng('batch5');
    const data = rng.fillNormal(new Float64Array(25 * 7));
    const out = eigenvaluesBatch(data, 5);
    expect(out).toHaveLength(7);
    out.forEach((vals, k) => {
      expect(vals).toEqual(eigenvalues(denseMatrix(5, 5, data.subarray(25 * k, 25 * k + 25))));
    });
    expect(eigenvaluesBatch(new Float64Array(0), 3)).toEqual([]);
  });
});

describe('bad input', () => {
  it('throws naming the argument and the value', () => {
    expect(() => eigenvalues(zeros(2, 3))).toThrow(/non-empty square matrix, got 2x3/);
    expect(() => eigenvalues(zeros(0, 0))).toThrow(/got 0x0/);
    expect(() =>
      eigenvalues([
        [1, Number.NaN],
        [0, 1],
      ]),
    ).toThrow(/a\[0\]\[1\] must be finite, got NaN/);
    expect(() =>
      eig(
        [
          [1, 0],
          [Number.POSITIVE_INFINITY, 1],
        ],
        { vectors: true },
      ),
    ).toThrow(/a\[1\]\[0\] must be finite, got Infinity/);
    expect(() => eigenvalues({ rows: 2, cols: 2, data: new Float64Array(3) })).toThrow(/must be a DenseMatrix/);
    expect(() => eigenvaluesBatch(new Float64Array(7), 2)).toThrow(/data length 7 is not a multiple of n\*n = 4/);
    expect(() => eigenvaluesBatch(new Float64Array(4), 0)).toThrow(/n must be a positive integer, got 0/);
    expect(() => eigenvaluesBatch(new Float64Array([1, 2, 3, 4, 5, 6, 7, Number.NaN]), 2)).toThrow(
      /matrix 1 entry \[1\]\[1\] must be finite, got NaN/,
    );
  });
});

describe('eigenvalues of badly scaled matrices', () => {
  it('returns for an 8×8 matrix with entries near 1e±200, equal to the scaled spectrum', async () => {
    const { Rng } = await import('../src/rng.js');
    const rng = new Rng(7);
    for (const scale of [1e200, 1e-200, 1e300, 2 ** -1000]) {
      const base = Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => rng.normal()));
      const ref = eigenvalues(base);
      const got = eigenvalues(base.map((row) => row.map((x) => x * scale)));
      expect(got).toHaveLength(8);
      for (let k = 0; k < 8; k++) {
        // Scaling by s multiplies every eigenvalue by s (same ordering for s > 0).
        expect(got[k].re / scale).toBeCloseTo(ref[k].re, 9);
        expect(got[k].im / scale).toBeCloseTo(ref[k].im, 9);
      }
    }
  });

  it('the zero matrix has only zero eigenvalues', () => {
    expect(
      eigenvalues([
        [0, 0],
        [0, 0],
      ]),
    ).toEqual([
      { re: 0, im: 0 },
      { re: 0, im: 0 },
    ]);
  });
});
