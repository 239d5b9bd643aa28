import { asDense, checkFinite, type DenseMatrix, denseMatrix } from './dense.js';
import type { Rng } from './rng.js';

export interface QrResult {
  /** m×n with orthonormal columns. */
  q: DenseMatrix;
  /** n×n upper triangular. */
  r: DenseMatrix;
}

export interface QrOptions {
  /** Flip signs so that diag(R) ≥ 0 (Q column j and R row j times sign(R_jj)). Default false. */
  positive?: boolean;
}

/** sqrt(a² + b²) without overflow, evaluated as ml-matrix's `hypotenuse` (the same operations). */
function hypotenuse(a: number, b: number): number {
  if (Math.abs(a) > Math.abs(b)) {
    const r = b / a;
    return Math.abs(a) * Math.sqrt(1 + r * r);
  }
  if (b !== 0) {
    const r = a / b;
    return Math.abs(b) * Math.sqrt(1 + r * r);
  }
  return 0;
}

/**
 * JAMA's Householder QR as ml-matrix's QrDecomposition computes it (the same floating-point operations
 * in the same order, so the same bits), on column-major Float64Arrays so that its column sweeps run
 * over contiguous memory: ~10× faster for 128 × 128 than through ml-matrix's row arrays.
 */
function householderQr(A: DenseMatrix): QrResult {
  const m = A.rows;
  const n = A.cols;
  const qr = new Float64Array(m * n); // column-major: entry (i, k) at k·m + i
  for (let i = 0; i < m; i++) for (let k = 0; k < n; k++) qr[k * m + i] = A.data[i * n + k];
  const rdiag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const ck = k * m;
    let nrm = 0;
    for (let i = k; i < m; i++) nrm = hypotenuse(nrm, qr[ck + i]);
    if (nrm !== 0) {
      if (qr[ck + k] < 0) nrm = -nrm;
      for (let i = k; i < m; i++) qr[ck + i] = qr[ck + i] / nrm;
      qr[ck + k] = qr[ck + k] + 1;
      for (let j = k + 1; j < n; j++) {
        const cj = j * m;
        let s = 0;
        for (let i = k; i < m; i++) s += qr[ck + i] * qr[cj + i];
        s = -s / qr[ck + k];
        for (let i = k; i < m; i++) qr[cj + i] = qr[cj + i] + s * qr[ck + i];
      }
    }
    rdiag[k] = -nrm;
  }
  // Q (m×n) from the Householder vectors, backwards (ml-matrix's orthogonalMatrix), column-major.
  const x = new Float64Array(m * n);
  for (let k = n - 1; k >= 0; k--) {
    const ck = k * m;
    x.fill(0, ck, ck + m);
    x[ck + k] = 1;
    const qkk = qr[ck + k];
    if (qkk === 0) continue;
    for (let j = k; j < n; j++) {
      const cj = j * m;
      let s = 0;
      for (let i = k; i < m; i++) s += qr[ck + i] * x[cj + i];
      s = -s / qkk;
      for (let i = k; i < m; i++) x[cj + i] = x[cj + i] + s * qr[ck + i];
    }
  }
  const q = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * n + j] = x[j * m + i];
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    r[i * n + i] = rdiag[i];
    for (let j = i + 1; j < n; j++) r[i * n + j] = qr[j * m + i];
  }
  return { q: denseMatrix(m, n, q), r: denseMatrix(n, n, r) };
}

/**
 * Thin Householder QR of an m×n matrix with m ≥ n (JAMA's algorithm, the bits of ml-matrix's
 * QrDecomposition): A = Q·R. Without `positive`, R_jj has the Householder sign convention
 * (R_jj = −sign(·)‖·‖).
 */
export function qr(a: DenseMatrix | number[][], opts: QrOptions = {}): QrResult {
  const A = asDense(a, 'a', 'qr');
  if (A.rows < A.cols || A.cols === 0) {
    throw new RangeError(`qr: a must have rows >= cols >= 1, got ${A.rows}x${A.cols}`);
  }
  checkFinite(A, 'a', 'qr');
  const { q, r } = householderQr(A);
  if (opts.positive) {
    const n = A.cols;
    for (let j = 0; j < n; j++) {
      if (r.data[j * n + j] >= 0) continue;
      for (let i = 0; i < q.rows; i++) q.data[i * n + j] = -q.data[i * n + j];
      for (let k = j; k < n; k++) r.data[j * n + k] = -r.data[j * n + k];
    }
  }
  return { q, r };
}

/**
 * Haar-distributed (uniform) random n×n orthogonal matrix: G with i.i.d. N(0, 1) entries drawn
 * row-major from `rng`, G = QR, then column j of Q multiplied by sign(R_jj) (Mezzadri 2007). Without
 * the sign fix the distribution of Q is not Haar.
 */
export function haarOrthogonal(n: number, rng: Rng): DenseMatrix {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`haarOrthogonal: n must be a positive integer, got ${n}`);
  if (rng === null || typeof rng !== 'object' || typeof rng.fillNormal !== 'function') {
    throw new TypeError('haarOrthogonal: rng must be an Rng');
  }
  const g = denseMatrix(n, n, rng.fillNormal(new Float64Array(n * n)));
  return qr(g, { positive: true }).q;
}
