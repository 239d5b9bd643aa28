/**
 * Activation functions on tensors and their derivatives (for the MLP layer's custom gradient): the
 * tfjs (float32) implementations of @sii/mlp's activation list, same definitions and constants.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { type ActivationName, GELU_C, GELU_K, LEAKY_RELU_SLOPE, SELU_ALPHA, SELU_SCALE } from '@sii/mlp';

/** Apply the activation elementwise (differentiable through the registered kernel gradients). */
export function activate(name: ActivationName, z: Tensor, alpha = LEAKY_RELU_SLOPE): Tensor {
  switch (name) {
    case 'elu':
      return tf.elu(z);
    case 'silu':
      return tf.mul(z, tf.sigmoid(z));
    case 'gelu': {
      const inner = tf.mul(tf.add(z, tf.mul(tf.mul(tf.square(z), z), GELU_C)), GELU_K);
      return tf.mul(tf.mul(z, 0.5), tf.add(tf.tanh(inner), 1));
    }
    case 'tanh':
      return tf.tanh(z);
    case 'relu':
      return tf.relu(z);
    case 'leaky_relu':
      return tf.leakyRelu(z, alpha);
    case 'selu':
      return tf.selu(z);
    case 'softplus':
      return tf.softplus(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'none':
      return z;
  }
}

/**
 * dz = dy ⊙ σ'(z), given the pre-activation z and the output y = σ(z) (whichever is cheaper is used).
 */
export function activationBackward(name: ActivationName, dy: Tensor, z: Tensor, y: Tensor, alpha = LEAKY_RELU_SLOPE): Tensor {
  switch (name) {
    case 'elu':
      // σ' = 1 (z > 0), y + 1 (z ≤ 0)
      return tf.engine().runKernel(tf.EluGrad, { dy, y }) as Tensor;
    case 'silu': {
      // σ(z) = z·s, s = sigmoid(z): σ' = s + y·(1 − s)
      const s = tf.sigmoid(z);
      return tf.mul(dy, tf.add(s, tf.mul(y, tf.sub(1, s))));
    }
    case 'gelu': {
      // σ' = 0.5·(1 + t) + 0.5·z·(1 − t²)·k·(1 + 3c·z²), t = tanh(k(z + c z³))
      const z2 = tf.square(z);
      const t = tf.tanh(tf.mul(tf.mul(z, tf.add(tf.mul(z2, GELU_C), 1)), GELU_K));
      const left = tf.mul(tf.add(t, 1), 0.5);
      const right = tf.mul(tf.mul(z, tf.sub(1, tf.square(t))), tf.mul(tf.add(tf.mul(z2, 3 * GELU_C), 1), 0.5 * GELU_K));
      return tf.mul(dy, tf.add(left, right));
    }
    case 'tanh':
      return tf.mul(dy, tf.sub(1, tf.square(y)));
    case 'relu':
      return tf.mul(dy, tf.step(z));
    case 'leaky_relu':
      return tf.where(tf.greater(z, 0), dy, tf.mul(dy, alpha));
    case 'selu':
      // σ' = scale (z > 0), y + scale·alpha (z ≤ 0)
      return tf.where(tf.greater(z, 0), tf.mul(dy, SELU_SCALE), tf.mul(dy, tf.add(y, SELU_SCALE * SELU_ALPHA)));
    case 'softplus':
      return tf.mul(dy, tf.sigmoid(z));
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'none':
      return dy;
  }
}
