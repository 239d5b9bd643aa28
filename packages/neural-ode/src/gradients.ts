/**
 * Gradient definitions for the tfjs-core kernels this package differentiates through.
 *
 * tfjs-core's Node entry (dist/tf-core.node.js, CommonJS) registers no gradients, and its ESM file
 * that does (`dist/register_all_gradients.js`) uses extension-less imports that plain Node ESM cannot
 * resolve. Registering our own configs through the public `registerGradient` works the same way in
 * plain Node, in vitest and in browser bundles. A gradient that is already registered (for example
 * because an application imported tfjs-core's own `register_all_gradients` in a bundle) is kept.
 *
 * Matrix products in gradients are written with explicit transposes so that every product is a plain
 * (non-transposed) BatchMatMul, which is the fast XNNPACK path of the WASM backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { SELU_ALPHA, SELU_SCALE } from '@sii/mlp';

// SELU constants (Klambauer et al. 2017), as used by the Selu kernel.
const SELU_SCALE_ALPHA = SELU_SCALE * SELU_ALPHA;

/** Sum `dy` over the axes broadcast from `shape` and reshape to `shape` (numpy broadcasting rules). */
export function reduceToShape(dy: Tensor, shape: readonly number[]): Tensor {
  if (tf.util.arraysEqual(dy.shape, shape as number[])) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(summed, shape as number[]);
}

function asOne(dy: Tensor | Tensor[]): Tensor {
  return Array.isArray(dy) ? dy[0] : dy;
}

/** Swap the last two axes (plain 2-D transpose for matrices). */
function transposeLast2(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return tf.transpose(x, perm);
}

function axesOf(attr: unknown, rank: number): number[] {
  const list = attr == null ? [...Array(rank).keys()] : Array.isArray(attr) ? attr : [attr as number];
  return list.map((a: number) => (a < 0 ? a + rank : a));
}

/** Shape of a reduction output with keepDims = true. */
function keptShape(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

type Cfg = GradConfig;
const f32 = (t: Tensor): Tensor => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

const configs: Cfg[] = [
  // ---- binary, with broadcasting ----
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const g = asOne(dy);
      return { a: () => reduceToShape(g, a.shape), b: () => reduceToShape(g, b.shape) };
    },
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const g = asOne(dy);
      return { a: () => reduceToShape(g, a.shape), b: () => reduceToShape(tf.neg(g), b.shape) };
    },
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const g = asOne(dy);
      return {
        a: () => reduceToShape(tf.mul(g, f32(b)), a.shape),
        b: () => reduceToShape(tf.mul(g, f32(a)), b.shape),
      };
    },
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const g = asOne(dy);
      return {
        a: () => reduceToShape(tf.div(g, b), a.shape),
        // d(a/b)/db = -a / b²
        b: () => reduceToShape(tf.neg(tf.div(tf.mul(g, a), tf.square(b))), b.shape),
      };
    },
  },
  {
    kernelName: tf.Maximum,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const g = asOne(dy);
      return {
        a: () => reduceToShape(tf.mul(g, f32(tf.greaterEqual(a, b))), a.shape),
        b: () => reduceToShape(tf.mul(g, f32(tf.less(a, b))), b.shape),
      };
    },
  },
  {
    kernelName: tf.Minimum,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const g = asOne(dy);
      return {
        a: () => reduceToShape(tf.mul(g, f32(tf.lessEqual(a, b))), a.shape),
        b: () => reduceToShape(tf.mul(g, f32(tf.greater(a, b))), b.shape),
      };
    },
  },
  {
    kernelName: tf.SquaredDifference,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const g = asOne(dy);
      const two = () => tf.mul(tf.mul(g, tf.sub(a, b)), 2);
      return {
        a: () => reduceToShape(two(), a.shape),
        b: () => reduceToShape(tf.neg(two()), b.shape),
      };
    },
  },
  {
    kernelName: tf.Pow,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, [a, b, y]) => {
      const g = asOne(dy);
      return {
        // d(a^b)/da = b·a^(b−1);  d(a^b)/db = a^b·ln a (taken as 0 where a ≤ 0)
        a: () => reduceToShape(tf.mul(g, tf.mul(f32(b), tf.pow(a, tf.sub(f32(b), 1)))), a.shape),
        b: () => {
          const pos = tf.greater(a, 0);
          const logA = tf.where(pos, tf.log(tf.where(pos, a, tf.onesLike(a))), tf.zerosLike(a));
          return reduceToShape(tf.mul(g, tf.mul(y, logA)), b.shape);
        },
      };
    },
  },
  {
    kernelName: tf.AddN,
    saveAllInputs: true,
    gradFunc: (dy, saved) => {
      const g = asOne(dy);
      const out: Record<string, () => Tensor> = {};
      saved.forEach((_, i) => {
        out[i] = () => tf.clone(g);
      });
      return out;
    },
  },
  // ---- matrix product ----
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs: NamedAttrMap) => {
      const g = asOne(dy);
      const tA = attrs.transposeA as boolean;
      const tB = attrs.transposeB as boolean;
      const T = transposeLast2;
      // C = op(A)·op(B); every product below is a plain matMul of explicitly transposed operands.
      let da: () => Tensor;
      let db: () => Tensor;
      if (!tA && !tB) {
        da = () => tf.matMul(g, T(b));
        db = () => tf.matMul(T(a), g);
      } else if (!tA && tB) {
        da = () => tf.matMul(g, b);
        db = () => tf.matMul(T(g), a);
      } else if (tA && !tB) {
        da = () => tf.matMul(b, T(g));
        db = () => tf.matMul(a, g);
      } else {
        da = () => tf.matMul(T(b), T(g));
        db = () => tf.matMul(T(g), T(a));
      }
      return { a: () => reduceToShape(da(), a.shape), b: () => reduceToShape(db(), b.shape) };
    },
  },
  // ---- unary ----
  { kernelName: tf.Neg, gradFunc: (dy) => ({ x: () => tf.neg(asOne(dy)) }) },
  { kernelName: tf.Identity, gradFunc: (dy) => ({ x: () => tf.clone(asOne(dy)) }) },
  {
    kernelName: tf.Cast,
    gradFunc: (dy) => ({ x: () => tf.clone(asOne(dy)) }),
  },
  {
    kernelName: tf.Exp,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(asOne(dy), y) }),
  },
  {
    kernelName: tf.Log,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.div(asOne(dy), x) }),
  },
  {
    kernelName: tf.Sqrt,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.div(asOne(dy), tf.mul(tf.sqrt(x), 2)) }),
  },
  {
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(asOne(dy), tf.mul(x, 2)) }),
  },
  {
    kernelName: tf.Reciprocal,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.neg(tf.div(asOne(dy), tf.square(x))) }),
  },
  {
    kernelName: tf.Abs,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(asOne(dy), tf.sign(x)) }),
  },
  {
    kernelName: tf.Tanh,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(asOne(dy), tf.sub(1, tf.square(y))) }),
  },
  {
    kernelName: tf.Sigmoid,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(asOne(dy), tf.mul(y, tf.sub(1, y))) }),
  },
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(asOne(dy), tf.step(x)) }),
  },
  {
    kernelName: tf.LeakyRelu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const g = asOne(dy);
      return { x: () => tf.where(tf.greater(x, 0), g, tf.mul(g, attrs.alpha as number)) };
    },
  },
  {
    kernelName: tf.Elu,
    outputsToSave: [true],
    // EluGrad kernel: dy where y > 0, dy·(y + 1) elsewhere (alpha = 1).
    gradFunc: (dy, [y]) => ({ x: () => tf.engine().runKernel(tf.EluGrad, { dy: asOne(dy), y: y }) as Tensor }),
  },
  {
    kernelName: tf.Selu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => {
      const g = asOne(dy);
      // x > 0: scale; x ≤ 0: scale·alpha·exp(x)
      return {
        x: () => tf.where(tf.greater(x, 0), tf.mul(g, SELU_SCALE), tf.mul(g, tf.mul(tf.exp(x), SELU_SCALE_ALPHA))),
      };
    },
  },
  {
    kernelName: tf.Softplus,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(asOne(dy), tf.sigmoid(x)) }),
  },
  {
    kernelName: tf.ClipByValue,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const g = asOne(dy);
      const inside = tf.logicalAnd(tf.greaterEqual(x, attrs.clipValueMin as number), tf.lessEqual(x, attrs.clipValueMax as number));
      return { x: () => tf.where(inside, g, tf.zerosLike(g)) };
    },
  },
  // ---- shape ----
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(asOne(dy), x.shape) }),
  },
  {
    kernelName: tf.ExpandDims,
    inputsToSave: ['input'],
    gradFunc: (dy, [input]) => ({ input: () => tf.reshape(asOne(dy), input.shape) }),
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs) => {
      const perm = attrs.perm as number[];
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => {
        inverse[p] = i;
      });
      return { x: () => tf.transpose(asOne(dy), inverse) };
    },
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const g = asOne(dy);
      const rank = x.rank;
      const beginAttr = attrs.begin as number | number[];
      const begin = Array.isArray(beginAttr) ? beginAttr : [beginAttr];
      const pads: Array<[number, number]> = [];
      for (let i = 0; i < rank; i++) {
        const b = begin[i] ?? 0;
        pads.push([b, x.shape[i] - b - g.shape[i]]);
      }
      return { x: () => tf.pad(g, pads) };
    },
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const g = asOne(dy);
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0];
      const sizes = saved.map((t) => t.shape[axis]);
      const parts = tf.split(g, sizes, axis);
      const out: Record<string, () => Tensor> = {};
      parts.forEach((p, i) => {
        out[i] = () => p;
      });
      return out;
    },
  },
  {
    kernelName: tf.Pack,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const parts = tf.unstack(asOne(dy), attrs.axis as number);
      const out: Record<string, () => Tensor> = {};
      saved.forEach((_, i) => {
        out[i] = () => parts[i];
      });
      return out;
    },
  },
  {
    kernelName: tf.Unpack,
    gradFunc: (dy, _saved, attrs) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      return { value: () => tf.stack(dys, attrs.axis as number) };
    },
  },
  {
    kernelName: tf.Tile,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const g = asOne(dy);
      const reps = attrs.reps as number[];
      // Output axis i has size reps[i]·shape[i] laid out as reps[i] copies: view as [reps_i, shape_i]
      // pairs and sum over the copy axes.
      const shape = x.shape;
      const split: number[] = [];
      const copyAxes: number[] = [];
      shape.forEach((d, i) => {
        copyAxes.push(split.length);
        split.push(reps[i], d);
      });
      return { x: () => tf.reshape(tf.sum(tf.reshape(g, split), copyAxes), shape) };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = axesOf(attrs.axis, x.rank);
      const g = tf.reshape(asOne(dy), keptShape(x.shape, axes));
      return { x: () => tf.mul(g, tf.onesLike(x)) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = axesOf(attrs.axis, x.rank);
      const count = axes.reduce((p, a) => p * x.shape[a], 1);
      const g = tf.reshape(asOne(dy), keptShape(x.shape, axes));
      return { x: () => tf.div(tf.mul(g, tf.onesLike(x)), count) };
    },
  },
  {
    kernelName: tf.Select,
    inputsToSave: ['condition'],
    gradFunc: (dy, [condition]) => {
      const g = asOne(dy);
      return {
        condition: () => tf.zeros(condition.shape, 'float32'),
        t: () => tf.mul(g, f32(condition)),
        e: () => tf.mul(g, tf.sub(1, f32(condition))),
      };
    },
  },
];

// Piecewise-constant kernels: zero gradient (needed when their input is on a differentiated path,
// e.g. the condition of tf.where).
const binaryZero = [tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual, tf.Equal, tf.NotEqual, tf.LogicalAnd, tf.LogicalOr];
const unaryZero = [tf.LogicalNot, tf.Step, tf.Sign, tf.Floor, tf.Ceil, tf.Round, tf.IsNan, tf.IsFinite, tf.ZerosLike, tf.OnesLike];
for (const kernelName of binaryZero) {
  configs.push({
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (_dy, [a, b]) => ({ a: () => tf.zeros(a.shape), b: () => tf.zeros(b.shape) }),
  });
}
for (const kernelName of unaryZero) {
  configs.push({ kernelName, inputsToSave: ['x'], gradFunc: (_dy, [x]) => ({ x: () => tf.zeros(x.shape) }) });
}

/** Kernel names whose gradients {@link registerGradients} provides. */
export const GRADIENT_KERNELS: readonly string[] = configs.map((c) => c.kernelName);

/**
 * Register the package's gradient configs for every kernel that has none yet. Idempotent.
 * Returns the names newly registered.
 */
export function registerGradients(): string[] {
  const added: string[] = [];
  for (const cfg of configs) {
    if (tf.getGradient(cfg.kernelName) == null) {
      tf.registerGradient(cfg);
      added.push(cfg.kernelName);
    }
  }
  return added;
}
