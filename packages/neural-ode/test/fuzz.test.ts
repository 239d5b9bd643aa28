/**
 * Property tests of model files (deserializeModel) on generated JSON: every input loads to a field with
 * finite weights or throws an Error naming the source; declared sizes never allocate past MODEL_LIMITS.
 * SII_FUZZ_RUNS sets the cases per target (`pnpm fuzz`: 10,000).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anyJson, failures, fuzz, fuzzTimeout, mutateJson } from '@sii/fuzz';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deserializeModel, initBackend, loadModel, MlpVectorField, type ModelFile, serializeModel } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sii-fuzz-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await initBackend();
});

/** Valid model files of small random architectures. */
function validModels(): fc.Arbitrary<ModelFile> {
  const files: ModelFile[] = [];
  for (const [states, inputs, hidden, layers, activation] of [
    [1, 0, 2, 1, 'tanh'],
    [2, 1, 3, 2, 'elu'],
    [2, 0, 4, 3, 'leaky_relu'],
  ] as const) {
    const f = new MlpVectorField({ states, inputs, hidden, layers, activation }, undefined, { seed: layers });
    files.push(serializeModel(f, { note: 'fuzz' }));
    f.dispose();
  }
  return fc.constantFrom(...files);
}

/** Numbers that stress the size checks: huge, fractional, negative, non-finite stand-ins. */
const sizeLike = fc.oneof(
  fc.integer({ min: -2, max: 100 }),
  fc.constantFrom(3e7, 65_536, 65_537, 2 ** 31, 1e300, 0.5, -0, Number.MAX_SAFE_INTEGER),
  anyJson(1),
);

/** What a model file may hold: arbitrary text, JSON values, valid files with one value replaced. */
function modelInputs(): fc.Arbitrary<string | ModelFile> {
  const models = validModels();
  const mutated = fc.oneof(
    mutateJson(models),
    mutateJson(models, sizeLike),
    fc
      .tuple(models, fc.constantFrom('states', 'inputs', 'hidden', 'layers'), sizeLike)
      .map(([m, k, v]) => ({ ...m, spec: { ...m.spec, [k]: v } })),
  );
  return fc.oneof(
    fc.string({ maxLength: 200 }),
    anyJson(3).map((v) => JSON.stringify(v)),
    mutated.map((m) => JSON.stringify(m)),
    mutated,
    models,
  );
}

const checkFinite = (field: MlpVectorField): string | null => {
  const w = field.getWeights();
  const bad = [...w.weights.map((W) => W.data), ...w.biases].some((a) => a.some((x) => !Number.isFinite(x)));
  return bad ? 'a loaded weight is not finite' : null;
};

describe('fuzz: model files', () => {
  it(
    'loadModel on the same inputs written to a file: every error names the file',
    async () => {
      const path = join(dir, 'fuzz-model.json');
      const stats = await fuzz({
        name: 'neural-ode model file loadModel',
        source: path,
        arbitrary: modelInputs(),
        run: async (input: string | ModelFile) => {
          writeFileSync(path, typeof input === 'string' ? input : JSON.stringify(input));
          return loadModel(path);
        },
        check: checkFinite,
        dispose: (field) => field.dispose(),
      });
      expect(failures(stats)).toEqual([]);
      expect(stats.ok).toBeGreaterThan(0);
      expect(stats.rejected).toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );

  it(
    'deserializeModel on arbitrary JSON text, JSON values and mutated valid files',
    async () => {
      const stats = await fuzz({
        name: 'neural-ode model file deserializeModel',
        source: 'deserializeModel',
        arbitrary: modelInputs(),
        run: (input: string | ModelFile) => deserializeModel(input),
        check: checkFinite,
        dispose: (field) => field.dispose(),
      });
      expect(failures(stats)).toEqual([]);
      expect(stats.ok).toBeGreaterThan(0);
      expect(stats.rejected).toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );
});
