import { Rng } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import { energyDrift, generateLatentDataset, LATENT_DEFAULT_PARAMS, latentSystem, renderFrame, splitLatentFrames } from '../src/index.js';

/** Intensity centroid (column, row) of an [H, W, 3] frame in continuous pixel coordinates (centres at +½). */
function centroid(frame: Float32Array, height: number, width: number): [number, number] {
  let sx = 0;
  let sy = 0;
  let s = 0;
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const p = 3 * (i * width + j);
      const v = frame[p] + frame[p + 1] + frame[p + 2];
      sx += v * (j + 0.5);
      sy += v * (i + 0.5);
      s += v;
    }
  }
  return [sx / s, sy / s];
}

/** Complete elliptic integral of the first kind K(k) by the arithmetic–geometric mean. */
function ellipticK(k: number): number {
  let a = 1;
  let b = Math.sqrt(1 - k * k);
  for (let i = 0; i < 30; i++) [a, b] = [(a + b) / 2, Math.sqrt(a * b)];
  return Math.PI / (2 * a);
}

/** Times of upward zero crossings of q (linear interpolation between frames). */
function upwardCrossings(states: Float64Array, dim: number, dt: number): number[] {
  const out: number[] = [];
  for (let k = 0; k + 1 < states.length / dim; k++) {
    const a = states[k * dim];
    const b = states[(k + 1) * dim];
    if (a < 0 && b >= 0) out.push((k + a / (a - b)) * dt);
  }
  return out;
}

describe('mass-spring', () => {
  const { mass: m, stiffness: k } = LATENT_DEFAULT_PARAMS['mass-spring'];
  it('matches the analytic solution q(t) = q0 cos ωt + p0/(mω) sin ωt', () => {
    const sys = latentSystem('mass-spring');
    const w = Math.sqrt(k / m);
    const q0 = 0.7;
    const p0 = -0.3;
    const traj = sys.simulate([q0, p0], 70, 0.1);
    let worst = 0;
    for (let f = 0; f < 70; f++) {
      const t = f * 0.1;
      const q = q0 * Math.cos(w * t) + (p0 / (m * w)) * Math.sin(w * t);
      const p = -q0 * m * w * Math.sin(w * t) + p0 * Math.cos(w * t);
      worst = Math.max(worst, Math.abs(traj[2 * f] - q), Math.abs(traj[2 * f + 1] - p));
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('conserves energy (relative drift < 1e-6 over 70 frames) with energies in the sampled range', () => {
    const ds = generateLatentDataset({ system: 'mass-spring', count: 6, seed: 11 });
    for (let n = 0; n < 6; n++) {
      const e = (f: number) => {
        const o = (n * 70 + f) * 2;
        return ds.states[o + 1] ** 2 / (2 * m) + 0.5 * k * ds.states[o] ** 2;
      };
      const e0 = e(0);
      expect(e0).toBeGreaterThanOrEqual(0.1);
      expect(e0).toBeLessThanOrEqual(1);
      for (let f = 1; f < 70; f++) expect(Math.abs(e(f) - e0) / e0).toBeLessThan(1e-6);
      expect(ds.energies[n * 70]).toBeCloseTo(e0, 12);
    }
    expect(ds.maxEnergyDrift).toBeLessThan(1e-6);
  });

  it('renders the disc with its intensity centroid within half a pixel of the projected body', () => {
    const ds = generateLatentDataset({ system: 'mass-spring', count: 3, seed: 5, targetFrames: 20 });
    const fs = 32 * 32 * 3;
    for (let idx = 0; idx < 3 * 30; idx++) {
      const frame = ds.images.subarray(idx * fs, (idx + 1) * fs);
      const [cx, cy] = centroid(frame, 32, 32);
      // view [-1.5, 1.5]², body at (q, 0)
      const q = ds.states[idx * 2];
      expect(Math.abs(cx - ((q + 1.5) / 3) * 32)).toBeLessThan(0.5);
      expect(Math.abs(cy - 16)).toBeLessThan(0.5);
    }
  });
});

describe('pendulum', () => {
  const { mass: m, length: l, gravity: g } = LATENT_DEFAULT_PARAMS.pendulum;
  it('small-angle period matches 2π√(l/g) within 0.1%', () => {
    const sys = latentSystem('pendulum');
    const traj = sys.simulate([-0.01, 0], 200, 0.1);
    const c = upwardCrossings(traj, 2, 0.1);
    expect(c.length).toBeGreaterThanOrEqual(4);
    const period = (c[c.length - 1] - c[0]) / (c.length - 1);
    const expected = 2 * Math.PI * Math.sqrt(l / g);
    expect(Math.abs(period / expected - 1)).toBeLessThan(1e-3);
  });

  it('large-amplitude period matches 4√(l/g)·K(sin(θ0/2))', () => {
    const sys = latentSystem('pendulum');
    const theta0 = 2;
    const traj = sys.simulate([-theta0, 0], 300, 0.1);
    const c = upwardCrossings(traj, 2, 0.1);
    const period = (c[c.length - 1] - c[0]) / (c.length - 1);
    const expected = 4 * Math.sqrt(l / g) * ellipticK(Math.sin(theta0 / 2));
    expect(Math.abs(period / expected - 1)).toBeLessThan(1e-3);
  });

  it('conserves energy (relative drift < 1e-6 over 70 frames)', () => {
    const ds = generateLatentDataset({ system: 'pendulum', count: 6, seed: 3 });
    for (let n = 0; n < 6; n++) {
      const e = (f: number) => {
        const o = (n * 70 + f) * 2;
        return ds.states[o + 1] ** 2 / (2 * m * l * l) + m * g * l * (1 - Math.cos(ds.states[o]));
      };
      const e0 = e(0);
      expect(e0).toBeGreaterThanOrEqual(0.3);
      expect(e0).toBeLessThanOrEqual(2.25);
      for (let f = 1; f < 70; f++) expect(Math.abs(e(f) - e0) / e0).toBeLessThan(1e-6);
    }
  });
});

describe('double pendulum', () => {
  const { mass1: m1, mass2: m2, length1: l1, length2: l2, gravity: g } = LATENT_DEFAULT_PARAMS['double-pendulum'];
  /** Energy from Cartesian positions and velocities of the bobs. */
  function cartesianEnergy(s: Float64Array, o: number): number {
    const [t1, t2, w1, w2] = [s[o], s[o + 1], s[o + 2], s[o + 3]];
    const v1x = l1 * w1 * Math.cos(t1);
    const v1y = l1 * w1 * Math.sin(t1);
    const v2x = v1x + l2 * w2 * Math.cos(t2);
    const v2y = v1y + l2 * w2 * Math.sin(t2);
    const y1 = -l1 * Math.cos(t1);
    const y2 = y1 - l2 * Math.cos(t2);
    // potential relative to the hanging rest state (y1 = −l1, y2 = −l1 − l2)
    return 0.5 * m1 * (v1x ** 2 + v1y ** 2) + 0.5 * m2 * (v2x ** 2 + v2y ** 2) + m1 * g * (y1 + l1) + m2 * g * (y2 + l1 + l2);
  }

  it('conserves the Cartesian energy (relative drift < 1e-7 over 70 frames), energies in [1, 4]', () => {
    const ds = generateLatentDataset({ system: 'double-pendulum', count: 4, seed: 9 });
    expect(ds.shapes.states).toEqual([4, 70, 4]);
    for (let n = 0; n < 4; n++) {
      const e0 = cartesianEnergy(ds.states, n * 70 * 4);
      expect(e0).toBeGreaterThanOrEqual(1);
      expect(e0).toBeLessThanOrEqual(4);
      for (let f = 1; f < 70; f++) {
        expect(Math.abs(cartesianEnergy(ds.states, (n * 70 + f) * 4) - e0) / e0).toBeLessThan(1e-7);
      }
    }
  });

  it('small oscillations follow the normal-mode frequencies of the linearised system', () => {
    // m1 = m2, l1 = l2 = l: ω² = (g/l)(2 ∓ √2); start on the slow mode θ2 = √2 θ1.
    const sys = latentSystem('double-pendulum');
    const a = 1e-3;
    const traj = sys.simulate([-a, -Math.SQRT2 * a, 0, 0], 120, 0.1);
    const c = upwardCrossings(traj, 4, 0.1);
    const period = (c[c.length - 1] - c[0]) / (c.length - 1);
    const omega = Math.sqrt((g / l1) * (2 - Math.SQRT2));
    expect(Math.abs(period / ((2 * Math.PI) / omega) - 1)).toBeLessThan(1e-3);
  });
});

describe('lennard-jones gas', () => {
  const { particles: np, box } = LATENT_DEFAULT_PARAMS['lennard-jones'];
  it('keeps |E(t) − E(0)| < 1e-3·KE(0), zero total momentum and wrapped positions', () => {
    const ds = generateLatentDataset({ system: 'lennard-jones', count: 2, seed: 21, height: 16, width: 16 });
    const d = 4 * np;
    expect(ds.stateDim).toBe(d);
    const sys = latentSystem('lennard-jones');
    for (let n = 0; n < 2; n++) {
      const traj = ds.states.subarray(n * 70 * d, (n + 1) * 70 * d);
      let ke0 = 0;
      for (let i = 2 * np; i < d; i++) ke0 += traj[i] ** 2 / 2;
      // initial temperature in [0.5, 1]: KE = (N − 1)·T
      expect(ke0 / (np - 1)).toBeGreaterThanOrEqual(0.5);
      expect(ke0 / (np - 1)).toBeLessThanOrEqual(1);
      expect(energyDrift(sys, Float64Array.from(traj))).toBeLessThan(1e-3);
      for (let f = 0; f < 70; f++) {
        let px = 0;
        let py = 0;
        for (let i = 0; i < np; i++) {
          px += traj[f * d + 2 * np + 2 * i];
          py += traj[f * d + 2 * np + 2 * i + 1];
          expect(traj[f * d + 2 * i]).toBeGreaterThanOrEqual(0);
          expect(traj[f * d + 2 * i]).toBeLessThan(box);
        }
        expect(Math.abs(px) + Math.abs(py)).toBeLessThan(1e-10);
      }
    }
  });

  it('wraps discs across the periodic box edges', () => {
    const opts = { height: 16, width: 16, view: { xmin: 0, xmax: 8, ymin: 0, ymax: 8 }, radius: 0.5, periodic: true };
    const frame = renderFrame([0.05, 4], opts);
    // a disc at x = 0.05 shows on the right edge too (column 15, row of y = 4 → rows 7..8)
    expect(frame[3 * (7 * 16 + 15)]).toBeGreaterThan(0.3);
    const open = renderFrame([0.05, 4], { ...opts, periodic: false });
    expect(open[3 * (7 * 16 + 15)]).toBe(0);
  });
});

describe('rendering and datasets', () => {
  it('puts a disc centroid within half a pixel of its position, for any size', () => {
    const rng = new Rng(4);
    for (const [h, w] of [
      [32, 32],
      [24, 40],
      [64, 64],
    ] as const) {
      for (let trial = 0; trial < 5; trial++) {
        const x = rng.uniform(-0.8, 0.8);
        const y = rng.uniform(-0.8, 0.8);
        const view = { xmin: -1.5, xmax: 1.5, ymin: -1.5, ymax: 1.5 };
        const frame = renderFrame([x, y], { height: h, width: w, view, radius: 0.25 });
        const [cx, cy] = centroid(frame, h, w);
        expect(Math.abs(cx - ((x + 1.5) / 3) * w)).toBeLessThan(0.5);
        expect(Math.abs(cy - ((1.5 - y) / 3) * h)).toBeLessThan(0.5);
      }
    }
  });

  it('gives each body its own colour, full intensity at the disc centre', () => {
    const view = { xmin: -2.5, xmax: 2.5, ymin: -2.5, ymax: 2.5 };
    const frame = renderFrame([-1.25, 0, 1.25, 0], { height: 32, width: 32, view, radius: 0.6 });
    const pix = (x: number) => {
      const j = Math.floor(((x + 2.5) / 5) * 32);
      return Array.from(frame.subarray(3 * (16 * 32 + j), 3 * (16 * 32 + j) + 3));
    };
    const a = pix(-1.25);
    const b = pix(1.25);
    expect(Math.max(...a)).toBeCloseTo(1, 6);
    expect(Math.max(...b)).toBeCloseTo(1, 6);
    expect(a).not.toEqual(b);
  });

  it('has the documented shapes, values in [0, 1], configurable size and horizon', () => {
    const ds = generateLatentDataset({ system: 'pendulum', count: 2, seed: 1, height: 20, width: 28, targetFrames: 240 });
    expect(ds.frames).toBe(250);
    expect(ds.shapes.images).toEqual([2, 250, 20, 28, 3]);
    expect(ds.images.length).toBe(2 * 250 * 20 * 28 * 3);
    expect(ds.states.length).toBe(2 * 250 * 2);
    let min = Infinity;
    let max = -Infinity;
    for (const v of ds.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.99);
    const { inputs, targets } = splitLatentFrames(ds);
    const fs = 20 * 28 * 3;
    expect(inputs.length).toBe(2 * 10 * fs);
    expect(targets.length).toBe(2 * 240 * fs);
    expect(inputs.subarray(10 * fs, 20 * fs)).toEqual(ds.images.subarray(250 * fs, 260 * fs));
    expect(targets.subarray(0, fs)).toEqual(ds.images.subarray(10 * fs, 11 * fs));
  });

  it('reproduces bytes for the same seed and differs for another seed', () => {
    const a = generateLatentDataset({ system: 'double-pendulum', count: 2, seed: 'x', targetFrames: 10 });
    const b = generateLatentDataset({ system: 'double-pendulum', count: 2, seed: 'x', targetFrames: 10 });
    const c = generateLatentDataset({ system: 'double-pendulum', count: 2, seed: 'y', targetFrames: 10 });
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(b.images.buffer))).toBe(true);
    expect(Buffer.from(a.states.buffer).equals(Buffer.from(b.states.buffer))).toBe(true);
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(c.images.buffer))).toBe(false);
  });

  it('rejects bad input naming the argument', () => {
    expect(() => generateLatentDataset({ system: 'spring' as never, count: 1, seed: 1 })).toThrow(/system.*'spring'|system.*"spring"/);
    expect(() => generateLatentDataset({ system: 'pendulum', count: 0, seed: 1 })).toThrow(/count.*0/);
    expect(() => generateLatentDataset({ system: 'pendulum', count: 1, seed: Number.NaN })).toThrow(/seed/);
    expect(() => generateLatentDataset({ system: 'pendulum', count: 1, seed: 1, height: 0 })).toThrow(/height.*0/);
    expect(() => generateLatentDataset({ system: 'pendulum', count: 1, seed: 1, energyRange: [2, 1] })).toThrow(/energyRange/);
    expect(() => generateLatentDataset({ system: 'pendulum', count: 1, seed: 1, params: { gravity: -1 } })).toThrow(/params\.gravity.*-1/);
    expect(() => latentSystem('pendulum').simulate([1], 10, 0.1)).toThrow(/state0.*length 2/);
    expect(() => latentSystem('lennard-jones', { cutoff: 5 })).toThrow(/cutoff/);
  });
});
