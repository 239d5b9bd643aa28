/**
 * Stability-informed initialization (METHOD.md §4–5): poles → reference matrix A → layer weights, then the
 * optional activation-slope compensation.
 */
import { type Complex, complex, croot, type DenseMatrix, haarOrthogonal, Rng } from '@sii/linalg';
import {
  type ActivationName,
  activation64,
  activationDerivative64,
  activationSupSlope,
  layerSizes,
  type MlpSpec,
  type MlpWeights,
} from '@sii/mlp';
import {
  resolveStability,
  type SamplePolesOptions,
  type StabilitySpec,
  samplePolesDetailed,
  solverStability,
  taylorOrderForSolver,
} from './poles.js';

/**
 * How the activation's slope is compensated in the hidden layers. Without compensation the Jacobian
 * at the origin is ≈ σ'(0)^(L−1)·(−Aᵀ)^L, so its eigenvalues are λ·σ'(0)^(L−1) for the sampled poles λ.
 * - 'none' (default): the authors' code. Poles λ·σ'(0)^(L−1): λ for ELU and tanh (up to O(1e-4)
 *   from the ±1e-4 biases), λ/2^(L−1) for SiLU and GELU.
 * - 'max': W_2..W_L are divided by the supremum slope sup|σ'| (activationSupSlope), so the poles are
 *   λ·(σ'(0)/sup|σ'|)^(L−1). Identical to 'none' for ELU, tanh and relu (sup 1); SiLU with L = 3 gives
 *   λ·(0.5/1.0998)² ≈ 0.207·λ. Bounds the linearization away from the origin too: no hidden layer can
 *   stretch more than the reference matrix does.
 * - 'exact': each hidden neuron's slope σ'(a_i) at its actual pre-activation at the origin is divided
 *   out of the next layer's row i, layer by layer: the Jacobian at the origin is −(Aᵀ)^L to round-off
 *   for every activation whose slope there is nonzero (throws for relu's dead neurons). Away from the
 *   origin the slope of SiLU/GELU rises to ~1.1, so each compensated hidden layer can stretch up to
 *   1.1/0.5 = 2.2 times more than at the origin.
 */
export type SlopeCompensation = 'none' | 'max' | 'exact';

export const SLOPE_COMPENSATIONS: readonly SlopeCompensation[] = ['none', 'max', 'exact'];

/** Stability function the poles are sampled with: 'default' the solver's exact R(z), 'reference' the authors' Taylor polynomial. */
export type SiiPreset = 'default' | 'reference';

/** Sampling options passed through to samplePoles (same meaning and defaults; complex defaults to real poles, as in most of the paper's experiments; teachers in the paper use eps −0.2). */
type SiiSamplingOptions = Pick<SamplePolesOptions, 'complex' | 'eps' | 'exclusionOrder' | 'exclusive' | 'box' | 'maxTries'>;

export interface SiiOptions extends MlpSpec, SiiSamplingOptions {
  /** Solver the model will be trained with (@sii/rk or torchdiffeq name, or the authors' 'rk3'). */
  solver: string;
  /** Solver step h > 0. */
  h: number;
  /**
   * Sampling polynomial. 'default': the solver's exact R(z) from its tableau. 'reference': the
   * authors' code, the Taylor polynomial of order p (dopri5 → 4); identical for euler, midpoint, rk4.
   */
  preset?: SiiPreset;
  /** Override the stability function used for sampling (else chosen by the preset). */
  stability?: StabilitySpec;
  /** Activation-slope compensation (default 'none', as the authors' code; see SlopeCompensation). */
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
  /** The sampled poles λ (eig ∂f/∂x at the origin = λ·σ'(0)^(L−1) with 'none', λ with 'exact'). */
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
 * Reference matrix A (METHOD.md §4 step 1) for L layers: a real pole p gives A_jj = (−p)^{1/L}; a pair
 * p, p̄ at j, j+1 gives the block [[μ, ω], [−ω, μ]], μ + iω = principal L-th root of −p. Then
 * −Aᴸ has eigenvalues exactly the poles.
 */
export function referenceMatrix(poles: readonly Complex[], layers: number): DenseMatrix {
  if (!Number.isInteger(layers) || layers < 1) throw new RangeError(`layers must be an integer >= 1, got ${layers}`);
  const n = poles.length;
  const data = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const p = poles[j];
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
      const lrk = left[r * n + k];
      if (lrk === 0) continue;
      for (let c = 0; c < cols; c++) out[r * cols + c] += lrk * right[k * cols + c];
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
      const qar = Q.data[a * H + r];
      if (qar === 0) continue;
      for (let c = 0; c < cols; c++) out[r * cols + c] += qar * M[a * cols + c];
    }
  }
  return out;
}

/**
 * Layer weights from A, B0 and the orthogonal factors (METHOD.md §4 step 4), row convention:
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
  const H = Q[0].rows;
  const C0 = new Float64Array((n + m) * n); // C_0 restricted to its n nonzero columns: [A; B0]
  C0.set(A.data);
  C0.set(B0.data, n * n);
  const W1 = mulTop(C0, n + m, n, Q[0].data, H).map((v) => -v);
  const weights: DenseMatrix[] = [{ rows: n + m, cols: H, data: W1 }];
  for (let k = 1; k < L - 1; k++) {
    const AQ = mulTop(A.data, n, n, Q[k].data, H); // C·Q_k restricted to its n nonzero rows
    weights.push({ rows: H, cols: H, data: mulTopTransposed(Q[k - 1], n, AQ, H) });
  }
  weights.push({ rows: H, cols: n, data: mulTopTransposed(Q[L - 2], n, A.data, n) });
  return weights;
}

function assertCompensation(mode: unknown): asserts mode is SlopeCompensation {
  if (!(SLOPE_COMPENSATIONS as readonly unknown[]).includes(mode)) {
    throw new RangeError(`compensation must be one of ${SLOPE_COMPENSATIONS.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(mode)}`);
  }
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
  assertCompensation(mode);
  const L = weights.length;
  if (mode === 'none' || L === 1) return;
  if (mode === 'max') {
    const s = activationSupSlope(activation);
    if (s === 1) return;
    for (let k = 1; k < L; k++) {
      const d = weights[k].data;
      for (let i = 0; i < d.length; i++) d[i] = d[i] / s;
    }
    return;
  }
  let a = Float64Array.from(biases[0]);
  for (let k = 1; k < L; k++) {
    const W = weights[k];
    const next = Float64Array.from(biases[k]);
    for (let i = 0; i < W.rows; i++) {
      const d = activationDerivative64(activation, a[i]);
      if (!(Math.abs(d) > 1e-12) || !Number.isFinite(d)) {
        throw new RangeError(
          `compensation 'exact' is ill-posed for activation '${activation}': neuron ${i} of hidden layer ${k} has slope ${d} at the origin (pre-activation ${a[i]}); ` +
            `use compensation: 'none' or 'max', or another activation`,
        );
      }
      const hi = activation64(activation, a[i]);
      for (let j = 0; j < W.cols; j++) {
        const wij = W.data[i * W.cols + j] / d;
        W.data[i * W.cols + j] = wij;
        next[j] += hi * wij;
      }
    }
    a = next;
  }
}

/** Stability-informed initialization of an MLP vector field (METHOD.md §3–5). */
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
    throw new RangeError(
      `hidden must be >= states (the reference matrix is embedded in H×H blocks), got hidden = ${opts.hidden} < states = ${n}`,
    );
  }
  const h = opts.h;
  if (typeof h !== 'number' || !Number.isFinite(h) || h <= 0) throw new RangeError(`h must be a finite number > 0, got ${String(h)}`);
  const preset = opts.preset ?? 'default';
  if (preset !== 'default' && preset !== 'reference') {
    throw new RangeError(`preset must be 'default' or 'reference', got ${JSON.stringify(preset)}`);
  }
  const compensation: SlopeCompensation = opts.compensation ?? 'none';
  assertCompensation(compensation);
  const biasScale = opts.biasScale ?? DEFAULT_BIAS_SCALE;
  if (!Number.isFinite(biasScale) || biasScale < 0) throw new RangeError(`biasScale must be finite and >= 0, got ${biasScale}`);
  if (opts.rng !== undefined && !(opts.rng instanceof Rng))
    throw new TypeError(`rng must be an Rng from @sii/linalg, got ${String(opts.rng)}`);
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
  for (let j = 0; j < n; j++) beta += Math.abs(A.data[j * n + j]);
  beta /= n;
  const B0: DenseMatrix = { rows: m, cols: n, data: new Float64Array(m * n) };
  if (beta > 0) for (let i = 0; i < B0.data.length; i++) B0.data[i] = rng.uniform(-beta, beta);
  const weights = siiWeightsFromFactors(A, B0, Q);
  const biases: Float64Array[] = [];
  for (let k = 1; k < sizes.length; k++) {
    const b = new Float64Array(sizes[k]);
    if (biasScale > 0) for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-biasScale, biasScale);
    biases.push(b);
  }

  // 3. Activation-slope compensation.
  compensateSlopes(opts.activation, weights, biases, compensation);
  return { weights, biases, poles, hLambda, stability, reference: A, inputBlock: B0, compensation };
}
