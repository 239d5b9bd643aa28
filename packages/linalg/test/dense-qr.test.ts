import { Matrix, QrDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  type DenseMatrix,
  denseMatrix,
  frobeniusNorm,
  fromMlMatrix,
  fromRows,
  get,
  haarOrthogonal,
  identity,
  matmul,
  matvec,
  qr,
  Rng,
  set,
  toMlMatrix,
  toRows,
  transpose,
  zeros,
} from '../src/index.js';

function maxAbsDiff(a: DenseMatrix, b: DenseMatrix): number {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  let m = 0;
  for (let k = 0; k < a.data.length; k++) m = Math.max(m, Math.abs(a.data[k] - b.data[k]));
  return m;
}

function gaussian(rows: number, cols: number, rng: Rng): DenseMatrix {
  return denseMatrix(rows, cols, rng.fillNormal(new Float64Array(rows * cols)));
}

describe('DenseMatrix helpers', () => {
  it('construct, index, transpose and multiply', () => {
    const a = fromRows([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(a.data).toEqual(new Float64Array([1, 2, 3, 4, 5, 6]));
    expect(get(a, 1, 0)).toBe(4);
    expect(toRows(transpose(a))).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    // [[1,2,3],[4,5,6]]·[[1,4],[2,5],[3,6]] = [[14, 32], [32, 77]]
    expect(toRows(matmul(a, transpose(a)))).toEqual([
      [14, 32],
      [32, 77],
    ]);
    expect(Array.from(matvec(a, [1, 0, -1]))).toEqual([-2, -2]);
    expect(toRows(matmul(identity(2), a))).toEqual(toRows(a));
    expect(zeros(2, 3).data).toEqual(new Float64Array(6));
    const b = zeros(2, 2);
    set(b, 0, 1, 7);
    expect(b.data[1]).toBe(7);
    // ‖[[3, 4]]‖_F = 5, and no overflow for huge entries
    expect(frobeniusNorm(fromRows([[3, 4]]))).toBe(5);
    expect(frobeniusNorm(fromRows([[3e300, 4e300]]))).toBeCloseTo(5e300, -286);
    const src = [1, 2, 3, 4];
    const c = denseMatrix(2, 2, src);
    src[0] = 100;
    expect(c.data[0]).toBe(1); // copied
  });

  it('round-trips through ml-matrix', () => {
    const a = gaussian(3, 5, new Rng(1));
    const m = toMlMatrix(a);
    expect(m).toBeInstanceOf(Matrix);
    expect(m.get(2, 4)).toBe(a.data[14]);
    expect(fromMlMatrix(m)).toEqual(a);
  });

  it('rejects bad shapes and indices', () => {
    expect(() => denseMatrix(2, 2, [1, 2, 3])).toThrow(/data length must be rows\*cols = 4, got 3/);
    expect(() => denseMatrix(-1, 2)).toThrow(/rows must be a non-negative integer, got -1/);
    expect(() => fromRows([[1, 2], [3]])).toThrow(/row 1 must have length 2, got 1/);
    expect(() => get(identity(2), 2, 0)).toThrow(/row i=2 out of range/);
    expect(() => matmul(zeros(2, 3), zeros(2, 3))).toThrow(/inner dimensions differ, a is 2x3, b is 2x3/);
  });
});

describe('qr', () => {
  for (const [m, n] of [
    [5, 5],
    [20, 7],
    [64, 64],
  ] as const) {
    it(`${m}x${n}: QᵀQ = I, QR = A, R upper triangular`, () => {
      const a = gaussian(m, n, new Rng(`qr-${m}-${n}`));
      const { q, r } = qr(a);
      expect([q.rows, q.cols, r.rows, r.cols]).toEqual([m, n, n, n]);
      expect(maxAbsDiff(matmul(transpose(q), q), identity(n))).toBeLessThan(1e-12);
      expect(maxAbsDiff(matmul(q, r), a)).toBeLessThan(1e-12 * frobeniusNorm(a));
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(r.data[i * n + j]).toBe(0);
    });
  }

  it('positive option matches Gram–Schmidt (QR with diag R > 0 is unique)', () => {
    const a = fromRows([
      [2, -1, 0.5],
      [1, 3, -2],
      [0, 1, 4],
      [-1, 0, 1],
    ]);
    const { q, r } = qr(a, { positive: true });
    // modified Gram–Schmidt in plain arithmetic, independent of the Householder code
    const cols = [0, 1, 2].map((j) => [0, 1, 2, 3].map((i) => a.data[i * 3 + j]));
    const qs: number[][] = [];
    const rs = [0, 1, 2].map(() => [0, 0, 0]);
    cols.forEach((v, j) => {
      const w = [...v];
      qs.forEach((u, k) => {
        const d = u.reduce((s, x, i) => s + x * w[i], 0);
        rs[k][j] = d;
        for (let i = 0; i < 4; i++) w[i] -= d * u[i];
      });
      const nrm = Math.hypot(...w);
      rs[j][j] = nrm;
      qs.push(w.map((x) => x / nrm));
    });
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) expect(q.data[i * 3 + j]).toBeCloseTo(qs[j][i], 13);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(r.data[i * 3 + j]).toBeCloseTo(rs[i][j], 13);
  });

  it('rejects wide, empty and non-finite input', () => {
    expect(() => qr(zeros(2, 3))).toThrow(/rows >= cols >= 1, got 2x3/);
    expect(() => qr(fromRows([[1], [Number.NaN]]))).toThrow(/a\[1\]\[0\] must be finite, got NaN/);
  });
});

describe('haarOrthogonal', () => {
  it('is orthogonal with determinant ±1 and reproducible', () => {
    for (const n of [1, 2, 7, 40]) {
      const q = haarOrthogonal(n, new Rng(n));
      expect(maxAbsDiff(matmul(transpose(q), q), identity(n))).toBeLessThan(1e-12);
      expect(maxAbsDiff(matmul(q, transpose(q)), identity(n))).toBeLessThan(1e-12);
      expect(Math.abs(Math.abs(detByLu(q)) - 1)).toBeLessThan(1e-10);
      expect(haarOrthogonal(n, new Rng(n))).toEqual(q);
    }
  });

  it('has the moments of the Haar measure on O(n) (5 standard errors)', () => {
    const n = 4;
    const M = 4000;
    const rng = new Rng('haar');
    let tr = 0;
    let tr2 = 0;
    let q11 = 0;
    let q11sq = 0;
    let entrySq = 0;
    for (let s = 0; s < M; s++) {
      const q = haarOrthogonal(n, rng);
      let t = 0;
      for (let i = 0; i < n; i++) t += q.data[i * n + i];
      tr += t;
      tr2 += t * t;
      q11 += q.data[0];
      q11sq += q.data[0] ** 2;
      entrySq += q.data[n * n - 1] ** 2;
    }
    // Haar O(n), n ≥ 2: E tr Q = 0, E (tr Q)² = 1; Q_11 is a coordinate of a uniform unit vector:
    // E Q_11 = 0, E Q_11² = 1/n, Var Q_11² = 3/(n(n+2)) − 1/n².
    expect(Math.abs(tr / M)).toBeLessThan(5 * Math.sqrt(1 / M));
    // For j ≤ n the moments E (tr Q)^j equal those of N(0, 1) (Diaconis–Shahshahani): Var (tr Q)² = 3 − 1.
    expect(Math.abs(tr2 / M - 1)).toBeLessThan(5 * Math.sqrt(2 / M));
    // Without the sign fix, Householder QR would give Q_11 < 0 always (mean −E|Q_11| ≈ −0.42).
    expect(Math.abs(q11 / M)).toBeLessThan(5 * Math.sqrt(1 / n / M));
    const v = 3 / (n * (n + 2)) - 1 / n ** 2;
    expect(Math.abs(q11sq / M - 1 / n)).toBeLessThan(5 * Math.sqrt(v / M));
    expect(Math.abs(entrySq / M - 1 / n)).toBeLessThan(5 * Math.sqrt(v / M));
  });

  it('n = 1 gives ±1 with probability ½ each', () => {
    const rng = new Rng(12);
    const M = 4000;
    let plus = 0;
    for (let s = 0; s < M; s++) {
      const q = haarOrthogonal(1, rng).data[0];
      expect(Math.abs(q)).toBe(1);
      if (q > 0) plus++;
    }
    expect(Math.abs(plus / M - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / M));
  });

  it('rejects bad n and rng', () => {
    expect(() => haarOrthogonal(0, new Rng(1))).toThrow(/n must be a positive integer, got 0/);
    expect(() => haarOrthogonal(2, {} as Rng)).toThrow(/rng must be an Rng/);
  });
});

function detByLu(a: DenseMatrix): number {
  // Gaussian elimination with partial pivoting (independent of ml-matrix)
  const n = a.rows;
  const m = Array.from(a.data);
  let det = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i * n + k]) > Math.abs(m[p * n + k])) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [m[k * n + j], m[p * n + j]] = [m[p * n + j], m[k * n + j]];
      det = -det;
    }
    det *= m[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k] / m[k * n + k];
      for (let j = k; j < n; j++) m[i * n + j] -= f * m[k * n + j];
    }
  }
  return det;
}

describe('qr gives the bits of ml-matrix’s QrDecomposition', () => {
  it('for square, tall, rank-deficient and zero-column matrices', () => {
    const rng = new Rng('qr-bits');
    const shapes: [number, number][] = [
      [1, 1],
      [2, 2],
      [5, 3],
      [7, 7],
      [9, 4],
      [33, 33],
      [128, 128],
    ];
    let compared = 0;
    for (const [m, n] of shapes) {
      for (const variant of ['random', 'zero column', 'repeated column'] as const) {
        const data = rng.fillNormal(new Float64Array(m * n));
        if (variant === 'zero column' && n > 1) for (let i = 0; i < m; i++) data[i * n + 1] = 0;
        if (variant === 'repeated column' && n > 2) for (let i = 0; i < m; i++) data[i * n + 2] = data[i * n];
        const A = denseMatrix(m, n, data);
        const dec = new QrDecomposition(new Matrix(Array.from({ length: m }, (_, i) => Array.from(data.subarray(i * n, (i + 1) * n)))));
        const wantQ = dec.orthogonalMatrix.to1DArray();
        const wantR = dec.upperTriangularMatrix.to1DArray();
        const { q, r } = qr(A);
        expect(
          q.data.every((v, i) => Object.is(v, wantQ[i])),
          `Q of ${m}×${n} ${variant}`,
        ).toBe(true);
        expect(
          r.data.every((v, i) => Object.is(v, wantR[i])),
          `R of ${m}×${n} ${variant}`,
        ).toBe(true);
        compared++;
      }
    }
    expect(compared).toBe(21);
  });
});
