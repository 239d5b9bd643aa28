/**
 * Float64 simulators for the latent-dynamics systems (after the DeepMind Hamiltonian suite):
 * mass-spring, pendulum, double pendulum and a 2-D Lennard-Jones gas.
 *
 * Every system knows how to sample a seeded initial state with its energy in a given range, how to
 * simulate it (symplectic Yoshida-4 / velocity Verlet for the separable ones, @sii/rk dopri5 with tight
 * tolerances for the double pendulum), its energy, and where its bodies are for rendering.
 */
import type { Rng } from '@sii/linalg';
import { odeint } from '@sii/rk';
import { checkInt, checkPositive, checkRange, uniformIn } from './checks.js';
import { type SeparableHamiltonian, symplecticAdvance } from './integrators.js';

export type LatentSystemName = 'mass-spring' | 'pendulum' | 'double-pendulum' | 'lennard-jones';
export const LATENT_SYSTEMS: readonly LatentSystemName[] = ['mass-spring', 'pendulum', 'double-pendulum', 'lennard-jones'];

/** H = p²/(2m) + k q²/2; state [q, p]; body at (q, 0). */
export interface MassSpringParams {
  mass: number;
  stiffness: number;
}
/** H = p²/(2 m l²) + m g l (1 − cos q); state [q, p] with p = m l² q̇; bob at (l sin q, −l cos q). */
export interface PendulumParams {
  mass: number;
  length: number;
  gravity: number;
}
/** Planar double pendulum, point masses on massless rods; state [θ1, θ2, ω1, ω2] (angles from the downward vertical). */
export interface DoublePendulumParams {
  mass1: number;
  mass2: number;
  length1: number;
  length2: number;
  gravity: number;
}
/**
 * 2-D Lennard-Jones gas in a periodic square box [0, box)², minimum-image convention, force-shifted
 * potential U_fs(r) = U(r) − U(rc) + (r − rc)·F(rc) for r < rc (0 beyond), U(r) = 4ε[(σ/r)¹² − (σ/r)⁶],
 * F = −U′, so energy and force are continuous at the cutoff. State [x_1, y_1, …, x_N, y_N, px_1, py_1, …]
 * with positions wrapped into [0, box).
 */
export interface LennardJonesParams {
  particles: number;
  box: number;
  epsilon: number;
  sigma: number;
  cutoff: number;
  mass: number;
}

export interface LatentSystemParams {
  'mass-spring': MassSpringParams;
  pendulum: PendulumParams;
  'double-pendulum': DoublePendulumParams;
  'lennard-jones': LennardJonesParams;
}

export const LATENT_DEFAULT_PARAMS: { readonly [K in LatentSystemName]: Readonly<LatentSystemParams[K]> } = {
  'mass-spring': { mass: 0.5, stiffness: 2 },
  pendulum: { mass: 0.5, length: 1, gravity: 3 },
  'double-pendulum': { mass1: 1, mass2: 1, length1: 1, length2: 1, gravity: 3 },
  'lennard-jones': { particles: 16, box: 8, epsilon: 1, sigma: 1, cutoff: 2.5, mass: 1 },
};

/** World rectangle mapped onto the image (y up). */
export interface View {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

export interface LatentSystem {
  readonly name: LatentSystemName;
  readonly params: Readonly<Record<string, number>>;
  readonly stateDim: number;
  readonly stateNames: readonly string[];
  readonly bodies: number;
  /** Default sampling range: total energy, except for lennard-jones: initial temperature (k_B = 1). */
  readonly defaultEnergyRange: readonly [number, number];
  /** Default integrator substep (separable systems) — the frame step is split into ceil(dt / maxStep) substeps. */
  readonly defaultMaxStep: number;
  /** Bound on the relative energy drift max_t |E(t) − E(0)| / scale over the default 70 frames at dt 0.1. */
  readonly driftBound: number;
  readonly view: View;
  readonly periodic: boolean;
  /** Disc radius in world units. */
  readonly radius: number;
  /** Seeded initial state with energy (or temperature) uniform in `range`. */
  sample(rng: Rng, range: readonly [number, number]): Float64Array;
  /** Trajectory [frames, stateDim] at t = 0, dt, …; row 0 is state0. */
  simulate(state0: ArrayLike<number>, frames: number, dt: number, maxStep?: number): Float64Array;
  /** Total energy of the state stored at `offset`. */
  energy(states: ArrayLike<number>, offset?: number): number;
  /** Normalisation of the energy drift: |E(0)|, or the initial kinetic energy for lennard-jones. */
  energyScale(state0: ArrayLike<number>): number;
  /** Body positions (world units) of the state at `offset`, written as [x0, y0, x1, y1, …]. */
  positions(states: ArrayLike<number>, offset: number, out: Float64Array): void;
}

function mergeParams<K extends LatentSystemName>(name: K, params?: Partial<LatentSystemParams[K]>): LatentSystemParams[K] {
  const merged = { ...LATENT_DEFAULT_PARAMS[name], ...(params ?? {}) } as LatentSystemParams[K];
  for (const [key, value] of Object.entries(merged)) {
    if (name === 'lennard-jones' && key === 'particles') checkInt(`params.${key}`, value, 2, 4096);
    else checkPositive(`params.${key}`, value);
  }
  return merged;
}

function checkState(name: string, state0: ArrayLike<number>, dim: number): void {
  if (state0 == null || typeof state0.length !== 'number' || state0.length !== dim) {
    throw new RangeError(`${name}: state0 must have length ${dim}, got ${state0?.length}`);
  }
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(state0[i])) throw new RangeError(`${name}: state0[${i}] must be finite, got ${state0[i]}`);
  }
}

function checkFrames(frames: number, dt: number, maxStep: number): number {
  checkInt('frames', frames, 1);
  checkPositive('dt', dt);
  checkPositive('maxStep', maxStep);
  return Math.max(1, Math.ceil(dt / maxStep - 1e-9));
}

/** Simulate a separable Hamiltonian whose state is [q (dim), p (dim)]. */
function simulateSeparable(
  sys: SeparableHamiltonian,
  state0: ArrayLike<number>,
  frames: number,
  dt: number,
  maxStep: number,
  order: 2 | 4,
): Float64Array {
  const d = sys.dim;
  const substeps = checkFrames(frames, dt, maxStep);
  const h = dt / substeps;
  const q = Float64Array.from({ length: d }, (_, i) => state0[i]);
  const p = Float64Array.from({ length: d }, (_, i) => state0[d + i]);
  sys.wrap?.(q);
  const f = new Float64Array(d);
  sys.force(q, f);
  const out = new Float64Array(frames * 2 * d);
  for (let k = 0; k < frames; k++) {
    if (k > 0) symplecticAdvance(sys, q, p, f, h, substeps, order);
    out.set(q, k * 2 * d);
    out.set(p, k * 2 * d + d);
  }
  return out;
}

function massSpring(params?: Partial<MassSpringParams>): LatentSystem {
  const { mass: m, stiffness: k } = mergeParams('mass-spring', params);
  const ham: SeparableHamiltonian = {
    dim: 1,
    invMass: Float64Array.of(1 / m),
    force: (q, f) => {
      f[0] = -k * q[0];
    },
  };
  const energy = (s: ArrayLike<number>, o = 0) => (s[o + 1] * s[o + 1]) / (2 * m) + 0.5 * k * s[o] * s[o];
  return {
    name: 'mass-spring',
    params: { mass: m, stiffness: k },
    stateDim: 2,
    stateNames: ['q', 'p'],
    bodies: 1,
    defaultEnergyRange: [0.1, 1],
    defaultMaxStep: 0.01,
    driftBound: 1e-6,
    view: { xmin: -1.5, xmax: 1.5, ymin: -1.5, ymax: 1.5 },
    periodic: false,
    radius: 0.25,
    sample(rng, range) {
      const [lo, hi] = checkRange('energyRange', range, 0);
      // E = p²/2m + k q²/2 with a uniform phase φ on the energy ellipse.
      const e = uniformIn(rng, lo, hi);
      const phi = rng.uniform(0, 2 * Math.PI);
      return Float64Array.of(Math.sqrt((2 * e) / k) * Math.cos(phi), -Math.sqrt(2 * m * e) * Math.sin(phi));
    },
    simulate(state0, frames, dt, maxStep = 0.01) {
      checkState('mass-spring', state0, 2);
      return simulateSeparable(ham, state0, frames, dt, maxStep, 4);
    },
    energy,
    energyScale: (s) => Math.abs(energy(s)),
    positions(s, o, out) {
      out[0] = s[o];
      out[1] = 0;
    },
  };
}

function pendulum(params?: Partial<PendulumParams>): LatentSystem {
  const { mass: m, length: l, gravity: g } = mergeParams('pendulum', params);
  const inertia = m * l * l;
  const mgl = m * g * l;
  const ham: SeparableHamiltonian = {
    dim: 1,
    invMass: Float64Array.of(1 / inertia),
    force: (q, f) => {
      f[0] = -mgl * Math.sin(q[0]);
    },
  };
  const potential = (q: number) => mgl * (1 - Math.cos(q));
  const energy = (s: ArrayLike<number>, o = 0) => (s[o + 1] * s[o + 1]) / (2 * inertia) + potential(s[o]);
  return {
    name: 'pendulum',
    params: { mass: m, length: l, gravity: g },
    stateDim: 2,
    stateNames: ['q', 'p'],
    bodies: 1,
    // In units of m g l = 1.5: 0.2–1.5 m g l, i.e. amplitudes from 37° to 120° (below the separatrix 2 m g l).
    defaultEnergyRange: [0.3, 2.25],
    defaultMaxStep: 0.01,
    driftBound: 1e-6,
    view: { xmin: -1.5 * l, xmax: 1.5 * l, ymin: -1.5 * l, ymax: 1.5 * l },
    periodic: false,
    radius: 0.25 * l,
    sample(rng, range) {
      const [lo, hi] = checkRange('energyRange', range, 0);
      const e = uniformIn(rng, lo, hi);
      // Angles reachable with energy e: V(q) <= e.
      const qMax = e >= 2 * mgl ? Math.PI : Math.acos(1 - e / mgl);
      const q = uniformIn(rng, -qMax, qMax);
      const sign = rng.uniform() < 0.5 ? -1 : 1;
      const p = sign * Math.sqrt(Math.max(0, 2 * inertia * (e - potential(q))));
      return Float64Array.of(q, p);
    },
    simulate(state0, frames, dt, maxStep = 0.01) {
      checkState('pendulum', state0, 2);
      return simulateSeparable(ham, state0, frames, dt, maxStep, 4);
    },
    energy,
    energyScale: (s) => Math.abs(energy(s)),
    positions(s, o, out) {
      out[0] = l * Math.sin(s[o]);
      out[1] = -l * Math.cos(s[o]);
    },
  };
}

function doublePendulum(params?: Partial<DoublePendulumParams>): LatentSystem {
  const { mass1: m1, mass2: m2, length1: l1, length2: l2, gravity: g } = mergeParams('double-pendulum', params);
  const mt = m1 + m2;
  const potential = (t1: number, t2: number) => mt * g * l1 * (1 - Math.cos(t1)) + m2 * g * l2 * (1 - Math.cos(t2));
  const kinetic = (t1: number, t2: number, w1: number, w2: number) =>
    0.5 * mt * l1 * l1 * w1 * w1 + 0.5 * m2 * l2 * l2 * w2 * w2 + m2 * l1 * l2 * w1 * w2 * Math.cos(t1 - t2);
  const energy = (s: ArrayLike<number>, o = 0) => kinetic(s[o], s[o + 1], s[o + 2], s[o + 3]) + potential(s[o], s[o + 1]);
  // Euler–Lagrange equations of the planar double pendulum solved for the angular accelerations.
  const rhs = (_t: number, y: Float64Array, dy: Float64Array) => {
    const t1 = y[0];
    const t2 = y[1];
    const w1 = y[2];
    const w2 = y[3];
    const d = t1 - t2;
    const sd = Math.sin(d);
    const cd = Math.cos(d);
    const den = 2 * m1 + m2 - m2 * Math.cos(2 * d);
    dy[0] = w1;
    dy[1] = w2;
    dy[2] =
      (-g * (2 * m1 + m2) * Math.sin(t1) - m2 * g * Math.sin(t1 - 2 * t2) - 2 * sd * m2 * (w2 * w2 * l2 + w1 * w1 * l1 * cd)) / (l1 * den);
    dy[3] = (2 * sd * (w1 * w1 * l1 * mt + g * mt * Math.cos(t1) + w2 * w2 * l2 * m2 * cd)) / (l2 * den);
  };
  const reach = l1 + l2;
  return {
    name: 'double-pendulum',
    params: { mass1: m1, mass2: m2, length1: l1, length2: l2, gravity: g },
    stateDim: 4,
    stateNames: ['theta1', 'theta2', 'omega1', 'omega2'],
    bodies: 2,
    defaultEnergyRange: [1, 4],
    defaultMaxStep: Number.NaN,
    driftBound: 1e-7,
    view: { xmin: -1.25 * reach, xmax: 1.25 * reach, ymin: -1.25 * reach, ymax: 1.25 * reach },
    periodic: false,
    radius: 0.15 * reach,
    sample(rng, range) {
      const [lo, hi] = checkRange('energyRange', range, 0);
      const e = uniformIn(rng, lo, hi);
      // Angles uniform on the set V(θ1, θ2) < e (rejection), then the kinetic energy e − V goes into a
      // uniformly random direction of (ω1, ω2), scaled so that T(ω) = e − V exactly.
      for (let tries = 0; tries < 100_000; tries++) {
        const t1 = rng.uniform(-Math.PI, Math.PI);
        const t2 = rng.uniform(-Math.PI, Math.PI);
        const v = potential(t1, t2);
        if (v >= e) continue;
        const a = rng.uniform(0, 2 * Math.PI);
        const tUnit = kinetic(t1, t2, Math.cos(a), Math.sin(a));
        const s = Math.sqrt((e - v) / tUnit);
        return Float64Array.of(t1, t2, s * Math.cos(a), s * Math.sin(a));
      }
      throw new RangeError(`double-pendulum: no state with energy in energyRange ${JSON.stringify(range)} found`);
    },
    simulate(state0, frames, dt) {
      checkState('double-pendulum', state0, 4);
      checkFrames(frames, dt, 1);
      if (frames === 1) return Float64Array.from(state0);
      const t = Float64Array.from({ length: frames }, (_, k) => k * dt);
      // dopri5 at rtol = atol = 1e-11: the energy error stays below driftBound (tested).
      return odeint(rhs, state0, t, { method: 'dopri5', rtol: 1e-11, atol: 1e-11, maxSteps: 10_000_000 }).y;
    },
    energy,
    energyScale: (s) => Math.abs(energy(s)),
    positions(s, o, out) {
      const x1 = l1 * Math.sin(s[o]);
      const y1 = -l1 * Math.cos(s[o]);
      out[0] = x1;
      out[1] = y1;
      out[2] = x1 + l2 * Math.sin(s[o + 1]);
      out[3] = y1 - l2 * Math.cos(s[o + 1]);
    },
  };
}

function lennardJones(params?: Partial<LennardJonesParams>): LatentSystem {
  const { particles: np, box, epsilon: eps, sigma, cutoff: rc, mass } = mergeParams('lennard-jones', params);
  if (rc > box / 2) throw new RangeError(`params.cutoff must be <= params.box / 2 (minimum image), got ${rc} > ${box / 2}`);
  const d = 2 * np;
  const s6 = sigma ** 6;
  const lj = (r2: number) => {
    const ir6 = s6 / (r2 * r2 * r2);
    return 4 * eps * (ir6 * ir6 - ir6);
  };
  // F(r)/r = 24 ε (2 (σ/r)¹² − (σ/r)⁶) / r²
  const fOverR = (r2: number) => {
    const ir6 = s6 / (r2 * r2 * r2);
    return (24 * eps * (2 * ir6 * ir6 - ir6)) / r2;
  };
  const rc2 = rc * rc;
  const uc = lj(rc2);
  const fc = fOverR(rc2) * rc;
  const minImage = (x: number) => x - box * Math.round(x / box);
  const wrap = (q: Float64Array) => {
    for (let i = 0; i < d; i++) {
      const x = q[i] - box * Math.floor(q[i] / box);
      q[i] = x >= box ? 0 : x;
    }
  };
  const force = (q: Float64Array, f: Float64Array) => {
    f.fill(0);
    for (let i = 0; i < np; i++) {
      for (let j = i + 1; j < np; j++) {
        const dx = minImage(q[2 * i] - q[2 * j]);
        const dy = minImage(q[2 * i + 1] - q[2 * j + 1]);
        const r2 = dx * dx + dy * dy;
        if (r2 >= rc2) continue;
        const r = Math.sqrt(r2);
        // force-shifted: F_fs(r) = F(r) − F(rc)
        const c = fOverR(r2) - fc / r;
        f[2 * i] += c * dx;
        f[2 * i + 1] += c * dy;
        f[2 * j] -= c * dx;
        f[2 * j + 1] -= c * dy;
      }
    }
  };
  const potential = (s: ArrayLike<number>, o: number) => {
    let v = 0;
    for (let i = 0; i < np; i++) {
      for (let j = i + 1; j < np; j++) {
        const dx = minImage(s[o + 2 * i] - s[o + 2 * j]);
        const dy = minImage(s[o + 2 * i + 1] - s[o + 2 * j + 1]);
        const r2 = dx * dx + dy * dy;
        if (r2 >= rc2) continue;
        v += lj(r2) - uc + (Math.sqrt(r2) - rc) * fc;
      }
    }
    return v;
  };
  const kineticEnergy = (s: ArrayLike<number>, o: number) => {
    let k = 0;
    for (let i = 0; i < d; i++) k += s[o + d + i] * s[o + d + i];
    return k / (2 * mass);
  };
  const ham: SeparableHamiltonian = { dim: d, invMass: new Float64Array(d).fill(1 / mass), force, wrap };
  const names: string[] = [];
  for (let i = 0; i < np; i++) names.push(`x${i}`, `y${i}`);
  for (let i = 0; i < np; i++) names.push(`px${i}`, `py${i}`);
  return {
    name: 'lennard-jones',
    params: { particles: np, box, epsilon: eps, sigma, cutoff: rc, mass },
    stateDim: 2 * d,
    stateNames: names,
    bodies: np,
    defaultEnergyRange: [0.5, 1],
    defaultMaxStep: 0.001,
    driftBound: 1e-3,
    view: { xmin: 0, xmax: box, ymin: 0, ymax: box },
    periodic: true,
    radius: 0.5 * sigma,
    sample(rng, range) {
      const [lo, hi] = checkRange('energyRange', range, 0);
      const temperature = uniformIn(rng, lo, hi);
      // Jittered square lattice (spacing a = box / ceil(√N), jitter ±0.15 a): no initial overlaps.
      const side = Math.ceil(Math.sqrt(np));
      const a = box / side;
      const s = new Float64Array(2 * d);
      for (let i = 0; i < np; i++) {
        s[2 * i] = ((i % side) + 0.5) * a + rng.uniform(-0.15, 0.15) * a;
        s[2 * i + 1] = (Math.floor(i / side) + 0.5) * a + rng.uniform(-0.15, 0.15) * a;
      }
      // Gaussian momenta, zero total momentum, rescaled to kinetic energy (N − 1)·T (2(N − 1) degrees of freedom).
      let mx = 0;
      let my = 0;
      for (let i = 0; i < np; i++) {
        s[d + 2 * i] = rng.normal();
        s[d + 2 * i + 1] = rng.normal();
        mx += s[d + 2 * i];
        my += s[d + 2 * i + 1];
      }
      for (let i = 0; i < np; i++) {
        s[d + 2 * i] -= mx / np;
        s[d + 2 * i + 1] -= my / np;
      }
      const scale = Math.sqrt(((np - 1) * temperature) / kineticEnergy(s, 0));
      for (let i = d; i < 2 * d; i++) s[i] *= scale;
      return s;
    },
    simulate(state0, frames, dt, maxStep = 0.001) {
      checkState('lennard-jones', state0, 2 * d);
      return simulateSeparable(ham, state0, frames, dt, maxStep, 2);
    },
    energy: (s, o = 0) => kineticEnergy(s, o) + potential(s, o),
    energyScale: (s) => kineticEnergy(s, 0),
    positions(s, o, out) {
      for (let i = 0; i < d; i++) out[i] = s[o + i];
    },
  };
}

/** The simulator for `name`, with parameters merged over LATENT_DEFAULT_PARAMS[name]. */
export function latentSystem<K extends LatentSystemName>(name: K, params?: Partial<LatentSystemParams[K]>): LatentSystem {
  switch (name) {
    case 'mass-spring':
      return massSpring(params);
    case 'pendulum':
      return pendulum(params);
    case 'double-pendulum':
      return doublePendulum(params);
    case 'lennard-jones':
      return lennardJones(params);
    default:
      throw new RangeError(`system must be one of ${LATENT_SYSTEMS.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(name)}`);
  }
}

/** max_t |E(t) − E(0)| / scale over a trajectory [frames, stateDim]. */
export function energyDrift(system: LatentSystem, states: Float64Array): number {
  const frames = states.length / system.stateDim;
  const e0 = system.energy(states, 0);
  const scale = system.energyScale(states.subarray(0, system.stateDim));
  let worst = 0;
  for (let k = 1; k < frames; k++) {
    worst = Math.max(worst, Math.abs(system.energy(states, k * system.stateDim) - e0));
  }
  return scale > 0 ? worst / scale : worst;
}
