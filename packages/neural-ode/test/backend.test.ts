import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backendInfo, initBackend } from '../src/index.js';
import { CHAINED_OPS, GRADIENT_KERNELS } from '../src/internal.js';

describe('initBackend', () => {
  it('selects the WASM backend with SIMD, without threads in Node', async () => {
    const info = await initBackend();
    expect(info).toEqual({ backend: 'wasm', simd: true, threads: false });
    expect(tf.getBackend()).toBe('wasm');
    expect(backendInfo()).toEqual(info);
    // the backend registered with the same engine/registry this package uses (one tfjs-core copy)
    expect(tf.findBackendFactory('wasm')).not.toBeNull();
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBeDefined();
    expect(await initBackend()).toEqual(info); // idempotent
  });

  it('registers a gradient for every kernel it lists, and chained ops', async () => {
    await initBackend();
    for (const k of GRADIENT_KERNELS) expect(tf.getGradient(k), k).toBeDefined();
    const x = tf.tensor1d([1, 2, 3]);
    for (const name of CHAINED_OPS) expect(typeof (x as unknown as Record<string, unknown>)[name], name).toBe('function');
    const y = (x as unknown as { mul(a: number): tf.Tensor }).mul(2);
    expect(Array.from(y.dataSync())).toEqual([2, 4, 6]);
    // autodiff works: d/dx Σ x³ = 3x²
    const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.square(z), z)))(x);
    expect(Array.from(g.dataSync())).toEqual([3, 12, 27]);
    tf.dispose([x, y, g]);
  });

  it('rejects unknown backends and bad wasmPaths with clear errors', async () => {
    await expect(initBackend({ backend: 'webgl' as 'wasm' })).rejects.toThrow(/options\.backend must be 'wasm' or 'cpu', got "webgl"/);
    await expect(initBackend({ wasmPaths: 42 as unknown as string })).rejects.toThrow(/wasmPaths must be a string or a file map, got 42/);
  });

  it('switches to cpu on request and back to wasm', async () => {
    expect((await initBackend({ backend: 'cpu' })).backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend({ backend: 'cpu' })).toEqual({ backend: 'cpu', simd: false, threads: false });
    expect((await initBackend()).backend).toBe('wasm');
  });
});
