/** Unpaired arms (the paper's code draws the teacher's poles, y0 and noise after the student's init). */
import { siiInit } from '@sii/init';
import { eigenvalues, Rng } from '@sii/linalg';
import { mlpJacobian64 } from '@sii/mlp';
import { sameBytes } from '@sii/vitest-preset/numbers';
import { describe, expect, it } from 'vitest';
import { generateTeacherStudent, TEACHER_CONFIGS } from '../src/teacher/index.js';

const samples = 20;
const cfg = TEACHER_CONFIGS.incl;
const spec = { states: cfg.states, inputs: cfg.inputs, hidden: cfg.hidden, layers: cfg.layers, activation: cfg.activation };
const teacherInit = { ...spec, solver: cfg.solver, h: cfg.h, complex: cfg.complex, eps: cfg.eps, exclusive: cfg.exclusive };

describe('teacher per arm', () => {
  it('without arm: the streams are the paired ones (weights from fork teacher, y0 from fork train/y0)', () => {
    const d = generateTeacherStudent({ setting: 'incl', seed: 'T', samples });
    const ref = siiInit({ ...teacherInit, rng: new Rng('T').fork('teacher') });
    expect(d.arm).toBeUndefined();
    for (let k = 0; k < 3; k++) expect(sameBytes(d.weights.weights[k].data, ref.weights[k].data)).toBe(true);
    expect(Array.from(d.train.y0)).toEqual(Array.from(new Rng('T').fork('train').fork('y0').fillUniform(new Float64Array(4), 0, 1)));
    expect(Array.from(d.val.y0)).toEqual(Array.from(new Rng('T').fork('val').fork('y0').fillUniform(new Float64Array(4), 0, 1)));
  });

  it('each arm gets its own poles, y0 and noise; the factors and biases are shared; same arm, same bytes', () => {
    const sii = generateTeacherStudent({ setting: 'incl', seed: 'T', samples, arm: 'sii' });
    const base = generateTeacherStudent({ setting: 'incl', seed: 'T', samples, arm: 'baseline' });
    const again = generateTeacherStudent({ setting: 'incl', seed: 'T', samples, arm: 'sii' });
    expect(sii.arm).toBe('sii');
    expect(sii.teacherPoles).toEqual(siiInit({ ...teacherInit, rng: new Rng('T').fork('arm:sii').fork('poles') }).poles);
    expect(sii.teacherPoles).not.toEqual(base.teacherPoles);
    for (const p of [...sii.teacherPoles, ...base.teacherPoles]) expect(Math.hypot(1 + p.re * 0.1, p.im * 0.1)).toBeLessThan(0.8);
    for (const split of ['train', 'val'] as const) {
      expect(Array.from(sii[split].y0)).toEqual(
        Array.from(new Rng('T').fork('arm:sii').fork(split).fork('y0').fillUniform(new Float64Array(4), 0, 1)),
      );
      expect(Array.from(sii[split].y0)).not.toEqual(Array.from(base[split].y0));
      expect(sameBytes(sii[split].inputs, base[split].inputs)).toBe(false); // other noise
      expect(sameBytes(sii[split].states, again[split].states)).toBe(true);
    }
    // the noise-free PWM is the same: inputs differ by noise only (|Δ| well below the ±1 levels' gap of 2)
    const du = sii.train.inputs.map((v, k) => Math.abs(v - base.train.inputs[k]));
    expect(Math.max(...du)).toBeLessThan(1.2);
    // shared torch-seeded parts: biases are drawn after the factors and B0 from the same stream
    for (let k = 0; k < 3; k++) expect(sameBytes(sii.weights.biases[k], base.weights.biases[k])).toBe(true);
    // the teacher's Jacobian at the origin has the arm's poles (to the ±1e-4 biases' effect)
    const ev = eigenvalues(mlpJacobian64(spec, sii.weights, new Float64Array(4), new Float64Array(1)));
    for (const p of sii.teacherPoles) {
      const d = Math.min(...ev.map((e) => Math.hypot(e.re - p.re, e.im - p.im)));
      expect(d / Math.hypot(p.re, p.im)).toBeLessThan(1e-3);
    }
  });

  it('rejects an empty arm name', () => {
    expect(() => generateTeacherStudent({ setting: 'incl', seed: 1, samples, arm: '' })).toThrow(/arm must be a non-empty string, got ""/);
  });
});
