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
