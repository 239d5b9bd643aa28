/**
 * Symplectic integrators for separable Hamiltonians H(q, p) = Σ p_i² / (2 m_i) + V(q).
 *
 * velocity Verlet (kick–drift–kick, order 2) and Yoshida's order-4 composition of it
 * (weights w1 = 1/(2 − 2^{1/3}), w0 = 1 − 2·w1). Both are symplectic and time-reversible, so the
 * energy error stays bounded (no secular drift) and scales as O(h²) resp. O(h⁴).
 */

/** force(q, out): writes −∂V/∂q into out. */
export type ForceFunction = (q: Float64Array, out: Float64Array) => void;

export interface SeparableHamiltonian {
  /** Number of position coordinates. */
  dim: number;
  /** 1 / mass per coordinate. */
  invMass: Float64Array;
  force: ForceFunction;
  /** Optional post-drift map of the positions (periodic wrapping). Must not change forces. */
  wrap?: (q: Float64Array) => void;
}

const CBRT2 = Math.cbrt(2);
const YOSHIDA_W1 = 1 / (2 - CBRT2);
const YOSHIDA_W0 = 1 - 2 * YOSHIDA_W1;

/** One velocity-Verlet step of size h; `f` holds the force at q on entry and on exit. */
function verletStep(sys: SeparableHamiltonian, q: Float64Array, p: Float64Array, f: Float64Array, h: number): void {
  const n = sys.dim;
  const half = 0.5 * h;
  for (let i = 0; i < n; i++) p[i] += half * f[i];
  for (let i = 0; i < n; i++) q[i] += h * sys.invMass[i] * p[i];
  sys.wrap?.(q);
  sys.force(q, f);
  for (let i = 0; i < n; i++) p[i] += half * f[i];
}

/**
 * Advance (q, p) in place by `steps` steps of size h with a symplectic method of the given order
 * (2: velocity Verlet, 4: Yoshida composition). `f` must hold the force at q on entry; it holds the
 * force at the new q on exit, so consecutive calls re-use it.
 */
export function symplecticAdvance(
  sys: SeparableHamiltonian,
  q: Float64Array,
  p: Float64Array,
  f: Float64Array,
  h: number,
  steps: number,
  order: 2 | 4,
): void {
  for (let s = 0; s < steps; s++) {
    if (order === 2) {
      verletStep(sys, q, p, f, h);
    } else {
      verletStep(sys, q, p, f, YOSHIDA_W1 * h);
      verletStep(sys, q, p, f, YOSHIDA_W0 * h);
      verletStep(sys, q, p, f, YOSHIDA_W1 * h);
    }
  }
}
