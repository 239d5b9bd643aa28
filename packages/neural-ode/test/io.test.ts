import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deserializeModel,
  initBackend,
  loadModel,
  MlpVectorField,
  MODEL_LIMITS,
  readModelFile,
  saveModel,
  serializeModel,
} from '../src/index.js';
import { decodeFloat32, encodeFloat32 } from '../src/internal.js';

const dir = mkdtempSync(join(tmpdir(), 'sii-node-io-'));
beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('model files', () => {
  it('float32 base64 matches Node Buffer encoding and round-trips', () => {
    const v = [0.1, -2.5, 3e-39, 1e30, Math.PI, 0];
    const s = encodeFloat32(v);
    expect(s).toBe(Buffer.from(new Float32Array(v).buffer).toString('base64'));
    expect(Array.from(decodeFloat32(s, v.length))).toEqual(v.map(Math.fround));
    expect(encodeFloat32([1])).toBe('AACAPw==');
    expect(() => decodeFloat32(s, 5)).toThrow(/expected 5 float32 values \(20 bytes, 28 base64 characters\), got 32 characters/);
  });

  it('save/load round trip is exact (architecture, every weight bit, outputs, metadata)', async () => {
    const f = new MlpVectorField({ states: 3, inputs: 2, hidden: 5, layers: 3, activation: 'leaky_relu' }, undefined, {
      seed: 'io',
      leakyReluAlpha: 0.2,
    });
    const path = join(dir, 'model.json');
    await saveModel(f, path, { method: 'midpoint', step: 0.1 });
    const g = await loadModel(path);
    expect(g.spec).toEqual(f.spec);
    expect(g.leakyReluAlpha).toBe(0.2);
    const a = f.getWeights();
    const b = g.getWeights();
    a.weights.forEach((W, k) => {
      expect(Array.from(b.weights[k].data)).toEqual(Array.from(W.data));
      expect(Array.from(b.biases[k])).toEqual(Array.from(a.biases[k]));
    });
    const x = tf.tensor2d([[0.3, -1, 2]]);
    const u = tf.tensor2d([[-0.5, 0.5]]);
    expect(Array.from(g.apply(x, u).dataSync())).toEqual(Array.from(f.apply(x, u).dataSync()));
    expect((await readModelFile(path)).meta).toEqual({ method: 'midpoint', step: 0.1 });
    expect(JSON.parse(readFileSync(path, 'utf8')).format).toBe('sii-neural-ode/mlp');
    tf.dispose([x, u]);
    f.dispose();
    g.dispose();
  });

  it('rejects broken files with clear errors', async () => {
    const f = new MlpVectorField({ states: 2, inputs: 0, hidden: 3, layers: 2, activation: 'elu' });
    const good = serializeModel(f);
    expect(() => deserializeModel({ ...good, format: 'other' as 'sii-neural-ode/mlp' })).toThrow(
      /format must be "sii-neural-ode\/mlp", got "other"/,
    );
    expect(() => deserializeModel({ ...good, spec: { ...good.spec, activation: 'swish' as 'elu' } })).toThrow(/unknown activation "swish"/);
    const bad = structuredClone(good);
    bad.layers[1].shape = [3, 3];
    expect(() => deserializeModel(bad)).toThrow(/layers\[1\]\.shape must be \[3, 2\], got \[3, 3\]/);
    expect(() => deserializeModel('{oops')).toThrow(/not valid JSON/);
    const p = join(dir, 'bad.json');
    writeFileSync(p, 'nope');
    await expect(loadModel(p)).rejects.toThrow(/bad\.json is not valid JSON/);
    f.dispose();
  });

  it('checks the declared sizes against MODEL_LIMITS before building any shape', () => {
    const f = new MlpVectorField({ states: 2, inputs: 0, hidden: 3, layers: 2, activation: 'elu' });
    const good = serializeModel(f);
    f.dispose();
    expect(MODEL_LIMITS).toEqual({ layers: 64, width: 65536, parameters: 33554432, fileBytes: 268435456 });
    // 3e7 layers would build 3e7 shapes (gigabytes) before the layer count was compared
    expect(() => deserializeModel({ ...good, spec: { ...good.spec, layers: 3e7 } })).toThrow(
      /spec\.layers must be an integer in \[1, 64\], got 30000000/,
    );
    expect(() => deserializeModel({ ...good, spec: { ...good.spec, hidden: 65537 } })).toThrow(
      /spec\.hidden must be an integer in \[1, 65536\], got 65537/,
    );
    expect(() => deserializeModel({ ...good, spec: { ...good.spec, states: 1.5 } })).toThrow(/spec\.states must be an integer/);
    // within every width limit but over the parameter cap: (2+0+1)·4096 + 62·4097·4096 + (4096+1)·2 = 12,288 + 1,040,441,344 + 8,194
    expect(() => deserializeModel({ ...good, spec: { ...good.spec, layers: 64, hidden: 4096 } })).toThrow(
      /spec declares 1040461826 parameters, more than the limit of 33554432/,
    );
    expect(() => deserializeModel({ ...good, spec: null as never })).toThrow(/spec must be an object/);
  });

  it('names the bad layer entry and checks base64 lengths before decoding', () => {
    const f = new MlpVectorField({ states: 2, inputs: 0, hidden: 3, layers: 2, activation: 'elu' });
    const good = serializeModel(f);
    f.dispose();
    expect(() => deserializeModel({ ...good, layers: [good.layers[0], null as never] })).toThrow(
      /deserializeModel: layers\[1\] must be an object \{ shape, weight, bias \}, got null/,
    );
    expect(() => deserializeModel({ ...good, layers: 'x' as never })).toThrow(/expected 2 layers, got "x"/);
    const long = structuredClone(good);
    long.layers[0].weight += 'AAAA';
    // layer 0 is 2×3: 6 float32 = 24 bytes = 32 base64 characters
    expect(() => deserializeModel(long)).toThrow(
      /layers\[0\]\.weight: expected 6 float32 values \(24 bytes, 32 base64 characters\), got 36 characters/,
    );
    const num = structuredClone(good);
    (num.layers[1] as { bias: unknown }).bias = 7;
    expect(() => deserializeModel(num)).toThrow(/layers\[1\]\.bias: must be a base64 string, got 7/);
    expect(() => deserializeModel({ ...good, leakyReluAlpha: 'x' as never })).toThrow(/leakyReluAlpha must be a finite number, got "x"/);
    expect(() => deserializeModel('null')).toThrow(/format must be "sii-neural-ode\/mlp", got null/);
  });

  it('refuses non-finite weights when saving and when loading', async () => {
    const f = new MlpVectorField({ states: 2, inputs: 0, hidden: 3, layers: 2, activation: 'elu' });
    const good = serializeModel(f);
    // a diverged training run leaves NaN in a variable: saving refuses it (the loader would)
    f.variables[3].assign(tf.tensor1d([0, Number.NaN]));
    expect(() => serializeModel(f)).toThrow(
      /serializeModel: layers\[1\]\.bias\[1\] is NaN: a model with non-finite weights cannot be saved/,
    );
    await expect(saveModel(f, join(dir, 'nan.json'))).rejects.toThrow(/layers\[1\]\.bias\[1\] is NaN/);
    f.dispose();
    const inf = structuredClone(good);
    inf.layers[0].weight = encodeFloat32([1, 2, Number.POSITIVE_INFINITY, 4, 5, 6]);
    expect(() => deserializeModel(inf)).toThrow(/deserializeModel: layers\[0\]\.weight\[2\] is Infinity/);
  });

  it('load errors name the file', async () => {
    const f = new MlpVectorField({ states: 2, inputs: 0, hidden: 3, layers: 2, activation: 'elu' });
    const good = serializeModel(f);
    f.dispose();
    const p = join(dir, 'big-layers.json');
    writeFileSync(p, JSON.stringify({ ...good, spec: { ...good.spec, layers: 3e7 } }));
    await expect(loadModel(p)).rejects.toThrow(`loadModel: ${p}: spec.layers must be an integer in [1, 64], got 30000000`);
    const q = join(dir, 'null-layer.json');
    writeFileSync(q, JSON.stringify({ ...good, layers: [good.layers[0], null] }));
    await expect(loadModel(q)).rejects.toThrow(`loadModel: ${q}: layers[1] must be an object`);
    const missing = join(dir, 'missing.json');
    await expect(loadModel(missing)).rejects.toThrow(`loadModel: cannot read ${missing}: ENOENT`);
  });
});
