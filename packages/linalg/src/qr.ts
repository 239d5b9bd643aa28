import { QrDecomposition } from 'ml-matrix';
import { asDense, checkFinite, type DenseMatrix, denseMatrix, fromMlMatrix, toMlMatrix } from './dense.js';
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

/**
 * Thin Householder QR of an m×n matrix with m ≥ n (ml-matrix QrDecomposition): A = Q·R.
 * Without `positive`, R_jj has the Householder sign convention (R_jj = −sign(·)‖·‖).
 */
export function qr(a: DenseMatrix | number[][], opts: QrOptions = {}): QrResult {
  const A = asDense(a, 'a', 'qr');
  if (A.rows < A.cols || A.cols === 0) {
    throw new RangeError(`qr: a must have rows >= cols >= 1, got ${A.rows}x${A.cols}`);
  }
  checkFinite(A, 'a', 'qr');
  const dec = new QrDecomposition(toMlMatrix(A));
  const q = fromMlMatrix(dec.orthogonalMatrix);
  const r = fromMlMatrix(dec.upperTriangularMatrix);
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
