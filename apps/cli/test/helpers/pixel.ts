/** The tiny sMNIST pixel configuration the model-level tests build a PixelModel from (no data files). */
import type { InitName } from '../../src/experiments/nn.js';
import { pixelPreset } from '../../src/experiments/pixel.js';

export function tinyPixelConfig(inits: InitName[] = ['sii']) {
  return {
    ...pixelPreset('tiny', 'smnist'),
    dataset: 'smnist' as const,
    data: null,
    seed: 0,
    inits,
    backend: 'wasm' as const,
    scale: 'tiny' as const,
  };
}
