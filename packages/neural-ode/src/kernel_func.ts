/**
 * Recording a hand-written operation on the tfjs tape: tfjs-core's engine.runKernelFunc (internal in
 * 4.x) runs `forwardFunc` outside the tape and registers `backwardsFunc` as its gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';

export type KernelFuncRunner = (params: {
  forwardFunc: (backend: unknown, save: (tensors: Tensor[]) => void) => Tensor | Tensor[];
  backwardsFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => Record<string, () => Tensor>;
  inputs: NamedTensorMap;
  attrs?: Record<string, unknown>;
}) => Tensor | Tensor[];

export function kernelFuncRunner(): KernelFuncRunner {
  const engine = tf.engine() as unknown as { runKernelFunc?: KernelFuncRunner };
  if (typeof engine.runKernelFunc !== 'function') {
    throw new Error('fastRollout: this tfjs-core has no engine.runKernelFunc (tfjs-core 4.22.0 is required)');
  }
  return engine.runKernelFunc.bind(engine);
}
