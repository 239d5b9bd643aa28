import { ForecastModel } from '@sii/cli';
import { initBackend } from '@sii/neural-ode';
import { describe, expect, it } from 'vitest';
import { forecastBenchConfig, forecastStepFlops, latentBenchConfig, MODEL_CONFIGS, modelPeerSpec } from '../src/index.js';

describe('model rows: the experiments’ configurations', () => {
  it('forecast: the authors’ model (32 states, H 128, 3 Linear layers, SiLU, midpoint) at the laptop batch on cascaded tanks', () => {
    const c = forecastBenchConfig();
    expect(c).toMatchObject({ states: 32, hidden: 128, layers: 3, activation: 'silu', solver: 'midpoint', batch: 64 });
    expect(c).toMatchObject({ optimizer: 'nadam', lr: 1e-4, clip: 1, klWeight: 1 });
    expect(MODEL_CONFIGS.forecast).toEqual({ kind: 'forecast', inputs: 1, outputs: 1, steps: 64, h: 4 });
  });

  it('latent: the laptop preset (16×16 frames, 10 conditioning and 10 predicted, n 16, H 24, batch 8)', () => {
    const c = latentBenchConfig();
    expect(c).toMatchObject({ frameSize: 16, inputFrames: 10, horizon: 10, states: 16, hidden: 24, layers: 3, activation: 'silu' });
    expect(c).toMatchObject({ solver: 'midpoint', h: 0.1, batch: 8, lr: 1e-3, clip: null, dropout: 0 });
  });

  it('the peer gets the same sizes and optimizer settings (its --spec)', () => {
    expect(modelPeerSpec('forecast')).toEqual({
      states: 32,
      inputs: 1,
      outputs: 1,
      hidden: 128,
      layers: 3,
      steps: 64,
      batch: 64,
      h: 4,
      optimizer: 'nadam',
      lr: 1e-4,
      clip: 1,
      klWeight: 1,
    });
    expect(modelPeerSpec('latent')).toEqual({
      states: 16,
      hidden: 24,
      layers: 3,
      frameSize: 16,
      inputFrames: 10,
      horizon: 10,
      batch: 8,
      h: 0.1,
      lr: 1e-3,
      clip: null,
    });
    expect(() => modelPeerSpec('pixel')).toThrow(/unknown model configuration "pixel"/);
  });

  it('forecast model: torch’s parameter count of the same architecture, counted by hand', async () => {
    await initBackend({ backend: 'cpu' });
    const c = forecastBenchConfig();
    const model = new ForecastModel(
      {
        inputs: 1,
        outputs: 1,
        states: 32,
        hidden: 128,
        layers: 3,
        activation: 'silu',
        solver: 'midpoint',
        h: 4,
        eps: c.eps,
        compensation: 'none',
      },
      'baseline',
      'count',
    );
    const linear = (i: number, o: number) => i * o + o;
    const layerNorm = 2 * 128;
    const encoder = linear(1, 128) + layerNorm + linear(128, 128) + layerNorm + linear(128, 64);
    const field = linear(33, 128) + linear(128, 128) + linear(128, 32);
    const decoder = linear(32, 128) + layerNorm + linear(128, 128) + layerNorm + linear(128, 1);
    expect(model.parameterCount).toBe(encoder + field + decoder);
    model.dispose();
  });

  it('forecast step FLOPs by an independent count', () => {
    // per window: encoder 1·128 + 128·128 + 128·64; 64 steps × 2 stages × (33·128 + 128·128 + 128·32);
    // 64 decodes × (32·128 + 128·128 + 128·1); × batch 64, × 3 (forward, weight and input gradients), × 2.
    const perWindow = 1 * 128 + 128 * 128 + 128 * 64 + 64 * 2 * (33 * 128 + 128 * 128 + 128 * 32) + 64 * (32 * 128 + 128 * 128 + 128);
    expect(forecastStepFlops(forecastBenchConfig(), MODEL_CONFIGS.forecast as never)).toBe(2 * 3 * 64 * perWindow);
  });
});
