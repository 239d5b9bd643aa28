/**
 * Stability-informed initialization (spec §4–5): poles → reference matrix A → layer weights.
 */
import { type Complex, complex, croot, type DenseMatrix, haarOrthogonal, Rng } from '@sii/linalg';
import { type ActivationName, activation64, activationDerivative64, activationSlopeAtZero } from './activations.js';
import { layerSizes, type MlpSpec, type MlpWeights } from './mlp.js';
import {
  resolveStability,
  type SamplePolesOptions,
  type StabilitySpec,
  samplePolesDetailed,
  solverStability,
  taylorOrderForSolver,
} from './poles.js';

/**
 * How the activation's slope at the origin is compensated so that eig(∂f/∂x at x = 0, u = 0)
 * equals the sampled poles:
 * - 'exact' (default): each hidden neuron's slope σ'(a_i) at its actual pre-activation at the
 *   origin (which the ±1e-4 biases shift slightly off 0) is divided out of the next layer's row i,
 *   layer by layer. The Jacobian at the origin is then exactly −(Aᵀ)^L up to round-off, for every
 *   activation whose slope there is nonzero (fails with a clear error for relu's dead neurons).
 * - 'slope': W_2..W_L are divided by the scalar σ'(0) (activationSlopeAtZero). Exact only with
 *   zero biases and σ(0) = 0; with the ±1e-4 biases the poles are off by a relative O(1e-4).
 * - 'none': the authors' behaviour; the poles come out as λ·σ'(0)^(L−1).
 */
export type SlopeCompensation = 'exact' | 'slope' | 'none';

export type SiiPreset = 'default' | 'reference';

/** Sampling options passed through to samplePoles (same meaning and defaults; complex defaults to real poles, as in most of the paper's experiments; teachers in the paper use eps −0.2). */
type SiiSamplingOptions = Pick<SamplePolesOptions, 'complex' | 'eps' | 'exclusionOrder' | 'exclusive' | 'box' | 'maxTries'>;

export interface SiiOptions extends MlpSpec, SiiSamplingOptions {
  /** Solver the model will be trained with (@sii/rk or torchdiffeq name, or the authors' 'rk3'). */
  solver: string;
  /** Solver step h > 0. */
  h: number;
  /**
   * 'default': the solver's exact R(z) and 'exact' slope compensation.
   * 'reference': the authors' code: Taylor polynomial of order p (dopri5 → 4), no compensation.
   */
  preset?: SiiPreset;
  /** Override the stability function used for sampling (else chosen by the preset). */
  stability?: StabilitySpec;
  /** Override the slope compensation (else 'exact' for 'default', 'none' for 'reference'). */
  compensation?: SlopeCompensation;
  /** Seed of a fresh Rng (default 0). Ignored when `rng` is given. */
  seed?: number | string;
  /** Random source; it is advanced, so successive calls with one Rng give different models. */
  rng?: Rng;
  /** Half-width of the uniform bias distribution (default 1e-4). */
  biasScale?: number;
  /** Use these poles (conjugate pairs adjacent) instead of sampling. */
  poles?: readonly Complex[];
}

export interface SiiResult extends MlpWeights {
  /** The target poles λ (eigenvalues of ∂f/∂x at the origin under compensation). */
  poles: Complex[];
  /** hλ of the poles. */
  hLambda: Complex[];
  /** Ascending coefficients of the R(z) the poles were sampled with (empty with `poles` or exclusive). */
  stability: Float64Array;
  /** Reference matrix A (n×n) with eig(−Aᴸ) = poles. */
  reference: DenseMatrix;
  /** Input block B0 (m×n) of the first layer, before the orthogonal factor. */
  inputBlock: DenseMatrix;
  compensation: SlopeCompensation;
}

export const DEFAULT_BIAS_SCALE = 1e-4;

/**
 * Reference matrix A (spec §4.1) for L layers: a real pole p gives A_jj = (−p)^{1/L}; a pair
 * p, p̄ at j, j+1 gives the block [[μ, ω], [−ω, μ]], μ + iω = principal L-th root of −p. Then
 * −Aᴸ has eigenvalues exactly the poles.
 */
export function referenceMatrix(poles: readonly Complex[], layers: number): DenseMatrix {
  if (!Number.isInteger(layers) || layers < 1) throw new RangeError(`layers must be an integer >= 1, got ${layers}`);
  const n = poles.length;
  const data = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const p = poles[j]!;
    if (!Number.isFinite(p.re) || !Number.isFinite(p.im)) throw new RangeError(`poles[${j}] must be finite, got ${p.re} + ${p.im}i`);
    if (p.im === 0) {
      if (p.re > 0) throw new RangeError(`poles[${j}]: a real pole must be <= 0, got ${p.re}`);
      data[j * n + j] = (-p.re) ** (1 / layers);
      continue;
    }
    const next = poles[j + 1];
    if (!next || next.re !== p.re || next.im !== -p.im) {
      throw new RangeError(
        `poles[${j}] = ${p.re} + ${p.im}i is complex and must be followed by its conjugate, got ${next ? `${next.re} + ${next.im}i` : 'nothing'}`,
      );
    }
    const q = croot(complex(-p.re, -p.im), layers);
    data[j * n + j] = q.re;
    data[j * n + j + 1] = q.im;
    data[(j + 1) * n + j] = -q.im;
    data[(j + 1) * n + j + 1] = q.re;
    j++;
  }
  return { rows: n, cols: n, data };
}

/** out (rows × cols) = left (rows × n) · right where right = rows 0..n−1 of a matrix with `cols` columns. */
function mulTop(left: Float64Array, rows: number, n: number, right: Float64Array, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < n; k++) {
      const lrk = left[r * n + k]!;
      if (lrk === 0) continue;
      for (let c = 0; c < cols; c++) out[r * cols + c]! += lrk * right[k * cols + c]!;
    }
  }
  return out;
}

/** (rows 0..n−1 of Q, H wide)ᵀ · M (n × cols) → H × cols. */
function mulTopTransposed(Q: DenseMatrix, n: number, M: Float64Array, cols: number): Float64Array {
  const H = Q.cols;
  const out = new Float64Array(H * cols);
  for (let a = 0; a < n; a++) {
    for (let r = 0; r < H; r++) {
      const qar = Q.data[a * H + r]!;
      if (qar === 0) continue;
      for (let c = 0; c < cols; c++) out[r * cols + c]! += qar * M[a * cols + c]!;
    }
  }
  return out;
}

/**
 * Layer weights from A, B0 and the orthogonal factors (spec §4.4), row convention:
 * W_1 = −C_0·Q_1, W_k = Q_{k−1}ᵀ·C·Q_k, W_L = Q_{L−1}ᵀ·C; L = 1: W_1 = −A.
 * Only the top n rows of each Q_k meet the nonzero n-column blocks of C_0 and C.
 */
export function siiWeightsFromFactors(A: DenseMatrix, B0: DenseMatrix, Q: readonly DenseMatrix[]): DenseMatrix[] {
  const n = A.rows;
  const m = B0.rows;
  const L = Q.length + 1;
  if (L === 1) {
    if (m > 0) throw new RangeError(`inputs: layers = 1 does not support inputs, got inputs = ${m}`);
    return [{ rows: n, cols: n, data: A.data.map((v) => -v) }];
  }
  const H = Q[0]!.rows;
  const C0 = new Float64Array((n + m) * n); // C_0 restricted to its n nonzero columns: [A; B0]
  C0.set(A.data);
  C0.set(B0.data, n * n);
  const W1 = mulTop(C0, n + m, n, Q[0]!.data, H).map((v) => -v);
  const weights: DenseMatrix[] = [{ rows: n + m, cols: H, data: W1 }];
  for (let k = 1; k < L - 1; k++) {
    const AQ = mulTop(A.data, n, n, Q[k]!.data, H); // C·Q_k restricted to its n nonzero rows
    weights.push({ rows: H, cols: H, data: mulTopTransposed(Q[k - 1]!, n, AQ, H) });
  }
  weights.push({ rows: H, cols: n, data: mulTopTransposed(Q[L - 2]!, n, A.data, n) });
  return weights;
}

/**
 * Slope compensation in place (see SlopeCompensation). For 'exact', the pre-activation at the
 * origin of hidden layer k is a_1 = b_1, a_{k+1} = σ(a_k)·W_{k+1} + b_{k+1} (with W_{k+1} already
 * compensated), and row i of W_{k+1} is divided by σ'(a_k,i), so W_1 D_1 W_2' D_2 ⋯ W_L' = W_1 W_2 ⋯ W_L.
 */
export function compensateSlopes(
  activation: ActivationName,
  weights: DenseMatrix[],
  biases: readonly Float64Array[],
  mode: SlopeCompensation,
): void {
  const L = weights.length;
  if (mode === 'none' || L === 1) return;
  if (mode === 'slope') {
    const s = activationSlopeAtZero(activation);
    for (let k = 1; k < L; k++) weights[k]!.data.forEach((v, i, a) => {
      a[i] = v / s;
    });
    return;
  }
  if (mode !== 'exact') throw new RangeError(`compensation must be 'exact', 'slope' or 'none', got ${JSON.stringify(mode)}`);
  let a = Float64Array.from(biases[0]!);
  for (let k = 1; k < L; k++) {
    const W = weights[k]!;
    const next = Float64Array.from(biases[k]!);
    for (let i = 0; i < W.rows; i++) {
      const d = activationDerivative64(activation, a[i]!);
      if (!(Math.abs(d) > 1e-12) || !Number.isFinite(d)) {
        throw new RangeError(
          `compensation 'exact' is ill-posed for activation '${activation}': neuron ${i} of hidden layer ${k} has slope ${d} at the origin (pre-activation ${a[i]}); ` +
            `use compensation: 'none' or 'slope', or another activation`,
        );
      }
      const hi = activation64(activation, a[i]!);
      for (let j = 0; j < W.cols; j++) {
        const wij = W.data[i * W.cols + j]! / d;
        W.data[i * W.cols + j] = wij;
        next[j]! += hi * wij;
      }
    }
    a = next;
  }
}

/** Stability-informed initialization of an MLP vector field (spec §3–5). */
export function siiInit(opts: SiiOptions): SiiResult {
  if (!opts || typeof opts !== 'object') throw new TypeError('siiInit: options object required');
  const sizes = layerSizes(opts);
  const n = opts.states;
  const m = opts.inputs;
  const L = opts.layers;
  if (L === 1 && m > 0) {
    throw new RangeError(`inputs: layers = 1 does not support inputs (the single weight is −A), got inputs = ${m}`);
  }
  if (L > 1 && opts.hidden < n) {
    throw new RangeError(`hidden must be >= states (the reference matrix is embedded in H×H blocks), got hidden = ${opts.hidden} < states = ${n}`);
  }
  const h = opts.h;
  if (typeof h !== 'number' || !Number.isFinite(h) || h <= 0) throw new RangeError(`h must be a finite number > 0, got ${String(h)}`);
  const preset = opts.preset ?? 'default';
  if (preset !== 'default' && preset !== 'reference') {
    throw new RangeError(`preset must be 'default' or 'reference', got ${JSON.stringify(preset)}`);
  }
  const compensation: SlopeCompensation = opts.compensation ?? (preset === 'reference' ? 'none' : 'exact');
  if (!['exact', 'slope', 'none'].includes(compensation)) {
    throw new RangeError(`compensation must be 'exact', 'slope' or 'none', got ${JSON.stringify(compensation)}`);
  }
  const biasScale = opts.biasScale ?? DEFAULT_BIAS_SCALE;
  if (!Number.isFinite(biasScale) || biasScale < 0) throw new RangeError(`biasScale must be finite and >= 0, got ${biasScale}`);
  if (opts.rng !== undefined && !(opts.rng instanceof Rng)) throw new TypeError(`rng must be an Rng from @sii/linalg, got ${String(opts.rng)}`);
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);

  // 1. Poles (draws come first from the stream).
  let poles: Complex[];
  let hLambda: Complex[];
  let stability: Float64Array = new Float64Array(0);
  if (opts.poles !== undefined) {
    if (opts.poles.length !== n) throw new RangeError(`poles must have length states = ${n}, got ${opts.poles.length}`);
    poles = opts.poles.map((p) => complex(p.re, p.im));
    hLambda = poles.map((p) => complex(p.re * h, p.im * h));
  } else {
    if (!opts.exclusive) {
      stability =
        opts.stability !== undefined
          ? resolveStability(opts.stability)
          : preset === 'reference'
            ? resolveStability({ taylorOrder: taylorOrderForSolver(opts.solver) })
            : solverStability(opts.solver);
    }
    const sampled = samplePolesDetailed({
      n,
      h,
      stability,
      complex: opts.complex,
      eps: opts.eps,
      exclusionOrder: opts.exclusionOrder,
      exclusive: opts.exclusive,
      box: opts.box,
      maxTries: opts.maxTries,
      rng,
    });
    poles = sampled.poles;
    hLambda = sampled.hLambda;
  }

  // 2. Reference matrix, orthogonal factors, input block, biases (in this draw order).
  const A = referenceMatrix(poles, L);
  const Q: DenseMatrix[] = [];
  for (let k = 1; k < L; k++) Q.push(haarOrthogonal(opts.hidden, rng));
  let beta = 0;
  for (let j = 0; j < n; j++) beta += Math.abs(A.data[j * n + j]!);
  beta /= n;
  const B0: DenseMatrix = { rows: m, cols: n, data: new Float64Array(m * n) };
  if (beta > 0) for (let i = 0; i < B0.data.length; i++) B0.data[i] = rng.uniform(-beta, beta);
  const weights = siiWeightsFromFactors(A, B0, Q);
  const biases: Float64Array[] = [];
  for (let k = 1; k < sizes.length; k++) {
    const b = new Float64Array(sizes[k]!);
    if (biasScale > 0) for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-biasScale, biasScale);
    biases.push(b);
  }

  // 3. Activation-slope compensation.
  compensateSlopes(opts.activation, weights, biases, compensation);
  return { weights, biases, poles, hLambda, stability, reference: A, inputBlock: B0, compensation };
}
