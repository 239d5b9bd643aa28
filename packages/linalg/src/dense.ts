import { Matrix } from 'ml-matrix';
import { showValue } from './show.js';

/** Row-major float64 matrix: entry (i, j) is `data[i * cols + j]`. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

function checkDim(n: number, name: string, fn: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${fn}: ${name} must be a non-negative integer, got ${n}`);
}

/** Create a rows×cols matrix; `data` (row-major, length rows·cols) is copied, zeros when omitted. */
export function denseMatrix(rows: number, cols: number, data?: ArrayLike<number>): DenseMatrix {
  checkDim(rows, 'rows', 'denseMatrix');
  checkDim(cols, 'cols', 'denseMatrix');
  const out = new Float64Array(rows * cols);
  if (data !== undefined) {
    if (data.length !== rows * cols) {
      throw new RangeError(`denseMatrix: data length must be rows*cols = ${rows * cols}, got ${data.length}`);
    }
    out.set(data);
  }
  return { rows, cols, data: out };
}

export function zeros(rows: number, cols: number): DenseMatrix {
  return denseMatrix(rows, cols);
}

export function identity(n: number): DenseMatrix {
  const a = denseMatrix(n, n);
  for (let i = 0; i < n; i++) a.data[i * n + i] = 1;
  return a;
}

/** From an array of equally long rows. */
export function fromRows(rows: number[][]): DenseMatrix {
  if (!Array.isArray(rows)) throw new TypeError(`fromRows: rows must be an array of arrays, got ${typeof rows}`);
  const m = rows.length;
  const n = m === 0 ? 0 : rows[0].length;
  const a = denseMatrix(m, n);
  for (let i = 0; i < m; i++) {
    const r = rows[i];
    if (!Array.isArray(r) || r.length !== n) {
      throw new RangeError(`fromRows: row ${i} must have length ${n}, got ${Array.isArray(r) ? r.length : typeof r}`);
    }
    for (let j = 0; j < n; j++) {
      if (typeof r[j] !== 'number') throw new TypeError(`fromRows: rows[${i}][${j}] must be a number, got ${showValue(r[j])}`);
      a.data[i * n + j] = r[j];
    }
  }
  return a;
}

export function toRows(a: DenseMatrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

function checkIndex(a: DenseMatrix, i: number, j: number, fn: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= a.rows) throw new RangeError(`${fn}: row i=${i} out of range [0, ${a.rows})`);
  if (!Number.isInteger(j) || j < 0 || j >= a.cols) throw new RangeError(`${fn}: column j=${j} out of range [0, ${a.cols})`);
}

/** Entry (i, j), bounds-checked. */
export function get(a: DenseMatrix, i: number, j: number): number {
  checkIndex(a, i, j, 'get');
  return a.data[i * a.cols + j];
}

/** Set entry (i, j) in place, bounds-checked. */
export function set(a: DenseMatrix, i: number, j: number, value: number): void {
  checkIndex(a, i, j, 'set');
  a.data[i * a.cols + j] = value;
}

export function transpose(a: DenseMatrix): DenseMatrix {
  const t = denseMatrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  }
  return t;
}

/** Matrix product a·b (i-k-j loop order for row-major access). */
export function matmul(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  if (a.cols !== b.rows) {
    throw new RangeError(`matmul: inner dimensions differ, a is ${a.rows}x${a.cols}, b is ${b.rows}x${b.cols}`);
  }
  const c = denseMatrix(a.rows, b.cols);
  const n = b.cols;
  for (let i = 0; i < a.rows; i++) {
    const ci = i * n;
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) c.data[ci + j] += aik * b.data[bk + j];
    }
  }
  return c;
}

/** Matrix-vector product a·x. */
export function matvec(a: DenseMatrix, x: ArrayLike<number>): Float64Array {
  if (x.length !== a.cols) throw new RangeError(`matvec: x length must be ${a.cols}, got ${x.length}`);
  const y = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) s += a.data[i * a.cols + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** Frobenius norm √(Σ a_ij²), overflow-safe scaling. */
export function frobeniusNorm(a: DenseMatrix): number {
  let scale = 0;
  for (const v of a.data) scale = Math.max(scale, Math.abs(v));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (const v of a.data) s += (v / scale) ** 2;
  return scale * Math.sqrt(s);
}

export function toMlMatrix(a: DenseMatrix): Matrix {
  const m = new Matrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) m.set(i, j, a.data[i * a.cols + j]);
  }
  return m;
}

export function fromMlMatrix(m: Matrix): DenseMatrix {
  const a = denseMatrix(m.rows, m.columns);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.columns; j++) a.data[i * m.columns + j] = m.get(i, j);
  }
  return a;
}

/** Accept a DenseMatrix or number[][]; validate shape, optionally squareness and finiteness. */
export function asDense(a: DenseMatrix | number[][], arg: string, fn: string): DenseMatrix {
  if (Array.isArray(a)) return fromRows(a);
  if (
    a === null ||
    typeof a !== 'object' ||
    !(a.data instanceof Float64Array) ||
    !Number.isInteger(a.rows) ||
    !Number.isInteger(a.cols) ||
    a.data.length !== a.rows * a.cols
  ) {
    throw new TypeError(`${fn}: ${arg} must be a DenseMatrix {rows, cols, data: Float64Array} or number[][]`);
  }
  return a;
}

/** Throw when any entry is NaN or ±Infinity, naming its position. */
export function checkFinite(a: DenseMatrix, arg: string, fn: string): void {
  for (let k = 0; k < a.data.length; k++) {
    const v = a.data[k];
    if (!Number.isFinite(v)) {
      throw new RangeError(`${fn}: ${arg}[${Math.floor(k / a.cols)}][${k % a.cols}] must be finite, got ${v}`);
    }
  }
}
