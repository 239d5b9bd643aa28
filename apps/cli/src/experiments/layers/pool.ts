/**
 * torch MaxPool3d(2) and AvgPool3d(2) (kernel 2, stride 2, floor: a trailing odd row is dropped) on
 * channels-last [N, D, H, W, C] (JavaScript loops with their own gradient, see gather.ts; for max
 * the first maximum in the window gets the gradient, as torch's index).
 */
import type { Tensor5D } from '@tensorflow/tfjs-core';
import { pool2 } from './gather.js';

export function maxPool3d2(x: Tensor5D): Tensor5D {
  return pool2(x, 'max') as Tensor5D;
}

export function avgPool3d2(x: Tensor5D): Tensor5D {
  return pool2(x, 'avg') as Tensor5D;
}
