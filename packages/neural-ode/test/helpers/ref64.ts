/**
 * Independent float64 plain-TypeScript reference: MLP forward, explicit RK step, rollout loss.
 * Written from the formulas (no tfjs), used for finite-difference gradient checks.
 */
export type Act = 'elu' | 'silu' | 'gelu' | 'tanh' | 'relu' | 'leaky_relu' | 'selu' | 'softplus' | 'sigmoid' | 'none';

export interface Tab {
  name: string;
  a: number[][];
  b: number[];
  c: number[];
  order: number;
  bHat?: number[];
}

export const TABLEAUX: Record<string, Tab> = {
  euler: { name: 'euler', a: [[0]], b: [1], c: [0], order: 1 },
  midpoint: {
    name: 'midpoint',
    a: [
      [0, 0],
      [0.5, 0],
    ],
    b: [0, 1],
    c: [0, 0.5],
    order: 2,
  },
  heun3: {
    name: 'heun3',
    a: [
      [0, 0, 0],
      [1 / 3, 0, 0],
      [0, 2 / 3, 0],
    ],
    b: [1 / 4, 0, 3 / 4],
    c: [0, 1 / 3, 2 / 3],
    order: 3,
  },
  rk4: {
    name: 'rk4',
    a: [
      [0, 0, 0, 0],
      [0.5, 0, 0, 0],
      [0, 0.5, 0, 0],
      [0, 0, 1, 0],
    ],
    b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
    c: [0, 0.5, 0.5, 1],
    order: 4,
  },
};

const sig = (z: number) => 1 / (1 + Math.exp(-z));

export function act64(name: Act, z: number, alpha = 0.01): number {
  switch (name) {
    case 'elu':
      return z > 0 ? z : Math.expm1(z);
    case 'silu':
      return z * sig(z);
    case 'gelu':
      return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
    case 'tanh':
      return Math.tanh(z);
    case 'relu':
      return Math.max(0, z);
    case 'leaky_relu':
      return z > 0 ? z : alpha * z;
    case 'selu': {
      const l = 1.0507009873554805;
      const a = 1.6732632423543772;
      return z > 0 ? l * z : l * a * Math.expm1(z);
    }
    case 'softplus':
      return Math.log1p(Math.exp(z));
    case 'sigmoid':
      return sig(z);
    case 'none':
      return z;
  }
}

export interface Net {
  n: number;
  m: number;
  act: Act;
  /** W_k row-major in×out, b_k */
  W: { rows: number; cols: number; data: Float64Array }[];
  b: Float64Array[];
}

/** f([x, u]) for one point (row-vector convention y = x·W + b). */
export function mlp64(net: Net, x: ArrayLike<number>, u: ArrayLike<number>): Float64Array {
  let h: Float64Array = Float64Array.from([...Array.from(x), ...Array.from(u)]);
  net.W.forEach((W, k) => {
    const out = new Float64Array(W.cols);
    for (let j = 0; j < W.cols; j++) {
      let s = net.b[k][j];
      for (let i = 0; i < W.rows; i++) s += h[i] * W.data[i * W.cols + j];
      out[j] = k === net.W.length - 1 ? s : act64(net.act, s);
    }
    h = out;
  });
  return h;
}

/** One explicit RK step from the Butcher coefficients. */
export function rkStep64(f: (y: Float64Array) => Float64Array, y: Float64Array, h: number, tab: Tab): Float64Array {
  const ks: Float64Array[] = [];
  for (let i = 0; i < tab.b.length; i++) {
    const yi = Float64Array.from(y);
    for (let j = 0; j < i; j++) {
      const a = tab.a[i][j];
      for (let q = 0; q < y.length; q++) yi[q] += h * a * ks[j][q];
    }
    ks.push(f(yi));
  }
  const out = Float64Array.from(y);
  tab.b.forEach((b, i) => {
    for (let q = 0; q < y.length; q++) out[q] += h * b * ks[i][q];
  });
  return out;
}

/** Mean over (T, batch, n) of (x_{k+1} − target_k)² for the rollout x_{k+1} = step(x_k, u_k). */
export function rolloutLoss64(net: Net, x0: number[][], inputs: number[][][], targets: number[][][], tab: Tab, h: number): number {
  let s = 0;
  let count = 0;
  x0.forEach((xb, b) => {
    let x: Float64Array = Float64Array.from(xb);
    inputs.forEach((ut, k) => {
      x = rkStep64((y) => mlp64(net, y, ut[b]), x, h, tab);
      for (let q = 0; q < x.length; q++) {
        s += (x[q] - targets[k][b][q]) ** 2;
        count++;
      }
    });
  });
  return s / count;
}

/** Central-difference gradient of g w.r.t. every entry of the given arrays (in place perturbation). */
export function centralDiff(g: () => number, arrays: Float64Array[], eps = 1e-6): Float64Array[] {
  return arrays.map((arr) => {
    const out = new Float64Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      arr[i] = v + eps;
      const up = g();
      arr[i] = v - eps;
      const down = g();
      arr[i] = v;
      out[i] = (up - down) / (2 * eps);
    }
    return out;
  });
}

/** Central-difference gradient of f at v0 (f gets a perturbed float64 copy of v0). */
export function centralDiffAt(f: (v: Float64Array) => number, v0: ArrayLike<number>, d = 1e-6): Float64Array {
  const v = Float64Array.from(v0);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + d;
    const p = f(v);
    v[i] = keep - d;
    const m = f(v);
    v[i] = keep;
    out[i] = (p - m) / (2 * d);
  }
  return out;
}

export { lcg, relErr, scaledErr } from '@sii/vitest-preset/numbers';
