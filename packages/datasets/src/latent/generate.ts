/** Seeded latent-dynamics datasets: simulated trajectories rendered to RGB frames. */
import { Rng } from '@sii/linalg';
import { checkInt, checkNonNegative, checkPositive, checkRange, checkSeed } from './checks.js';
import { type RenderOptions, renderFrame } from './render.js';
import {
  energyDrift,
  LATENT_SYSTEMS,
  type LatentSystem,
  type LatentSystemName,
  type LatentSystemParams,
  latentSystem,
  type View,
} from './systems.js';

export interface LatentDatasetOptions<K extends LatentSystemName = LatentSystemName> {
  system: K;
  /** Number of sequences N. */
  count: number;
  seed: number | string;
  /** Conditioning frames (default 10). */
  inputFrames?: number;
  /** Frames to predict (default 60; the paper tests on 240). */
  targetFrames?: number;
  /** Time between frames (default 0.1). */
  dt?: number;
  /** Frame size (default 32 × 32). */
  height?: number;
  width?: number;
  /** Energy range of the initial states (temperature range for lennard-jones); default per system. */
  energyRange?: readonly [number, number];
  /** Physical parameters merged over LATENT_DEFAULT_PARAMS. */
  params?: Partial<LatentSystemParams[K]>;
  /** Largest symplectic substep (separable systems; the double pendulum uses dopri5 and ignores it); default per system. */
  maxStep?: number;
  /** Disc radius (world units), Gaussian edge (pixels) and view; defaults per system. */
  radius?: number;
  edge?: number;
  view?: View;
  /**
   * Throw if a trajectory's relative energy drift exceeds this (default: the system's driftBound scaled
   * by frames / 70 when longer than 70 frames).
   */
  maxEnergyDrift?: number;
}

export interface LatentDataset {
  system: LatentSystemName;
  params: Readonly<Record<string, number>>;
  count: number;
  /** Total frames T = inputFrames + targetFrames. */
  frames: number;
  inputFrames: number;
  targetFrames: number;
  dt: number;
  height: number;
  width: number;
  /** Frames [N, T, H, W, 3] in [0, 1]. */
  images: Float32Array;
  /** Float64 states [N, T, stateDim] (layout: stateNames). */
  states: Float64Array;
  stateDim: number;
  stateNames: readonly string[];
  /** Total energy [N, T]. */
  energies: Float64Array;
  /** Largest relative energy drift max_t |E(t) − E(0)| / scale over all sequences. */
  maxEnergyDrift: number;
  shapes: { images: [number, number, number, number, number]; states: [number, number, number]; energies: [number, number] };
}

/** Generate N seeded sequences: each sequence i uses rng.fork(i) of new Rng(seed) for its initial state. */
export function generateLatentDataset<K extends LatentSystemName>(opts: LatentDatasetOptions<K>): LatentDataset {
  if (opts == null || typeof opts !== 'object') throw new TypeError(`opts must be an object, got ${String(opts)}`);
  if (!LATENT_SYSTEMS.includes(opts.system)) {
    throw new RangeError(`system must be one of ${LATENT_SYSTEMS.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(opts.system)}`);
  }
  const system: LatentSystem = latentSystem(opts.system, opts.params);
  const count = checkInt('count', opts.count, 1);
  const seed = checkSeed('seed', opts.seed);
  const inputFrames = checkInt('inputFrames', opts.inputFrames ?? 10, 1);
  const targetFrames = checkInt('targetFrames', opts.targetFrames ?? 60, 0);
  const dt = checkPositive('dt', opts.dt ?? 0.1);
  const height = checkInt('height', opts.height ?? 32, 1, 4096);
  const width = checkInt('width', opts.width ?? 32, 1, 4096);
  const range = checkRange('energyRange', opts.energyRange ?? system.defaultEnergyRange, 0);
  const maxStep = opts.maxStep === undefined ? undefined : checkPositive('maxStep', opts.maxStep);
  const frames = inputFrames + targetFrames;
  const driftLimit =
    opts.maxEnergyDrift === undefined
      ? system.driftBound * Math.max(1, (frames * dt) / 7)
      : checkNonNegative('maxEnergyDrift', opts.maxEnergyDrift);
  const render: RenderOptions = {
    height,
    width,
    view: opts.view ?? system.view,
    radius: opts.radius ?? system.radius,
    periodic: system.periodic,
  };
  if (opts.edge !== undefined) render.edge = opts.edge;
  if (opts.radius !== undefined) checkPositive('radius', opts.radius);
  if (opts.view !== undefined && !(opts.view.xmax > opts.view.xmin && opts.view.ymax > opts.view.ymin)) {
    throw new RangeError(`view must have xmax > xmin and ymax > ymin, got ${JSON.stringify(opts.view)}`);
  }
  if (opts.edge !== undefined) checkNonNegative('edge', opts.edge);

  const d = system.stateDim;
  const frameSize = height * width * 3;
  const images = new Float32Array(count * frames * frameSize);
  const states = new Float64Array(count * frames * d);
  const energies = new Float64Array(count * frames);
  const positions = new Float64Array(2 * system.bodies);
  const scratch = new Float64Array(frameSize);
  const root = new Rng(seed);
  let worst = 0;
  for (let n = 0; n < count; n++) {
    const state0 = system.sample(root.fork(n), range);
    const traj = system.simulate(state0, frames, dt, maxStep ?? system.defaultMaxStep);
    const drift = energyDrift(system, traj);
    if (!(drift <= driftLimit)) {
      throw new Error(
        `${system.name}: sequence ${n} has relative energy drift ${drift.toExponential(3)} > ${driftLimit.toExponential(3)}; decrease maxStep or dt`,
      );
    }
    worst = Math.max(worst, drift);
    states.set(traj, n * frames * d);
    for (let k = 0; k < frames; k++) {
      energies[n * frames + k] = system.energy(traj, k * d);
      system.positions(traj, k * d, positions);
      renderFrame(positions, render, images, (n * frames + k) * frameSize, scratch);
    }
  }
  return {
    system: system.name,
    params: system.params,
    count,
    frames,
    inputFrames,
    targetFrames,
    dt,
    height,
    width,
    images,
    states,
    stateDim: d,
    stateNames: system.stateNames,
    energies,
    maxEnergyDrift: worst,
    shapes: { images: [count, frames, height, width, 3], states: [count, frames, d], energies: [count, frames] },
  };
}

/** Split frames into conditioning inputs [N, inputFrames, H, W, 3] and targets [N, targetFrames, H, W, 3] (copies). */
export function splitLatentFrames(ds: LatentDataset): { inputs: Float32Array; targets: Float32Array } {
  const fs = ds.height * ds.width * 3;
  const inputs = new Float32Array(ds.count * ds.inputFrames * fs);
  const targets = new Float32Array(ds.count * ds.targetFrames * fs);
  for (let n = 0; n < ds.count; n++) {
    const base = n * ds.frames * fs;
    inputs.set(ds.images.subarray(base, base + ds.inputFrames * fs), n * ds.inputFrames * fs);
    targets.set(ds.images.subarray(base + ds.inputFrames * fs, base + ds.frames * fs), n * ds.targetFrames * fs);
  }
  return { inputs, targets };
}
