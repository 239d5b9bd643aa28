/**
 * The memory of float32 tensors on tfjs' wasm backend (its WebAssembly heap), read and written in
 * place: large rollouts move their inputs, states and gradients between that heap and the SIMD
 * kernels' memory without a JavaScript copy in between (each would be T·B·n floats: ~200 MB for the
 * paper's pixel model). Elsewhere (other backends) callers fall back to `dataSync` and `tf.tensor`.
 *
 * A view is valid until the heap next grows (any tfjs allocation may grow it): allocate first, then
 * take the views, then copy.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's backend used here (its public methods and data map). */
export interface WasmTensorHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  dataIdMap: { has(dataId: object): boolean };
}

let off = 0;

/**
 * Run `f` with the in-place paths off: every caller of {@link wasmTensorHeap} then copies through
 * JavaScript arrays as before they existed (the tested reference; a gradient taken inside `f` runs
 * its backward pass inside it too).
 */
export function withoutTensorHeap<T>(f: () => T): T {
  off++;
  try {
    return f();
  } finally {
    off--;
  }
}

/** The active backend's heap when it is tfjs' wasm backend, else null (and inside {@link withoutTensorHeap}). */
export function wasmTensorHeap(): WasmTensorHeap | null {
  if (off > 0 || tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmTensorHeap>;
  const ok = typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' && typeof b.dataIdMap?.has === 'function';
  return ok ? (b as WasmTensorHeap) : null;
}

/** A float32 tensor's values as a view of the heap, or null when they are not there (another dtype or backend). */
export function heapView(heap: WasmTensorHeap, t: Tensor): Float32Array | null {
  if (t.dtype !== 'float32' || t.isDisposed || !heap.dataIdMap.has(t.dataId)) return null;
  return heap.typedArrayFromHeap(t);
}

/** A new float32 tensor of `shape` on the heap, its values not initialised (fill them through {@link heapView}). */
export function heapTensor(heap: WasmTensorHeap, shape: number[]): Tensor {
  return tf.engine().makeTensorFromTensorInfo(heap.makeOutput(shape, 'float32'));
}

/**
 * `save` of a customGrad without its copies: tfjs' engine saves a clone of each tensor, and the wasm
 * backend's clone (its Identity kernel) copies the values; here each clone is a reshape to the same
 * shape, which shares its input's memory (as the cpu backend's Identity does; tensors are immutable).
 * The saved tensors are disposed as before, when the gradient is done.
 */
export function saveShared(save: tf.GradSaveFunc, tensors: Tensor[]): void {
  const engine = tf.engine() as unknown as { clone: (x: Tensor) => Tensor };
  const own = Object.hasOwn(engine, 'clone');
  const clone = engine.clone;
  engine.clone = (x: Tensor) => tf.reshape(x, x.shape);
  try {
    save(tensors);
  } finally {
    if (own) engine.clone = clone;
    else delete (engine as { clone?: unknown }).clone;
  }
}
