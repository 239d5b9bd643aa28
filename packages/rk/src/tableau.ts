// Butcher tableaux of explicit Runge–Kutta methods, validated on construction.
import { brandClass, hasBrand, showValue as show } from '@sii/linalg';
import { stageVector, treeConditionLabel, treesUpToOrder } from './trees.js';

/** Plain description of an explicit RK method (what {@link ButcherTableau} validates). */
export interface TableauSpec {
  name: string;
  /** s×s strictly lower-triangular matrix A; rows may be given shorter than s (missing entries are 0) */
  a: number[][];
  /** weights of the propagated solution (length s) */
  b: number[];
  /** nodes c_i = Σ_j a_ij (length s) */
  c: number[];
  /** declared classical order p; all rooted-tree conditions up to p are checked */
  order: number;
  /** embedded weights b̂ (adaptive pairs); error estimate = h Σ (b_i − b̂_i) k_i */
  bHat?: number[];
  /** order of the embedded weights (required with bHat) */
  embeddedOrder?: number;
  /** first-same-as-last: the last stage is f(t + h, y_{n+1}) (last row of A equals b, c_s = 1) */
  fsal?: boolean;
  description?: string;
  /** name of the same method in torchdiffeq, if it has one */
  torchdiffeqName?: string;
  /**
   * Dense-output weights b_i(θ) = Σ_k dense[i][k] θ^{k+1} (θ ∈ [0, 1]), one row per stage, so that
   * y(t + θh) ≈ y + h Σ b_i(θ) k_i. Checked: b_i(1) = b_i.
   */
  dense?: number[][];
  /**
   * Absolute tolerance of each order condition, scaled by max(1, Σ|b_i Ψ_i|). Default 1e-12; tableaux
   * published as rounded decimals (tsit5) need a looser value.
   */
  tolerance?: number;
}

const DEFAULT_TOLERANCE = 1e-12;

function fail(name: string, message: string): never {
  throw new Error(`tableau "${name}": ${message}`);
}

function checkVector(name: string, label: string, v: unknown, s: number): number[] {
  if (!Array.isArray(v) || v.length !== s) {
    fail(name, `${label} must be an array of ${s} numbers, got ${show(v)}`);
  }
  return v.map((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(name, `${label}[${i}] must be a finite number, got ${show(x)}`);
    return x;
  });
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(12);
}

/**
 * Check Φ(t) = Σ w_i Ψ_i(t) = 1/γ(t) for all rooted trees up to `order`; throws naming the first
 * failed condition. `what` prefixes the message ("order condition" / "embedded order condition").
 */
function checkOrderConditions(name: string, what: string, a: number[][], w: number[], order: number, tol: number): void {
  for (const t of treesUpToOrder(order)) {
    const psi = stageVector(t, a);
    let phi = 0;
    let scale = 0;
    for (let i = 0; i < w.length; i++) {
      phi += w[i] * psi[i];
      scale += Math.abs(w[i] * psi[i]);
    }
    const err = Math.abs(phi - 1 / t.density);
    if (!(err <= tol * Math.max(1, scale))) {
      fail(
        name,
        `${what} ${treeConditionLabel(t)} fails: got ${fmt(phi)} (|error| ${err.toExponential(2)} > tolerance ${tol}; tree order ${t.order})`,
      );
    }
  }
}

/**
 * Largest p ≤ maxOrder such that the weights `w` satisfy every order condition up to p (0 if even
 * Σ w_i = 1 fails). Useful to confirm that a method's order is exactly what it declares.
 */
export function achievedOrder(a: readonly (readonly number[])[], w: readonly number[], maxOrder = 6, tol = 1e-10): number {
  let p = 0;
  for (let n = 1; n <= maxOrder; n++) {
    for (const t of treesUpToOrder(n)) {
      if (t.order !== n) continue;
      const psi = stageVector(t, a);
      let phi = 0;
      let scale = 0;
      for (let i = 0; i < w.length; i++) {
        phi += w[i] * psi[i];
        scale += Math.abs(w[i] * psi[i]);
      }
      if (!(Math.abs(phi - 1 / t.density) <= tol * Math.max(1, scale))) return p;
    }
    p = n;
  }
  return p;
}

/** A validated explicit Runge–Kutta method (read-only copies of the coefficients). */
/** Most stages a tableau may have: explicit methods in use have at most ~17 (a 12,000-stage spec took 103 s and 1.2 GB to check). */
export const MAX_STAGES = 64;

export class ButcherTableau {
  readonly name: string;
  readonly stages: number;
  readonly order: number;
  /** full s×s strictly lower-triangular A */
  readonly a: number[][];
  readonly b: number[];
  readonly c: number[];
  readonly bHat?: number[];
  readonly embeddedOrder?: number;
  readonly fsal: boolean;
  /** true when embedded weights are present (error estimate for step-size control) */
  readonly adaptive: boolean;
  readonly description: string;
  readonly torchdiffeqName?: string;
  readonly dense?: number[][];
  readonly tolerance: number;

  constructor(spec: TableauSpec) {
    if (spec === null || typeof spec !== 'object') throw new TypeError(`ButcherTableau: spec must be an object, got ${show(spec)}`);
    const name = spec.name;
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError(`ButcherTableau: spec.name must be a non-empty string, got ${show(name)}`);
    }
    const tol = spec.tolerance ?? DEFAULT_TOLERANCE;
    if (typeof tol !== 'number' || !(tol > 0 && tol < 1)) fail(name, `tolerance must be a number in (0, 1), got ${show(spec.tolerance)}`);
    if (!Array.isArray(spec.a) || spec.a.length === 0) fail(name, `a must be a non-empty array of rows, got ${show(spec.a)}`);
    const s = spec.a.length;
    if (s > MAX_STAGES)
      fail(
        name,
        `${s} stages exceed the limit of ${MAX_STAGES} (the order checks grow with the stages; no practical explicit method has more)`,
      );
    const order = spec.order;
    if (!Number.isInteger(order) || order < 1) fail(name, `order must be an integer ≥ 1, got ${show(order)}`);
    if (order > 6) fail(name, `order ${order} is above the largest checked order 6`);

    // A: explicit (strictly lower triangular), rows padded with zeros to length s.
    const a: number[][] = [];
    for (let i = 0; i < s; i++) {
      const row = spec.a[i];
      if (!Array.isArray(row) || row.length > s) fail(name, `a[${i}] must be an array of at most ${s} numbers, got ${show(row)}`);
      const full = new Array<number>(s).fill(0);
      for (let j = 0; j < row.length; j++) {
        const v = row[j];
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(name, `a[${i}][${j}] must be a finite number, got ${show(v)}`);
        if (j >= i && v !== 0) fail(name, `not explicit: a[${i}][${j}] = ${v} must be 0 (A must be strictly lower triangular)`);
        full[j] = v;
      }
      a.push(full);
    }
    const b = checkVector(name, 'b', spec.b, s);
    const c = checkVector(name, 'c', spec.c, s);

    // Row-sum condition c_i = Σ_j a_ij (the order conditions below assume it).
    for (let i = 0; i < s; i++) {
      const sum = a[i].reduce((x, y) => x + y, 0);
      const scale = Math.max(
        1,
        a[i].reduce((x, y) => x + Math.abs(y), 0),
      );
      if (!(Math.abs(sum - c[i]) <= tol * scale)) {
        fail(name, `row-sum condition c_${i + 1} = Σ_j a_${i + 1}j fails: c_${i + 1} = ${fmt(c[i])}, Σ_j a_${i + 1}j = ${fmt(sum)}`);
      }
    }
    const sumB = b.reduce((x, y) => x + y, 0);
    if (
      !(
        Math.abs(sumB - 1) <=
        tol *
          Math.max(
            1,
            b.reduce((x, y) => x + Math.abs(y), 0),
          )
      )
    ) {
      fail(name, `consistency condition Σ b_i = 1 fails: got ${fmt(sumB)}`);
    }
    checkOrderConditions(name, 'order condition', a, b, order, tol);

    let bHat: number[] | undefined;
    let embeddedOrder: number | undefined;
    if (spec.bHat !== undefined) {
      bHat = checkVector(name, 'bHat', spec.bHat, s);
      embeddedOrder = spec.embeddedOrder;
      if (!Number.isInteger(embeddedOrder) || (embeddedOrder as number) < 1) {
        fail(name, `embeddedOrder must be an integer ≥ 1 when bHat is given, got ${show(embeddedOrder)}`);
      }
      const q = embeddedOrder as number;
      if (q > 6) fail(name, `embeddedOrder ${q} is above the largest checked order 6`);
      checkOrderConditions(name, 'embedded order condition', a, bHat, q, tol);
      if (bHat.every((x, i) => x === b[i])) fail(name, 'bHat equals b: the embedded error estimate would be identically 0');
    } else if (spec.embeddedOrder !== undefined) {
      fail(name, `embeddedOrder = ${spec.embeddedOrder} given without bHat`);
    }

    const fsal = spec.fsal ?? false;
    if (typeof fsal !== 'boolean') fail(name, `fsal must be a boolean, got ${show(fsal)}`);
    if (fsal) {
      const last = a[s - 1];
      for (let j = 0; j < s; j++) {
        if (Math.abs(last[j] - b[j]) > tol * Math.max(1, Math.abs(b[j]))) {
          fail(name, `FSAL requires the last row of A to equal b: a[${s - 1}][${j}] = ${last[j]}, b[${j}] = ${b[j]}`);
        }
      }
      if (b[s - 1] !== 0) fail(name, `FSAL requires b_${s} = 0, got ${b[s - 1]}`);
    }

    let dense: number[][] | undefined;
    if (spec.dense !== undefined) {
      if (!Array.isArray(spec.dense) || spec.dense.length !== s) fail(name, `dense must have ${s} rows, got ${show(spec.dense)}`);
      const rowLen = spec.dense[0]?.length ?? 0;
      dense = spec.dense.map((row, i) => checkVector(name, `dense[${i}]`, row, rowLen));
      for (let i = 0; i < s; i++) {
        const at1 = dense[i].reduce((x, y) => x + y, 0);
        if (
          !(
            Math.abs(at1 - b[i]) <=
            tol *
              Math.max(
                1,
                dense[i].reduce((x, y) => x + Math.abs(y), 0),
              )
          )
        ) {
          fail(name, `dense output must reproduce b at θ = 1: b_${i + 1}(1) = ${fmt(at1)}, b_${i + 1} = ${fmt(b[i])}`);
        }
      }
    }

    this.name = name;
    this.stages = s;
    this.order = order;
    this.a = Object.freeze(a.map((r) => Object.freeze(r) as number[])) as number[][];
    this.b = Object.freeze(b) as number[];
    this.c = Object.freeze(c) as number[];
    if (bHat) this.bHat = Object.freeze(bHat) as number[];
    if (embeddedOrder !== undefined) this.embeddedOrder = embeddedOrder;
    this.fsal = fsal;
    this.adaptive = bHat !== undefined;
    if (spec.description !== undefined && typeof spec.description !== 'string')
      fail(name, `description must be a string, got ${show(spec.description)}`);
    if (spec.torchdiffeqName !== undefined && typeof spec.torchdiffeqName !== 'string')
      fail(name, `torchdiffeqName must be a string, got ${show(spec.torchdiffeqName)}`);
    this.description = spec.description ?? '';
    if (spec.torchdiffeqName !== undefined) this.torchdiffeqName = spec.torchdiffeqName;
    if (dense) this.dense = Object.freeze(dense.map((r) => Object.freeze(r) as number[])) as number[][];
    this.tolerance = tol;
  }

  /** Plain-object copy (e.g. to build a modified tableau). */
  toSpec(): TableauSpec {
    const spec: TableauSpec = {
      name: this.name,
      a: this.a.map((r) => [...r]),
      b: [...this.b],
      c: [...this.c],
      order: this.order,
      fsal: this.fsal,
      description: this.description,
      tolerance: this.tolerance,
    };
    if (this.bHat) spec.bHat = [...this.bHat];
    if (this.embeddedOrder !== undefined) spec.embeddedOrder = this.embeddedOrder;
    if (this.torchdiffeqName !== undefined) spec.torchdiffeqName = this.torchdiffeqName;
    if (this.dense) spec.dense = this.dense.map((r) => [...r]);
    return spec;
  }
}

/** Brand key of {@link ButcherTableau}: `instanceof ButcherTableau` accepts a tableau from any copy of @sii/rk. */
export const BUTCHER_TABLEAU_BRAND = 'sii.ButcherTableau';
brandClass(ButcherTableau, BUTCHER_TABLEAU_BRAND);

/** Whether `value` is a {@link ButcherTableau} from any copy of @sii/rk (brand check, not `instanceof`). */
export function isButcherTableau(value: unknown): value is ButcherTableau {
  return hasBrand(value, BUTCHER_TABLEAU_BRAND);
}
