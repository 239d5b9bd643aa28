import { describe, expect, it } from 'vitest';
import {
  type ActivationName,
  assertWeightsMatch,
  defaultWeights,
  layerShapes,
  layerSizes,
  type MlpSpec,
  parameterCount,
} from '../src/index.js';

describe('MlpSpec: layer sizes, shapes, parameter count', () => {
  it('sizes (n+m)→H→…→H→n, and L = 1 maps (n+m)→n', () => {
    expect(layerSizes({ states: 3, inputs: 2, hidden: 7, layers: 3, activation: 'elu' })).toEqual([5, 7, 7, 3]);
    expect(layerShapes({ states: 3, inputs: 2, hidden: 7, layers: 3, activation: 'elu' })).toEqual([
      [5, 7],
      [7, 7],
      [7, 3],
    ]);
    expect(layerShapes({ states: 4, inputs: 0, hidden: 9, layers: 1, activation: 'elu' })).toEqual([[4, 4]]);
  });

  it('parameter count by hand: the paper teacher–student student (n 4, m 1, H 128, L 3)', () => {
    // (5·128 + 128) + (128·128 + 128) + (128·4 + 4) = 768 + 16512 + 516
    expect(parameterCount({ states: 4, inputs: 1, hidden: 128, layers: 3, activation: 'elu' })).toBe(17796);
  });

  it('rejects bad specs naming the field and the value (with the caller as prefix)', () => {
    const spec: MlpSpec = { states: 2, inputs: 0, hidden: 4, layers: 2, activation: 'elu' };
    expect(() => layerSizes({ ...spec, states: 0 })).toThrow(/^spec\.states must be an integer >= 1, got 0$/);
    expect(() => layerSizes({ ...spec, hidden: 2.5 }, 'MlpVectorField')).toThrow(
      /^MlpVectorField: spec\.hidden must be an integer >= 1, got 2\.5$/,
    );
    expect(() => layerSizes({ ...spec, inputs: -1 })).toThrow(/spec\.inputs must be an integer >= 0, got -1/);
    expect(() => layerSizes({ ...spec, activation: 'swish' as ActivationName }, 'f')).toThrow(
      /^f: spec\.activation: unknown activation "swish"; known: elu/,
    );
    expect(() => layerSizes(null as unknown as MlpSpec)).toThrow(/spec must be an MlpSpec object, got null/);
  });

  it('refuses more than 2^31 − 1 parameters before building anything (layers 1e9 ran out of memory)', () => {
    const spec: MlpSpec = { states: 4, inputs: 1, hidden: 128, layers: 1e9, activation: 'elu' };
    // (4 + 1 + 1)·128 + (1e9 − 2)·(128 + 1)·128 + (128 + 1)·4 = 768 + 16,511,999,966,976 + 516
    expect(() => layerSizes(spec, 'defaultWeights')).toThrow(
      /^defaultWeights: spec \(states 4, inputs 1, hidden 128, layers 1000000000\) has 16511999968260 parameters, more than 2147483647/,
    );
    expect(() => parameterCount({ ...spec, layers: 1, inputs: 1e9 })).toThrow(/hidden —, layers 1\) has 4000000020 parameters/);
    // the largest spec allowed still counts by hand: L = 1, (n + m + 1)·n = 2^31 − 1 needs no array
    expect(parameterCount({ states: 1, inputs: 2 ** 31 - 3, hidden: 1, layers: 1, activation: 'elu' })).toBe(2 ** 31 - 1);
  });

  it('assertWeightsMatch checks shapes and, on request, finiteness', () => {
    const spec: MlpSpec = { states: 3, inputs: 1, hidden: 4, layers: 2, activation: 'tanh' };
    const w = defaultWeights(spec, 1);
    expect(assertWeightsMatch(spec, w)).toEqual([4, 4, 3]);
    expect(() => assertWeightsMatch(spec, { ...w, weights: [w.weights[1], w.weights[0]] }, { where: 'g' })).toThrow(
      /^g: weights\.weights\[0\] must be 4×4 \(in×out\), got 4×3 with 12 entries$/,
    );
    expect(() => assertWeightsMatch(spec, { ...w, biases: [w.biases[0]] })).toThrow(/expected 2 weight matrices and biases .* got 2 and 1/);
    expect(() => assertWeightsMatch(spec, { ...w, biases: [w.biases[0], new Float64Array(2)] })).toThrow(
      /weights\.biases\[1\] must have length 3, got 2/,
    );
    w.biases[1][0] = Number.NaN;
    expect(() => assertWeightsMatch(spec, w)).not.toThrow();
    expect(() => assertWeightsMatch(spec, w, { finite: true })).toThrow(/weights\.biases\[1\]\[0\] must be a finite number, got NaN/);
  });
});
