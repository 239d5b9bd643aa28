/**
 * A tiny training step for the tests of this package (the optimizers live in @sii/train, which
 * depends on this package): mean squared error and plain gradient descent θ ← θ − lr·g.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';

export function mse(prediction: Tensor, target: Tensor): Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(prediction, target)) as Scalar);
}

/** One gradient-descent step on `variables` (default: all trainable ones the loss uses); returns the loss. */
export function sgdStep(loss: () => Scalar, lr: number, variables?: Variable[]): { loss: number } {
  const { value, grads } = tf.variableGrads(loss, variables);
  const registered = tf.engine().registeredVariables;
  tf.tidy(() => {
    for (const [name, g] of Object.entries(grads)) registered[name].assign(tf.sub(registered[name], tf.mul(g, lr)));
  });
  const out = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss: out };
}
