/** Small real linear systems with prescribed poles (float64). */
import { type DenseMatrix, fromRows, haarOrthogonal, matmul, type Rng, transpose } from '@sii/linalg';

/** Block-diagonal D: 1×1 blocks for real poles, [[σ, ω], [−ω, σ]] for a pair σ ± iω (adjacent). */
export function blockDiagonal(poles: readonly [number, number][]): DenseMatrix {
  const n = poles.length;
  const rows = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    const [re, im] = poles[j];
    if (im !== 0) {
      if (j + 1 >= n || poles[j + 1][0] !== re || poles[j + 1][1] !== -im) {
        throw new RangeError(`poles: complex pole ${re}${im >= 0 ? '+' : ''}${im}i at index ${j} must be followed by its conjugate`);
      }
      rows[j][j] = re;
      rows[j][j + 1] = Math.abs(im);
      rows[j + 1][j] = -Math.abs(im);
      rows[j + 1][j + 1] = re;
      j++;
    } else {
      rows[j][j] = re;
    }
  }
  return fromRows(rows);
}

/** A = Q·D·Qᵀ with a seeded Haar-orthogonal Q: same eigenvalues as D, mixed coordinates. */
export function linearSystem(poles: readonly [number, number][], rng: Rng): { A: DenseMatrix; Q: DenseMatrix; D: DenseMatrix } {
  const D = blockDiagonal(poles);
  const Q = haarOrthogonal(D.rows, rng);
  return { A: matmul(matmul(Q, D), transpose(Q)), Q, D };
}

/** dy/dt = A·y as an @sii/rk right-hand side. */
export function linearRhs(A: DenseMatrix): (t: number, y: Float64Array, dy: Float64Array) => void {
  const n = A.rows;
  return (_t, y, dy) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A.data[i * n + j] * y[j];
      dy[i] = s;
    }
  };
}
