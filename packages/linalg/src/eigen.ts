import { EigenvalueDecomposition } from 'ml-matrix';
import type { Complex } from './complex.js';
import { asDense, checkFinite, type DenseMatrix, denseMatrix, toMlMatrix } from './dense.js';

export interface EigOptions {
  /** Also return eigenvectors. */
  vectors?: boolean;
  /** Diagonal balancing by powers of 2 before the QR iteration (exact similarity). Default true. */
  balance?: boolean;
}

export interface EigResult {
  values: Complex[];
  /** vectors[k] (length n, unit 2-norm) pairs values[k]; present when `vectors: true`. */
  vectors?: Complex[][];
}

/**
 * Parlett–Reinsch balancing (EISPACK `balanc` without permutations, radix 2): returns B = D⁻¹AD and
 * the diagonal d of D. Row and column i are scaled by a power of two until their off-diagonal 1-norms
 * are within a factor 2, which only changes rounding, not the spectrum, and reduces ‖B‖ for badly
 * scaled matrices (companion matrices in particular).
 */
function balance(a: DenseMatrix): { b: DenseMatrix; d: Float64Array } {
  const n = a.rows;
  const b = denseMatrix(n, n, a.data);
  const x = b.data;
  const d = new Float64Array(n).fill(1);
  let converged = false;
  for (let sweep = 0; !converged && sweep < 100; sweep++) {
    converged = true;
    for (let i = 0; i < n; i++) {
      let c = 0;
      let r = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        c += Math.abs(x[j * n + i]);
        r += Math.abs(x[i * n + j]);
      }
      if (c === 0 || r === 0) continue;
      const s = c + r;
      let f = 1;
      let g = r / 2;
      while (c < g && f < 2 ** 500) {
        f *= 2;
        c *= 4;
      }
      g = r * 2;
      while (c >= g && f > 2 ** -500) {
        f /= 2;
        c /= 4;
      }
      if ((c + r) / f < 0.95 * s) {
        converged = false;
        d[i] *= f;
        for (let j = 0; j < n; j++) x[i * n + j] /= f;
        for (let j = 0; j < n; j++) x[j * n + i] *= f;
      }
    }
  }
  return { b, d };
}

interface Unit {
  re: number;
  /** ≥ 0; > 0 means the conjugate pair re ± i·im. */
  im: number;
  /** Column(s) of ml-matrix's eigenvector matrix: v = V[:,j] (+ i·V[:,j+1] for a pair). */
  col: number;
}

/** Normalize to unit 2-norm with the largest-modulus component real and positive. */
function normalize(v: Complex[]): Complex[] {
  let big = 0;
  let norm2 = 0;
  for (let k = 0; k < v.length; k++) {
    const m = v[k].re ** 2 + v[k].im ** 2;
    norm2 += m;
    if (m > v[big].re ** 2 + v[big].im ** 2) big = k;
  }
  const p = v[big];
  const pm = Math.hypot(p.re, p.im);
  if (pm === 0) return v;
  // multiply by conj(p)/|p| / ‖v‖
  const s = 1 / (pm * Math.sqrt(norm2));
  const cr = p.re * s;
  const ci = -p.im * s;
  return v.map((z) => ({ re: z.re * cr - z.im * ci, im: z.re * ci + z.im * cr }));
}

function eigCore(A: DenseMatrix, wantVectors: boolean, doBalance: boolean): EigResult {
  const n = A.rows;
  if (n === 1) {
    const values = [{ re: A.data[0], im: 0 }];
    return wantVectors ? { values, vectors: [[{ re: 1, im: 0 }]] } : { values };
  }
  // Scale by a power of two so that the largest entry lies in [1, 2): exact in binary, and it keeps the
  // QR iteration's products from overflowing (entries near 1e±200 made it loop on NaN forever).
  const { scaled, factor } = scaleToUnit(A);
  if (factor === 0) {
    const values = Array.from({ length: n }, () => ({ re: 0, im: 0 }));
    if (!wantVectors) return { values };
    return { values, vectors: values.map((_, k) => Array.from({ length: n }, (_, i) => ({ re: i === k ? 1 : 0, im: 0 }))) };
  }
  const { b, d } = doBalance ? balance(scaled) : { b: scaled, d: new Float64Array(n).fill(1) };
  const evd = new EigenvalueDecomposition(toMlMatrix(b));
  const re = Array.from(evd.realEigenvalues, (x) => x * factor);
  const im = Array.from(evd.imaginaryEigenvalues, (x) => x * factor);
  for (let j = 0; j < n; j++) {
    if (Number.isNaN(re[j]) || Number.isNaN(im[j]))
      throw new Error(`eigenvalues: the QR iteration did not converge (eigenvalue ${j} is NaN)`);
  }
  // ml-matrix (JAMA hqr2) stores a conjugate pair at adjacent indices j, j+1 with identical real parts
  // and imaginary parts +ω, −ω; v = V[:,j] ± i·V[:,j+1]. Group into units and force exact conjugacy.
  const units: Unit[] = [];
  for (let j = 0; j < n; j++) {
    if (im[j] === 0) {
      units.push({ re: re[j], im: 0, col: j });
    } else if (j + 1 < n && im[j + 1] === -im[j] && re[j + 1] === re[j]) {
      units.push({ re: re[j], im: Math.abs(im[j]), col: im[j] > 0 ? j : -1 - j });
      j++;
    } else {
      throw new Error(`eigenvalues: internal error, unpaired complex eigenvalue ${re[j]} + ${im[j]}i`);
    }
  }
  // Descending real part; ties: larger |imag| first. Pairs stay adjacent, +ω before −ω.
  units.sort((u, v) => v.re - u.re || v.im - u.im);
  const values: Complex[] = [];
  for (const u of units) {
    values.push({ re: u.re, im: u.im });
    if (u.im > 0) values.push({ re: u.re, im: -u.im });
  }
  if (!wantVectors) return { values };

  const V = evd.eigenvectorMatrix;
  const vectors: Complex[][] = [];
  for (const u of units) {
    if (u.im === 0) {
      const v: Complex[] = [];
      for (let i = 0; i < n; i++) v.push({ re: d[i] * V.get(i, u.col), im: 0 });
      vectors.push(normalize(v));
      continue;
    }
    // col ≥ 0: λ = re + iω at column j; col < 0: ml-matrix listed −ω first (sign flip of the imaginary part).
    const j = u.col >= 0 ? u.col : -1 - u.col;
    const sgn = u.col >= 0 ? 1 : -1;
    const v: Complex[] = [];
    for (let i = 0; i < n; i++) v.push({ re: d[i] * V.get(i, j), im: sgn * d[i] * V.get(i, j + 1) });
    const w = normalize(v);
    vectors.push(
      w,
      w.map((z) => ({ re: z.re, im: -z.im })),
    );
  }
  return { values, vectors };
}

/** A·2^−e with 2^e ≤ max|a_ij| < 2^(e+1); `factor` = 2^e undoes it (0 for the zero matrix). */
function scaleToUnit(A: DenseMatrix): { scaled: DenseMatrix; factor: number } {
  let big = 0;
  for (const x of A.data) big = Math.max(big, Math.abs(x));
  if (big === 0) return { scaled: A, factor: 0 };
  const e = Math.floor(Math.log2(big));
  if (e === 0) return { scaled: A, factor: 1 };
  // Two factors so that neither 2^e nor 2^−e overflows for e near ±1023.
  const half = Math.trunc(e / 2);
  const s1 = 2 ** -half;
  const s2 = 2 ** -(e - half);
  const data = Float64Array.from(A.data, (x) => x * s1 * s2);
  return { scaled: { rows: A.rows, cols: A.cols, data }, factor: 2 ** half * 2 ** (e - half) };
}

function checkSquare(A: DenseMatrix, fn: string): void {
  if (A.rows !== A.cols || A.rows === 0) {
    throw new RangeError(`${fn}: a must be a non-empty square matrix, got ${A.rows}x${A.cols}`);
  }
  checkFinite(A, 'a', fn);
}

/**
 * Eigenvalues of a real (generally nonsymmetric) square matrix, via balancing + ml-matrix
 * EigenvalueDecomposition (Hessenberg reduction + shifted QR). Sorted by descending real part; complex
 * eigenvalues come in exactly conjugate adjacent pairs (+ω first). Equal real parts: larger |ω| first.
 */
export function eigenvalues(a: DenseMatrix | number[][]): Complex[] {
  const A = asDense(a, 'a', 'eigenvalues');
  checkSquare(A, 'eigenvalues');
  return eigCore(A, false, true).values;
}

/** Eigenvalues and (with `vectors: true`) unit-norm complex eigenvectors; vectors[k] pairs values[k]. */
export function eig(a: DenseMatrix | number[][], opts: EigOptions & { vectors: true }): Required<EigResult>;
export function eig(a: DenseMatrix | number[][], opts?: EigOptions): EigResult;
export function eig(a: DenseMatrix | number[][], opts: EigOptions = {}): EigResult {
  const A = asDense(a, 'a', 'eig');
  checkSquare(A, 'eig');
  return eigCore(A, opts.vectors === true, opts.balance !== false);
}

/** Eigenvalues of `count` consecutive n×n row-major matrices stored in `data` (length count·n²). */
export function eigenvaluesBatch(data: Float64Array, n: number): Complex[][] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`eigenvaluesBatch: n must be a positive integer, got ${n}`);
  if (!(data instanceof Float64Array)) throw new TypeError('eigenvaluesBatch: data must be a Float64Array');
  const size = n * n;
  if (data.length % size !== 0) {
    throw new RangeError(`eigenvaluesBatch: data length ${data.length} is not a multiple of n*n = ${size}`);
  }
  const out: Complex[][] = [];
  for (let k = 0; k * size < data.length; k++) {
    const A: DenseMatrix = { rows: n, cols: n, data: data.subarray(k * size, (k + 1) * size) };
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(A.data[i])) {
        throw new RangeError(`eigenvaluesBatch: matrix ${k} entry [${Math.floor(i / n)}][${i % n}] must be finite, got ${A.data[i]}`);
      }
    }
    out.push(eigCore(A, false, true).values);
  }
  return out;
}
