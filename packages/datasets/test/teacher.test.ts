import { eigenvalues, Rng } from '@sii/linalg';
import { mlpForward64, mlpJacobian64 } from '@sii/mlp';
import { sameBytes } from '@sii/vitest-preset/numbers';
import { describe, expect, it } from 'vitest';
import {
  generateTeacherStudent,
  interpolateSamples,
  pwmInput,
  pwmSignal,
  simulateTeacher,
  slidingWindows,
  squareWave,
  type TeacherStudentData,
} from '../src/teacher/index.js';

describe('PWM input', () => {
  it('follows scipy.signal.square: +1 on the first duty fraction of each 2π period', () => {
    expect(squareWave(0, 0.5)).toBe(1);
    expect(squareWave(Math.PI - 1e-9, 0.5)).toBe(1);
    expect(squareWave(Math.PI, 0.5)).toBe(-1);
    expect(squareWave(2 * Math.PI + 0.1, 0.25)).toBe(1);
    expect(squareWave(2 * Math.PI * 0.3, 0.25)).toBe(-1);
    expect(squareWave(-0.1, 0.5)).toBe(-1); // mod into [0, 2π)
    expect(squareWave(1.3, 0)).toBe(-1);
    expect(squareWave(6.2, 1)).toBe(1);
    expect(() => squareWave(0, 1.5)).toThrow(/duty.*1\.5/);
  });
  it('modulates the duty with (sin(π t/8) + 1)/2, or cos for validation', () => {
    // t = 4.05: phase π t mod 2π = 0.05π, duty = (sin(π·4.05/8) + 1)/2 ≈ 1 → +1
    expect(pwmSignal(4.05, 'sin')).toBe(1);
    // t = 12.05: duty ≈ 0 → −1; for cos, duty(12.05) = (cos(1.506π) + 1)/2 ≈ 0.49 > 0.025 → +1
    expect(pwmSignal(12.05, 'sin')).toBe(-1);
    expect(pwmSignal(12.05, 'cos')).toBe(1);
    // t = 1.3: phase 1.3π → fraction 0.65 of the period; duty(1.3) = (sin(0.1625π)+1)/2 ≈ 0.74 → +1
    expect(pwmSignal(1.3, 'sin')).toBe(1);
    expect(pwmSignal(1.3, 'cos')).toBe(1); // duty (cos(0.1625π)+1)/2 ≈ 0.94
    expect(pwmSignal(1.9, 'sin')).toBe(-1); // fraction 0.95 > duty ≈ 0.78
  });
  it('adds N(0, 0.1²) noise to the samples', () => {
    const u = pwmInput({ samples: 2000, dt: 0.1, modulation: 'sin', noiseStd: 0.1, rng: new Rng(2) });
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < 2000; k++) {
      const e = u[k] - pwmSignal(k * 0.1, 'sin');
      s += e;
      s2 += e * e;
    }
    expect(Math.abs(s / 2000)).toBeLessThan(0.01); // 4.5 standard errors
    expect(Math.sqrt(s2 / 2000)).toBeGreaterThan(0.093);
    expect(Math.sqrt(s2 / 2000)).toBeLessThan(0.107);
  });
  it('interpolates linearly between samples and holds at the ends', () => {
    const v = Float64Array.of(0, 10, 1, 20, 3, 40); // [3, 2]
    const out = new Float64Array(2);
    expect(Array.from(interpolateSamples(v, 2, 0, 0.5, 0.25, out))).toEqual([0.5, 15]);
    expect(Array.from(interpolateSamples(v, 2, 0, 0.5, 0.875, out))).toEqual([2.5, 35]);
    expect(Array.from(interpolateSamples(v, 2, 0, 0.5, 7, out))).toEqual([3, 40]);
    expect(Array.from(interpolateSamples(v, 2, 0, 0.5, -1, out))).toEqual([0, 10]);
  });
});

/** Classic RK4 with a fixed small step on the linearly interpolated input: an independent reference. */
function rk4Reference(d: TeacherStudentData, inputs: Float64Array, y0: Float64Array, samples: number, sub: number): Float64Array {
  const n = d.spec.states;
  const f = (t: number, x: Float64Array) => {
    const k = Math.min(Math.floor(t / d.dt + 1e-12), samples - 2);
    const w = t / d.dt - k;
    const u = [inputs[k] + w * (inputs[k + 1] - inputs[k])];
    return mlpForward64(d.spec, d.weights, x, u);
  };
  const out = new Float64Array(samples * n);
  const y = Float64Array.from(y0);
  out.set(y);
  const h = d.dt / sub;
  for (let k = 0; k + 1 < samples; k++) {
    for (let s = 0; s < sub; s++) {
      const t = k * d.dt + s * h;
      const k1 = f(t, y);
      const k2 = f(
        t + h / 2,
        y.map((v, i) => v + (h / 2) * k1[i]),
      );
      const k3 = f(
        t + h / 2,
        y.map((v, i) => v + (h / 2) * k2[i]),
      );
      const k4 = f(
        t + h,
        y.map((v, i) => v + h * k3[i]),
      );
      for (let i = 0; i < n; i++) y[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
    out.set(y, (k + 1) * n);
  }
  return out;
}

describe('teacher–student generator', () => {
  const incl = generateTeacherStudent({ setting: 'incl', seed: 1 });

  it('has the paper’s shapes: 300 samples at dt 0.1, 291 windows of 10', () => {
    expect(incl.spec).toEqual({ states: 4, inputs: 1, hidden: 128, layers: 3, activation: 'elu' });
    expect(incl.t.length).toBe(300);
    expect(incl.t[299]).toBeCloseTo(29.9, 12);
    for (const split of [incl.train, incl.val]) {
      expect(split.states).toBeInstanceOf(Float32Array);
      expect(split.states.length).toBe(300 * 4);
      expect(split.inputs.length).toBe(300);
      expect(split.windows.count).toBe(291);
      expect(split.windows.states.length).toBe(291 * 10 * 4);
      expect(split.windows.inputs.length).toBe(291 * 10);
      expect(split.poles.length).toBe(300 * 4 * 2);
      // window s, step i = sample s + i
      for (const s of [0, 17, 290]) {
        for (const i of [0, 9]) {
          expect(split.windows.states[(s * 10 + i) * 4 + 2]).toBe(split.states[(s + i) * 4 + 2]);
          expect(split.windows.inputs[s * 10 + i]).toBe(split.inputs[s + i]);
        }
      }
      expect(split.states[0]).toBe(Math.fround(split.y0[0]));
      for (const v of split.y0) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(1);
      }
    }
    expect(incl.weights.weights.map((w) => [w.rows, w.cols])).toEqual([
      [5, 128],
      [128, 128],
      [128, 4],
    ]);
    expect(incl.weights.weights[0].data).toBeInstanceOf(Float64Array);
  });

  it('drives training with the sin-PWM and validation with the cos-PWM (noise std 0.1)', () => {
    let agreeTrain = 0;
    let agreeVal = 0;
    for (let k = 0; k < 300; k++) {
      if (Math.abs(incl.train.inputs64[k] - pwmSignal(k * 0.1, 'sin')) < 0.5) agreeTrain++;
      if (Math.abs(incl.val.inputs64[k] - pwmSignal(k * 0.1, 'cos')) < 0.5) agreeVal++;
    }
    // |N(0, 0.1)| < 0.5 except with probability 6e-7
    expect(agreeTrain).toBe(300);
    expect(agreeVal).toBe(300);
    expect(incl.train.y0).not.toEqual(incl.val.y0);
  });

  it('places the incl teacher poles inside the Euler region by 0.2 (|1 + hλ| < 0.8), as conjugate pairs', () => {
    expect(incl.teacherPoles.length).toBe(4);
    for (const p of incl.teacherPoles) expect(Math.hypot(1 + 0.1 * p.re, 0.1 * p.im)).toBeLessThan(0.8);
    expect(incl.teacherPoles[0].im).toBeCloseTo(-incl.teacherPoles[1].im, 12);
    // eig(∂f/∂x at the origin) are the poles (biases ~1e-4 shift them slightly)
    const ev = eigenvalues(mlpJacobian64(incl.spec, incl.weights, [0, 0, 0, 0], [0]));
    const sorted = (a: { re: number; im: number }[]) => [...a].sort((x, y) => x.re - y.re || x.im - y.im);
    const got = sorted(ev);
    const want = sorted(incl.teacherPoles);
    for (let i = 0; i < 4; i++) {
      expect(Math.abs(got[i].re - want[i].re)).toBeLessThan(1e-2);
      expect(Math.abs(got[i].im - want[i].im)).toBeLessThan(1e-2);
    }
  });

  it('integrates the teacher accurately (tight dopri5 = fine-step RK4 to 1e-7; defaults within 1e-5)', () => {
    const samples = 40;
    const tight = generateTeacherStudent({ setting: 'incl', seed: 1, samples, rtol: 1e-10, atol: 1e-12, trajectoryPoles: false });
    const ref = rk4Reference(tight, tight.train.inputs64, tight.train.y0, samples, 40);
    let worst = 0;
    let worstDefault = 0;
    for (let i = 0; i < samples * 4; i++) {
      worst = Math.max(worst, Math.abs(tight.train.states64[i] - ref[i]));
      worstDefault = Math.max(worstDefault, Math.abs(incl.train.states64[i] - ref[i]));
    }
    expect(worst).toBeLessThan(1e-7);
    expect(worstDefault).toBeLessThan(1e-5);
  });

  it('places the excl teacher poles outside the RK4 region by 0.2, and records the poles along the trajectory', () => {
    const d = generateTeacherStudent({ setting: 'excl', seed: 3, samples: 40 });
    expect(d.spec.states).toBe(2);
    for (const p of d.teacherPoles) {
      const z = { re: 0.1 * p.re, im: 0.1 * p.im };
      // R4(z) = 1 + z + z²/2 + z³/6 + z⁴/24 by Horner in complex arithmetic
      let re = 1 / 24;
      let im = 0;
      for (const c of [1 / 6, 1 / 2, 1, 1]) {
        [re, im] = [re * z.re - im * z.im + c, re * z.im + im * z.re];
      }
      expect(Math.hypot(re, im)).toBeGreaterThanOrEqual(1.2);
    }
    // poles at every sample: sum = trace(J), product = det(J) for n = 2
    for (const k of [0, 13, 39]) {
      const J = mlpJacobian64(d.spec, d.weights, d.train.states64.subarray(2 * k, 2 * k + 2), [d.train.inputs64[k]]).data;
      const [a, b, c, e] = [d.train.poles[4 * k], d.train.poles[4 * k + 1], d.train.poles[4 * k + 2], d.train.poles[4 * k + 3]];
      const tr = J[0] + J[3];
      const det = J[0] * J[3] - J[1] * J[2];
      expect(a + c).toBeCloseTo(tr, 8);
      expect(b + e).toBeCloseTo(0, 8);
      expect(a * c - b * e).toBeCloseTo(det, 6);
      expect(a * e + b * c).toBeCloseTo(0, 6);
    }
    expect(d.train.windows.count).toBe(31);
  });

  it('reproduces bytes for a seed; another seed gives another teacher', () => {
    const a = generateTeacherStudent({ setting: 'excl', seed: 'teacher-7', samples: 12 });
    const b = generateTeacherStudent({ setting: 'excl', seed: 'teacher-7', samples: 12 });
    const c = generateTeacherStudent({ setting: 'excl', seed: 'teacher-8', samples: 12 });
    expect(sameBytes(a.train.states, b.train.states)).toBe(true);
    expect(sameBytes(a.val.windows.inputs, b.val.windows.inputs)).toBe(true);
    expect(sameBytes(a.weights.weights[1].data, b.weights.weights[1].data)).toBe(true);
    expect(sameBytes(a.train.states, c.train.states)).toBe(false);
    expect(sameBytes(a.weights.weights[1].data, c.weights.weights[1].data)).toBe(false);
  });

  it('simulateTeacher and slidingWindows check their arguments', () => {
    expect(() => simulateTeacher(incl.spec, incl.weights, [0, 0], new Float64Array(10), 0.1)).toThrow(/y0.*length.*4/);
    expect(() => slidingWindows(new Float64Array(6), 2, 4)).toThrow(/window = 4/);
    expect(Array.from(slidingWindows(Float64Array.of(1, 2, 3, 4), 1, 3))).toEqual([1, 2, 3, 2, 3, 4]);
  });

  it('rejects bad options naming the argument', () => {
    expect(() => generateTeacherStudent({ setting: 'both' as never, seed: 1 })).toThrow(/setting.*'incl', 'excl'.*"both"/);
    expect(() => generateTeacherStudent({ setting: 'incl', seed: 1, samples: 5 })).toThrow(/samples.*5/);
    expect(() => generateTeacherStudent({ setting: 'incl', seed: Number.NaN })).toThrow(/seed.*NaN/);
    expect(() => generateTeacherStudent({ setting: 'incl', seed: 1, noiseStd: -0.1 })).toThrow(/noiseStd.*-0\.1/);
    expect(() => generateTeacherStudent({ setting: 'incl', seed: 1, teacher: { hidden: 2 } })).toThrow(/teacher\.hidden.*2/);
  });
});
