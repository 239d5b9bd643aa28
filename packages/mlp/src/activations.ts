/**
 * The activations an sii MLP may use, in float64: value σ(x), derivative σ'(x), slope at the origin
 * and supremum slope sup|σ'|. Definitions match PyTorch's (GELU in its tanh approximation), so the
 * tfjs layers of @sii/neural-ode compute the same functions in float32. Derivatives at a kink (relu,
 * leaky_relu, selu at x = 0) follow the autodiff convention of PyTorch and tfjs (the `x > 0` branch is
 * taken only for x > 0), so a float64 Jacobian agrees with the tfjs one even for pre-activations that
 * are exactly zero.
 */

export type ActivationName = 'elu' | 'silu' | 'gelu' | 'tanh' | 'relu' | 'leaky_relu' | 'selu' | 'softplus' | 'sigmoid' | 'none';

export const ACTIVATION_NAMES: readonly ActivationName[] = [
  'elu',
  'silu',
  'gelu',
  'tanh',
  'relu',
  'leaky_relu',
  'selu',
  'softplus',
  'sigmoid',
  'none',
];

/** Negative-side slope of 'leaky_relu' (PyTorch's default, used by the paper's code). */
export const LEAKY_RELU_SLOPE = 0.01;
/** SELU constants (Klambauer et al. 2017), as in PyTorch and tfjs. */
export const SELU_SCALE = 1.0507009873554805;
export const SELU_ALPHA = 1.6732632423543772;
/** GELU, tanh approximation: 0.5·x·(1 + tanh(k·(x + c·x³))), k = √(2/π), c = 0.044715. */
export const GELU_K = Math.sqrt(2 / Math.PI);
export const GELU_C = 0.044715;

export function isActivationName(name: unknown): name is ActivationName {
  return typeof name === 'string' && (ACTIVATION_NAMES as readonly string[]).includes(name);
}

/** Returns `name` if it is an activation name; otherwise throws a RangeError naming `argName` and the known names. */
export function assertActivationName(name: unknown, argName = 'activation'): ActivationName {
  if (!isActivationName(name)) {
    throw new RangeError(`${argName}: unknown activation ${JSON.stringify(name)}; known: ${ACTIVATION_NAMES.join(', ')}`);
  }
  return name;
}

/** Logistic sigmoid, evaluated without overflow for large |x|. */
function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Value σ(x) of the activation. */
export function activation64(name: ActivationName, x: number): number {
  switch (name) {
    case 'elu':
      return x > 0 ? x : Math.expm1(x);
    case 'silu':
      return x * logistic(x);
    case 'gelu':
      return 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_C * x * x * x)));
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return Math.max(x, 0);
    case 'leaky_relu':
      return x > 0 ? x : LEAKY_RELU_SLOPE * x;
    case 'selu':
      return x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x);
    case 'softplus': // log(1 + e^x), stable for both signs
      return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    case 'sigmoid':
      return logistic(x);
    case 'none':
      return x;
    default:
      throw new RangeError(`activation: unknown activation ${JSON.stringify(name)}`);
  }
}

/**
 * a_j ← σ(a_j) for every entry, the same values as {@link activation64} (the common activations get
 * their own loop so the name is not dispatched per entry).
 */
export function activationInPlace64(name: ActivationName, a: Float64Array): void {
  const len = a.length;
  switch (name) {
    case 'elu':
      for (let j = 0; j < len; j++) {
        const x = a[j];
        a[j] = x > 0 ? x : Math.expm1(x);
      }
      return;
    case 'tanh':
      for (let j = 0; j < len; j++) a[j] = Math.tanh(a[j]);
      return;
    default:
      for (let j = 0; j < len; j++) a[j] = activation64(name, a[j]);
  }
}

/** Derivative σ'(x) of the activation (autodiff convention at kinks, see the module comment). */
export function activationDerivative64(name: ActivationName, x: number): number {
  switch (name) {
    case 'elu':
      return x > 0 ? 1 : Math.exp(x);
    case 'silu': {
      // d/dx x·s(x) = s(x)·(1 + x·(1 − s(x)))
      const s = logistic(x);
      return s * (1 + x * (1 - s));
    }
    case 'gelu': {
      const t = Math.tanh(GELU_K * (x + GELU_C * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * x * x);
    }
    case 'tanh': {
      const t = Math.tanh(x);
      return 1 - t * t;
    }
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'leaky_relu':
      return x > 0 ? 1 : LEAKY_RELU_SLOPE;
    case 'selu':
      return x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x);
    case 'softplus':
      return logistic(x);
    case 'sigmoid': {
      const s = logistic(x);
      return s * (1 - s);
    }
    case 'none':
      return 1;
    default:
      throw new RangeError(`activation: unknown activation ${JSON.stringify(name)}`);
  }
}

/**
 * Slope of the activation at the origin: an L-layer network has Jacobian ≈ slope^(L−1)·(product of
 * the weights) at x = 0 (elu 1, silu 0.5, gelu 0.5, tanh 1, selu 1.0507, softplus 0.5, sigmoid 0.25,
 * none 1). relu, leaky_relu and selu have a kink at 0; for them this returns the RIGHT derivative
 * (relu 1, leaky_relu 1, selu SELU_SCALE), the slope of the branch a positive pre-activation sees,
 * while `activationDerivative64(name, 0)` follows autodiff (relu 0).
 */
export function activationSlopeAtZero(name: ActivationName): number {
  switch (assertActivationName(name, 'name')) {
    case 'relu':
    case 'leaky_relu':
      return 1;
    case 'selu':
      return SELU_SCALE;
    default:
      return activationDerivative64(name, 0);
  }
}

/**
 * sup over x of |σ'(x)|: the largest factor by which the activation can stretch a perturbation.
 * SiLU 1.0998 (at x ≈ 2.3994) and GELU 1.1290 (at x ≈ 1.4185) overshoot 1; selu's is
 * SELU_SCALE·SELU_ALPHA ≈ 1.7581 (approached as x → 0⁻); sigmoid 0.25; the others 1 (softplus only as
 * x → ∞). The SiLU and GELU constants are maxima found numerically (golden-section search, checked in
 * the tests).
 */
const SUP_SLOPES: Record<ActivationName, number> = {
  elu: 1,
  silu: 1.0998393201288668,
  gelu: 1.1289930686587717,
  tanh: 1,
  relu: 1,
  leaky_relu: 1,
  selu: SELU_SCALE * SELU_ALPHA,
  softplus: 1,
  sigmoid: 0.25,
  none: 1,
};

export function activationSupSlope(name: ActivationName): number {
  return SUP_SLOPES[assertActivationName(name, 'name')];
}

/** One activation with its float64 value, derivative and the two slopes the initializers use. */
export interface Activation {
  readonly name: ActivationName;
  readonly fn: (x: number) => number;
  readonly derivative: (x: number) => number;
  /** activationSlopeAtZero(name). */
  readonly slopeAtZero: number;
  /** activationSupSlope(name) = sup|σ'|. */
  readonly supSlope: number;
}

/** The activation `name` as an object (throws naming `name` if unknown). */
export function getActivation(name: ActivationName): Activation {
  const n = assertActivationName(name, 'name');
  return {
    name: n,
    fn: (x) => activation64(n, x),
    derivative: (x) => activationDerivative64(n, x),
    slopeAtZero: activationSlopeAtZero(n),
    supSlope: SUP_SLOPES[n],
  };
}
