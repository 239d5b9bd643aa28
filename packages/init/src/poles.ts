/**
 * Pole sampling by rejection in z = hλ (METHOD.md §3).
 */
import { type Complex, complex, type Rng } from '@sii/linalg';
import { fromTorchdiffeq, getTableau, stabilityAbs, stabilityPolynomial, taylorPolynomial } from '@sii/rk';
import { type RngOrSeed, toRng } from '@sii/mlp';

/**
 * Where the stability function R(z) comes from: a tableau name of @sii/rk (its exact R), the
 * ascending coefficients of R, or the Taylor polynomial Σ_{k≤p} z^k/k! of order p.
 */
export type StabilitySpec = string | Float64Array | readonly number[] | { taylorOrder: number };

export interface PoleBox {
  /** Lower bound of Re z (default −3). */
  reMin: number;
  /** Upper bound of Re z (default −0.1). */
  reMax: number;
  /** Im z ~ U(−imMax, imMax) (default 3). */
  imMax: number;
}

export const DEFAULT_BOX: Readonly<PoleBox> = Object.freeze({ reMin: -3, reMax: -0.1, imMax: 3 });
export const DEFAULT_EPS = -0.01;
export const DEFAULT_MAX_TRIES = 100_000;

export interface SamplePolesOptions {
  /** Number of poles n (≥ 1). */
  n: number;
  /** Solver step h > 0; poles are λ = z / h. */
  h: number;
  /** Stability function for the inclusion test; not needed with `exclusive`. */
  stability?: StabilitySpec;
  /** Allow complex-conjugate pairs (default false: real poles). */
  complex?: boolean;
  /** Margin: accept |R(z)| < 1 + eps (default −0.01, i.e. strictly inside by 0.01). */
  eps?: number;
  /** Exclusion order q: also require |R_q(z)| ≥ 1 − eps, R_q the Taylor polynomial of order q. */
  exclusionOrder?: number;
  /** Keep z only by the exclusion test |R_q(z)| ≥ 1 − eps, no inclusion test (needs exclusionOrder). */
  exclusive?: boolean;
  /** Proposal box (default { reMin: −3, reMax: −0.1, imMax: 3 }). */
  box?: Partial<PoleBox>;
  /** Proposals allowed per accepted sample before giving up with an error (default 100 000). */
  maxTries?: number;
  /** Random source (or a seed). */
  rng: RngOrSeed;
}

export interface SamplePolesResult {
  /** Poles λ = z / h: conjugate pairs adjacent (x + iy, x − iy), a real pole last for odd n. */
  poles: Complex[];
  /** hλ of the poles. */
  hLambda: Complex[];
  /** All n accepted samples z in draw order (odd-index ones are discarded in complex mode). */
  samples: Complex[];
  /** Proposals drawn in total, and how many were accepted (acceptance share = accepted / tries). */
  tries: number;
  accepted: number;
}

/** Ascending coefficients of a StabilitySpec. */
export function resolveStability(stability: StabilitySpec, argName = 'stability'): Float64Array {
  if (typeof stability === 'string') return stabilityPolynomial(getSolverTableau(stability, argName));
  if (stability instanceof Float64Array || Array.isArray(stability)) {
    const coeffs = Float64Array.from(stability as ArrayLike<number>);
    if (coeffs.length === 0 || !coeffs.every(Number.isFinite)) {
      throw new RangeError(`${argName}: coefficients must be a non-empty list of finite numbers, got [${Array.from(coeffs).join(', ')}]`);
    }
    return coeffs;
  }
  if (stability && typeof stability === 'object' && 'taylorOrder' in stability) {
    return taylorPolynomial(assertOrder(stability.taylorOrder, `${argName}.taylorOrder`));
  }
  throw new TypeError(
    `${argName} must be a tableau name, a Float64Array of coefficients or { taylorOrder }, got ${JSON.stringify(stability)}`,
  );
}

function assertOrder(p: unknown, name: string): number {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0) {
    throw new RangeError(`${name} must be an integer >= 0, got ${String(p)}`);
  }
  return p;
}

/** A tableau by @sii/rk name, or else by torchdiffeq name; the error lists @sii/rk's names. */
export function getSolverTableau(solver: string, argName = 'solver') {
  if (typeof solver !== 'string') throw new TypeError(`${argName} must be a solver name, got ${String(solver)}`);
  try {
    return getTableau(solver);
  } catch (err) {
    try {
      return fromTorchdiffeq(solver);
    } catch {
      throw new RangeError(`${argName}: ${(err as Error).message}`);
    }
  }
}

/** The authors' solver → Taylor order map (METHOD.md §3). */
export const AUTHORS_TAYLOR_ORDER: Readonly<Record<string, number>> = Object.freeze({
  euler: 1,
  midpoint: 2,
  adaptive_heun: 2,
  rk3: 3,
  rk4: 4,
  dopri5: 4,
});

/**
 * Order p of the Taylor polynomial the authors sample with for `solver` (METHOD.md §3). Names outside
 * their map use the tableau's order, capped at 4 (e.g. heun 2, kutta3 3, rk38 4, tsit5 4).
 */
export function taylorOrderForSolver(solver: string): number {
  const p = AUTHORS_TAYLOR_ORDER[solver];
  if (p !== undefined) return p;
  return Math.min(getSolverTableau(solver).order, 4);
}

/**
 * Exact R(z) of a solver from its tableau. The authors' 'rk3' (not an @sii/rk or torchdiffeq name)
 * is any 3-stage third-order method, whose R is exactly the order-3 Taylor polynomial (METHOD.md §2).
 */
export function solverStability(solver: string): Float64Array {
  if (solver === 'rk3') {
    try {
      return stabilityPolynomial(getTableau(solver));
    } catch {
      return taylorPolynomial(3);
    }
  }
  return stabilityPolynomial(getSolverTableau(solver));
}

function resolveBox(box: Partial<PoleBox> | undefined): PoleBox {
  const b = { ...DEFAULT_BOX, ...(box ?? {}) };
  if (!Number.isFinite(b.reMin) || !Number.isFinite(b.reMax) || !(b.reMin < b.reMax)) {
    throw new RangeError(`box: need finite reMin < reMax, got reMin = ${b.reMin}, reMax = ${b.reMax}`);
  }
  if (!Number.isFinite(b.imMax) || b.imMax < 0) throw new RangeError(`box.imMax must be finite and >= 0, got ${b.imMax}`);
  return b;
}

/** Detailed pole sampling: the poles plus the raw samples and acceptance counts. */
export function samplePolesDetailed(opts: SamplePolesOptions): SamplePolesResult {
  if (!opts || typeof opts !== 'object') throw new TypeError('samplePoles: options object required');
  const { n, h } = opts;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${String(n)}`);
  if (typeof h !== 'number' || !Number.isFinite(h) || h <= 0) throw new RangeError(`h must be a finite number > 0, got ${String(h)}`);
  const eps = opts.eps ?? DEFAULT_EPS;
  if (typeof eps !== 'number' || !Number.isFinite(eps)) throw new RangeError(`eps must be a finite number, got ${String(eps)}`);
  const maxTries = opts.maxTries ?? DEFAULT_MAX_TRIES;
  if (!Number.isInteger(maxTries) || maxTries < 1) throw new RangeError(`maxTries must be an integer >= 1, got ${String(maxTries)}`);
  const box = resolveBox(opts.box);
  const exclusive = opts.exclusive ?? false;
  const q = opts.exclusionOrder === undefined ? undefined : assertOrder(opts.exclusionOrder, 'exclusionOrder');
  if (exclusive && q === undefined) throw new RangeError('exclusive sampling needs exclusionOrder (the authors use 4), got undefined');
  let R: Float64Array | undefined;
  if (!exclusive) {
    if (opts.stability === undefined) throw new RangeError('stability is required unless exclusive is true, got undefined');
    R = resolveStability(opts.stability);
  }
  const Rq = q === undefined ? undefined : taylorPolynomial(q);
  const rng: Rng = toRng(opts.rng);
  const useComplex = opts.complex ?? false;

  let tries = 0;
  const samples: Complex[] = [];
  for (let j = 0; j < n; j++) {
    // Step 1: real for real mode, and for the last pole when n is odd.
    const real = !useComplex || (n % 2 === 1 && j === n - 1);
    let failIn = 0;
    let failOut = 0;
    let accepted: Complex | undefined;
    for (let t = 0; t < maxTries; t++) {
      tries++;
      const x = rng.uniform(box.reMin, box.reMax);
      const yDraw = rng.uniform(-box.imMax, box.imMax); // drawn in both modes: same stream layout
      const y = real ? 0 : yDraw;
      // Step 2: inclusion |R(z)| < 1 + eps; exclusion |R_q(z)| >= 1 − eps.
      if (R && !(stabilityAbs(R, x, y) < 1 + eps)) {
        failIn++;
        continue;
      }
      if (Rq && !(stabilityAbs(Rq, x, y) >= 1 - eps)) {
        failOut++;
        continue;
      }
      accepted = complex(x, y);
      break;
    }
    if (!accepted) throw new Error(rejectionFailure({ j, n, real, maxTries, failIn, failOut, eps, q, exclusive, box }));
    samples.push(accepted);
  }
  // Step 4: pairs (x_j ± i·y_j) for even j; odd-index samples are discarded.
  const hLambda: Complex[] = [];
  if (useComplex) {
    for (let j = 0; j + 1 < n; j += 2) {
      const z = samples[j];
      hLambda.push(complex(z.re, z.im), complex(z.re, -z.im));
    }
    if (n % 2 === 1) hLambda.push(complex(samples[n - 1].re, 0));
  } else {
    for (const z of samples) hLambda.push(complex(z.re, 0));
  }
  const poles = hLambda.map((z) => complex(z.re / h, z.im / h));
  return { poles, hLambda, samples, tries, accepted: n };
}

/** Poles λ = z/h sampled by rejection inside the solver's stability region (METHOD.md §3). */
export function samplePoles(opts: SamplePolesOptions): Complex[] {
  return samplePolesDetailed(opts).poles;
}

function rejectionFailure(o: {
  j: number;
  n: number;
  real: boolean;
  maxTries: number;
  failIn: number;
  failOut: number;
  eps: number;
  q: number | undefined;
  exclusive: boolean;
  box: PoleBox;
}): string {
  const where = o.real
    ? `the real segment Re z ∈ [${o.box.reMin}, ${o.box.reMax}]`
    : `the box Re z ∈ [${o.box.reMin}, ${o.box.reMax}], Im z ∈ [−${o.box.imMax}, ${o.box.imMax}]`;
  const head = `samplePoles: no z = hλ accepted in maxTries = ${o.maxTries} proposals for pole ${o.j + 1} of ${o.n} (${o.real ? 'real' : 'complex'}) on ${where}`;
  const exclusion = `|R_${o.q}(z)| >= 1 − eps = ${1 - o.eps}`;
  if (o.exclusive) {
    const why =
      o.q === 0 ? 'R_0(z) ≡ 1, so the exclusion test never passes for eps < 0' : `the order-${o.q} region grown by |eps| covers all of it`;
    return `${head}: exclusive sampling requires ${exclusion}, which failed every time: ${why}. Use a smaller box, a larger exclusionOrder, or eps closer to 0.`;
  }
  const inclusion = `|R(z)| < 1 + eps = ${1 + o.eps}`;
  if (o.failOut === 0) {
    return `${head}: the inclusion test ${inclusion} failed every time: the stability region shrunk by |eps| does not meet it. Use eps closer to 0 or a box that overlaps the stability region.`;
  }
  return `${head}: ${o.failIn} proposals failed the inclusion test ${inclusion} and ${o.failOut} passed it but failed the exclusion test ${exclusion}: the order-${o.q} region covers the part of the stability region in the box. Use a smaller exclusionOrder or eps closer to 0.`;
}
