import { initBackend, MlpVectorField, NeuralODE } from '@sii/neural-ode';
import { lcg, relErr } from '@sii/vitest-preset/numbers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, clipByGlobalNorm, globalNorm, mse, NAdam, NonFiniteStepError, SGD, trainStep } from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

/** Float64 scalar-loop reference of torch.optim.Adam / NAdam (default options, no weight decay). */
function reference(kind: 'adam' | 'nadam', theta: number[], grads: number[][], lr: number) {
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  const psi = 0.004;
  const m = theta.map(() => 0);
  const v = theta.map(() => 0);
  let muProd = 1;
  const p = [...theta];
  grads.forEach((g, s) => {
    const t = s + 1;
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    muProd *= mu;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      if (kind === 'adam') {
        const mHat = m[i] / (1 - b1 ** t);
        const vHat = v[i] / (1 - b2 ** t);
        p[i] = p[i] - (lr * mHat) / (Math.sqrt(vHat) + eps);
      } else {
        const denom = Math.sqrt(v[i] / (1 - b2 ** t)) + eps;
        p[i] = p[i] - (lr * (1 - mu) * g[i]) / (1 - muProd) / denom - (lr * muNext * m[i]) / (1 - muProd * muNext) / denom;
      }
    }
  });
  return p;
}

describe('optimizers', () => {
  for (const kind of ['adam', 'nadam'] as const) {
    it(`${kind}: 5 steps match a float64 reference of torch's update rule`, () => {
      const r = lcg(kind.length);
      const theta = Array.from({ length: 7 }, () => Math.fround(r()));
      const grads = Array.from({ length: 5 }, () => Array.from({ length: 7 }, () => Math.fround(r() * (r() > 0 ? 1 : 1e-3))));
      const lr = 0.05;
      const v = tf.variable(tf.tensor1d(theta));
      const opt = kind === 'adam' ? new Adam({ learningRate: lr }) : new NAdam({ learningRate: lr });
      for (const g of grads) {
        const gt = tf.tensor1d(g);
        opt.step([v], [gt]);
        gt.dispose();
      }
      expect(opt.iterations).toBe(5);
      const want = reference(kind, theta, grads, lr);
      const got = v.dataSync();
      // differences from the start point agree to float32 precision
      const dGot = Array.from(got, (x, i) => x - theta[i]);
      const dWant = want.map((x, i) => x - theta[i]);
      expect(relErr(dGot, dWant)).toBeLessThan(1e-5);
      opt.dispose();
      v.dispose();
    });
  }

  for (const kind of ['adam', 'nadam'] as const) {
    it(`${kind}: flat update of several variables (2-D and 1-D) and a change of the variable list keep per-variable torch semantics`, () => {
      const r = lcg(3 + kind.length);
      const shapes: number[][] = [[2, 3], [3], [4, 1]];
      const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
      const theta = sizes.map((n) => Array.from({ length: n }, () => Math.fround(r())));
      const vars = shapes.map((s, i) => tf.variable(tf.tensor(theta[i], s)));
      const lr = 0.03;
      const opt = kind === 'adam' ? new Adam({ learningRate: lr }) : new NAdam({ learningRate: lr });
      // 4 steps on all three variables, then 2 steps on variables 2 and 0 only (variable 1 keeps its
      // moments; torch's step counter is global in this implementation, so the reference uses t = 5, 6).
      const gAll = Array.from({ length: 6 }, () => sizes.map((n) => Array.from({ length: n }, () => Math.fround(r()))));
      for (let s = 0; s < 6; s++) {
        const idx = s < 4 ? [0, 1, 2] : [2, 0];
        const gs = idx.map((i) => tf.tensor(gAll[s][i], shapes[i]));
        opt.step(
          idx.map((i) => vars[i]),
          gs,
        );
        tf.dispose(gs);
      }
      // Reference: a per-variable float64 loop; variables 0 and 2 see 6 gradients, variable 1 sees 4.
      // With a global step counter the coefficients of steps 5, 6 are those of t = 5, 6 for everyone.
      for (const i of [0, 2]) {
        const want = reference(
          kind,
          theta[i],
          gAll.map((g) => g[i]),
          lr,
        );
        const d = Array.from(vars[i].dataSync(), (x, k) => x - theta[i][k]);
        expect(
          relErr(
            d,
            want.map((x, k) => x - theta[i][k]),
          ),
        ).toBeLessThan(1e-5);
      }
      const want1 = reference(
        kind,
        theta[1],
        gAll.slice(0, 4).map((g) => g[1]),
        lr,
      );
      const d1 = Array.from(vars[1].dataSync(), (x, k) => x - theta[1][k]);
      expect(
        relErr(
          d1,
          want1.map((x, k) => x - theta[1][k]),
        ),
      ).toBeLessThan(1e-5);
      expect(opt.iterations).toBe(6);
      const before = tf.memory().numTensors;
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before - 4); // flat m, v (one each) + parked m, v of variable 1
      tf.dispose(vars);
    });
  }

  it('step rejects a gradient whose size differs from its variable', () => {
    const v = tf.variable(tf.zeros([3]));
    const g = tf.zeros([2]);
    expect(() => new Adam().step([v], [g])).toThrow(/Adam.step: gradient 0 has 2 values, variable 0 has 3/);
    tf.dispose([v, g]);
  });

  it('clipByGlobalNorm scales by min(1, max/(norm + 1e-6)) like torch clip_grad_norm_', () => {
    const a = tf.tensor1d([3, 0]);
    const b = tf.tensor2d([[0, 4]]);
    const { grads, norm } = clipByGlobalNorm([a, b], 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
    expect(globalNorm(grads)).toBeCloseTo(5 / (5 + 1e-6), 5);
    expect(Array.from(grads[0].dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    const { grads: same } = clipByGlobalNorm([a, b], 10);
    expect(Array.from(same[1].dataSync())).toEqual([0, 4]);
    tf.dispose([a, b, norm, ...grads, ...same]);
    expect(() => clipByGlobalNorm([], 0)).toThrow(/maxNorm must be a finite number > 0, got 0/);
  });
});

describe('trainStep', () => {
  it('200 training steps (NAdam, clip 1.0, rollout loss) leave tf.memory().numTensors unchanged', () => {
    const field = new MlpVectorField({ states: 2, inputs: 1, hidden: 16, layers: 3, activation: 'elu' }, undefined, { seed: 5 });
    const ode = new NeuralODE(field, {
      method: {
        name: 'midpoint',
        a: [
          [0, 0],
          [0.5, 0],
        ],
        b: [0, 1],
        c: [0, 0.5],
        order: 2,
      },
      step: 0.1,
    });
    const x0 = tf.tensor2d([
      [0.5, -0.5],
      [1, 0.2],
    ]);
    const u = tf.tensor3d(Array.from({ length: 8 }, (_, k) => [[Math.sin(k)], [Math.cos(k)]]));
    const y = tf.tensor3d(
      Array.from({ length: 8 }, (_, k) => [
        [0.1 * k, 0],
        [0, -0.1 * k],
      ]),
    );
    const opt = new NAdam({ learningRate: 5e-3 });
    const loss = () => mse(ode.rollout(x0, u), y);
    const first = trainStep(loss, opt, { clipNorm: 1, variables: field.variables }); // creates optimizer state
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 200; i++) last = trainStep(loss, opt, { clipNorm: 1, variables: field.variables });
    expect(tf.memory().numTensors).toBe(before);
    expect(last.loss).toBeLessThan(first.loss);
    opt.dispose();
    field.dispose();
    tf.dispose([x0, u, y]);
  });

  it('flat path (own optimizer) equals clipByGlobalNorm + optimizer.step on the same gradients', () => {
    const field = new MlpVectorField({ states: 2, inputs: 1, hidden: 8, layers: 3, activation: 'elu' }, undefined, { seed: 9 });
    const twin = new MlpVectorField({ states: 2, inputs: 1, hidden: 8, layers: 3, activation: 'elu' }, field.getWeights(), {});
    const x0 = tf.tensor2d([
      [0.5, -0.5],
      [1, 0.2],
    ]);
    const u = tf.tensor3d(Array.from({ length: 5 }, (_, k) => [[Math.sin(k)], [Math.cos(k)]]));
    const y = tf.tensor3d(
      Array.from({ length: 5 }, (_, k) => [
        [0.3 * k, 0],
        [0, -0.3 * k],
      ]),
    );
    const a = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
    const b = new NeuralODE(twin, { method: 'midpoint', step: 0.1 });
    const optA = new NAdam({ learningRate: 1e-2 });
    const optB = new NAdam({ learningRate: 1e-2 });
    for (let s = 0; s < 3; s++) {
      const res = trainStep(() => mse(a.rollout(x0, u), y), optA, { clipNorm: 0.1, variables: field.variables });
      // explicit reference path: per-variable gradients, clipByGlobalNorm, step
      const { value, grads } = tf.variableGrads(() => mse(b.rollout(x0, u), y), twin.variables);
      const list = twin.variables.map((v) => grads[v.name]);
      const { grads: clipped, norm } = clipByGlobalNorm(list, 0.1);
      expect(res.gradNorm).toBeGreaterThan(0.1); // clipping is active
      expect(Math.abs(res.gradNorm - norm.dataSync()[0])).toBeLessThan(1e-5 * res.gradNorm);
      expect(Math.abs(res.loss - value.dataSync()[0])).toBeLessThan(1e-6 * res.loss);
      optB.step(twin.variables, clipped);
      tf.dispose([value, norm, ...list, ...clipped]);
    }
    field.variables.forEach((v, i) => {
      expect(relErr(Array.from(v.dataSync()), Array.from(twin.variables[i].dataSync()))).toBeLessThan(1e-5);
    });
    tf.dispose([x0, u, y]);
    optA.dispose();
    optB.dispose();
    field.dispose();
    twin.dispose();
  });

  it('clips: the applied update equals the optimizer step on gradients scaled to norm 1', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const w = tf.variable(tf.tensor1d([1, 2]));
    const loss = (p: tf.Variable) => () => tf.sum(tf.mul(tf.square(p), 10)) as tf.Scalar; // grad = 20p, norm = 20√5
    const res = trainStep(loss(v), new Adam({ learningRate: 0.1 }), { clipNorm: 1, variables: [v] });
    expect(res.gradNorm).toBeCloseTo(20 * Math.sqrt(5), 3);
    expect(res.loss).toBeCloseTo(50, 4);
    // Adam's first step is scale-invariant (±lr per coordinate); use SGD-like check via tfjs sgd instead
    const sgd = tf.train.sgd(1);
    trainStep(loss(w), sgd, { clipNorm: 1, variables: [w] });
    const dw = Array.from(w.dataSync(), (x, i) => [1, 2][i] - x);
    expect(dw[0]).toBeCloseTo(1 / Math.sqrt(5), 5);
    expect(dw[1]).toBeCloseTo(2 / Math.sqrt(5), 5);
    tf.dispose([v, w]);
    sgd.dispose();
  });
});

describe('trainStep: non-finite loss or gradient', () => {
  it('a NaN loss throws NonFiniteStepError (flat and tfjs optimizers) and applies no update', () => {
    for (const make of [() => new SGD({ learningRate: 0.1 }), () => tf.train.sgd(0.1)]) {
      const v = tf.variable(tf.tensor1d([1, 2]));
      const opt = make();
      const before = tf.memory().numTensors;
      // L = Σ v·NaN: loss NaN, gradient NaN
      let err: unknown;
      try {
        trainStep(() => tf.sum(tf.mul(v, Number.NaN)) as tf.Scalar, opt, { variables: [v] });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NonFiniteStepError);
      expect((err as NonFiniteStepError).message).toMatch(
        /trainStep: loss NaN is not finite \(loss NaN, gradient norm NaN\); the update was not applied/,
      );
      expect((err as NonFiniteStepError).loss).toBeNaN();
      expect(Array.from(v.dataSync())).toEqual([1, 2]);
      expect(tf.memory().numTensors).toBe(before);
      v.dispose();
      opt.dispose();
    }
  });

  it("nonFinite 'skip' returns the flagged result; a finite loss with an infinite gradient is caught too", () => {
    const v = tf.variable(tf.scalar(0));
    const opt = new SGD({ learningRate: 0.1 });
    // L = √v at v = 0: loss 0, dL/dv = 1/(2√0) = Infinity
    const r = trainStep(() => tf.sqrt(v), opt, { variables: [v], nonFinite: 'skip' });
    expect(r).toEqual({ loss: 0, gradNorm: Number.POSITIVE_INFINITY, skipped: true });
    expect(v.dataSync()[0]).toBe(0);
    expect(() => trainStep(() => tf.sqrt(v), opt, { variables: [v], clipNorm: 1 })).toThrow(
      /trainStep: gradient norm Infinity is not finite \(loss 0, gradient norm Infinity\)/,
    );
    expect(v.dataSync()[0]).toBe(0);
    expect(() => trainStep(() => tf.sqrt(v), opt, { nonFinite: 'ignore' as 'skip' })).toThrow(
      /nonFinite must be 'throw' or 'skip', got "ignore"/,
    );
    v.dispose();
    opt.dispose();
  });
});

describe('bad arguments', () => {
  it('optimizers and trainStep', () => {
    expect(() => new Adam({ learningRate: -1 })).toThrow(/Adam: learningRate must be a finite number >= 0, got -1/);
    expect(() => new NAdam({ beta1: 1 })).toThrow(/NAdam: beta1 must be in \[0, 1\), got 1/);
    // a string or null compared as a number (0.1, 0) before: not numbers, so refused
    expect(() => new Adam({ beta1: '0.1' as unknown as number })).toThrow(/Adam: beta1 must be in \[0, 1\), got "0.1"/);
    expect(() => new Adam({ beta2: null as unknown as number })).toThrow(/Adam: beta2 must be in \[0, 1\), got null/);
    expect(() => clipByGlobalNorm([], 1)).toThrow(/clipByGlobalNorm: grads is empty/);
    const v = tf.variable(tf.scalar(1));
    expect(() => trainStep(() => tf.square(v), new Adam(), { clipNorm: 0 })).toThrow(/clipNorm must be a finite number > 0, got 0/);
    expect(() => trainStep(() => tf.square(v), {} as Adam)).toThrow(/optimizer must have step\(\) or applyGradients\(\)/);
    v.dispose();
  });
});

/** Float64 scalar loop of torch.optim.SGD (dampening 0) over per-variable parameter lists. */
function sgdReference(theta: number[], grads: number[][], lr: number, mu: number, nesterov: boolean, wd: number) {
  const p = [...theta];
  const buf: number[] = [];
  grads.forEach((g0, s) => {
    for (let i = 0; i < p.length; i++) {
      let g = g0[i] + wd * p[i];
      if (mu !== 0) {
        buf[i] = s === 0 ? g : mu * buf[i] + g;
        g = nesterov ? g + mu * buf[i] : buf[i];
      }
      p[i] = p[i] - lr * g;
    }
  });
  return p;
}

describe('SGD', () => {
  const cases = [
    { momentum: 0, nesterov: false, weightDecay: 0 },
    { momentum: 0.9, nesterov: false, weightDecay: 0 },
    { momentum: 0.9, nesterov: true, weightDecay: 0 },
    { momentum: 0.5, nesterov: true, weightDecay: 0.1 },
    { momentum: 0, nesterov: false, weightDecay: 0.01 },
  ];
  for (const c of cases) {
    it(`momentum ${c.momentum}, nesterov ${c.nesterov}, weightDecay ${c.weightDecay}: 6 steps on two variables match torch's rule in float64`, () => {
      const r = lcg(11);
      const shapes = [[2, 2], [3]];
      const theta = shapes.map((sh) => Array.from({ length: sh[0] * (sh[1] ?? 1) }, () => Math.fround(r())));
      const vars = shapes.map((sh, i) => tf.variable(tf.tensor(theta[i], sh)));
      const grads = Array.from({ length: 6 }, () => theta.map((t) => t.map(() => Math.fround(r()))));
      const opt = new SGD({ learningRate: 0.1, ...c });
      for (const g of grads) {
        const gs = g.map((x, i) => tf.tensor(x, shapes[i]));
        opt.step(vars, gs);
        tf.dispose(gs);
      }
      vars.forEach((v, i) => {
        const want = sgdReference(
          theta[i],
          grads.map((g) => g[i]),
          0.1,
          c.momentum,
          c.nesterov,
          c.weightDecay,
        );
        const d = Array.from(v.dataSync(), (x, k) => x - theta[i][k]);
        expect(
          relErr(
            d,
            want.map((x, k) => x - theta[i][k]),
          ),
        ).toBeLessThan(1e-5);
      });
      expect(opt.iterations).toBe(6);
      opt.dispose();
      tf.dispose(vars);
    });
  }

  it('rejects bad options', () => {
    expect(() => new SGD({ momentum: -0.1 })).toThrow(/SGD: momentum must be a finite number >= 0, got -0.1/);
    expect(() => new SGD({ nesterov: true })).toThrow(/SGD: nesterov needs momentum > 0/);
    expect(() => new SGD({ learningRate: Number.NaN })).toThrow(/SGD: learningRate must be a finite number >= 0, got NaN/);
  });
});

describe('optimizer state', () => {
  for (const make of [
    () => new Adam({ learningRate: 0.02 }),
    () => new NAdam({ learningRate: 0.02 }),
    () => new SGD({ learningRate: 0.02, momentum: 0.9 }),
  ]) {
    it(`${make().constructor.name}: getState → JSON → setState on a fresh optimizer continues with identical numbers`, () => {
      const r = lcg(5);
      const theta = [Array.from({ length: 6 }, () => r()), Array.from({ length: 3 }, () => r())];
      const shapes = [[2, 3], [3]];
      const grads = Array.from({ length: 6 }, () => theta.map((t) => t.map(() => r())));
      const run = (split: boolean) => {
        const vars = shapes.map((sh, i) => tf.variable(tf.tensor(theta[i], sh)));
        let opt = make();
        grads.forEach((g, s) => {
          if (split && s === 3) {
            const state = JSON.parse(JSON.stringify(opt.getState(vars)));
            opt.dispose();
            opt = make();
            opt.setState(vars, state);
          }
          const gs = g.map((x, i) => tf.tensor(x, shapes[i]));
          opt.step(vars, gs);
          tf.dispose(gs);
        });
        const out = vars.map((v) => Array.from(v.dataSync()));
        expect(opt.iterations).toBe(6);
        opt.dispose();
        tf.dispose(vars);
        return out;
      };
      expect(run(true)).toEqual(run(false));
    });
  }

  it('setState rejects a state of another optimizer or of other variables', () => {
    const v = tf.variable(tf.zeros([3]));
    const adam = new Adam();
    const state = adam.getState([v]);
    expect(() => new NAdam().setState([v], state)).toThrow(/NAdam.setState: state must come from a NAdam, got kind "Adam"/);
    const w = tf.variable(tf.zeros([2]));
    expect(() => adam.setState([w], state)).toThrow(/Adam.setState: state.slots.m\[0\] must have 2 values/);
    adam.dispose();
    tf.dispose([v, w]);
  });
});
