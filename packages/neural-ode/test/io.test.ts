import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deserializeModel, initBackend, loadModel, MlpVectorField, readModelFile, saveModel, serializeModel } from '../src/index.js';
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
    expect(() => decodeFloat32(s, 5)).toThrow(/expected 5 float32 values \(20 bytes\), got 24 bytes/);
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
      expect(Array.from(b.weights[k]!.data)).toEqual(Array.from(W.data));
      expect(Array.from(b.biases[k]!)).toEqual(Array.from(a.biases[k]!));
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
    expect(() => deserializeModel({ ...good, format: 'other' as 'sii-neural-ode/mlp' })).toThrow(/format must be "sii-neural-ode\/mlp", got "other"/);
    expect(() => deserializeModel({ ...good, spec: { ...good.spec, activation: 'swish' as 'elu' } })).toThrow(/unknown activation "swish"/);
    const bad = structuredClone(good);
    bad.layers[1]!.shape = [3, 3];
    expect(() => deserializeModel(bad)).toThrow(/layers\[1\]\.shape must be \[3, 2\], got \[3, 3\]/);
    expect(() => deserializeModel('{oops')).toThrow(/not valid JSON/);
    const p = join(dir, 'bad.json');
    writeFileSync(p, 'nope');
    await expect(loadModel(p)).rejects.toThrow(/bad\.json is not valid JSON/);
    f.dispose();
  });
});
