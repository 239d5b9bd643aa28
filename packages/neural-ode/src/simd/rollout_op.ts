/**
 * The SIMD rollout (mlp_rollout.ts) as one tfjs tape operation: values in and out as tensors, the
 * gradient from the kernels' backward pass. Used by `fastRollout` (engine 'simd').
 *
 * On tfjs' wasm backend the large arrays (inputs u, the states, their gradient dy and the input
 * gradient du, T·B·n floats each) go between the tensors' heap memory and the kernels' memory
 * directly (tfjs_heap.ts); elsewhere, and for the threaded rollout, through JavaScript copies.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { kernelFuncRunner } from '../kernel_func.js';
import type { MlpVectorField } from '../mlp.js';
import { type RolloutProblem, tapeInputs } from '../rollout_args.js';
import { simdArena } from './kernels.js';
import { isSimdActivation, resolveCheckpointEvery, type SimdActivation, SimdRollout, type SimdRolloutProblem } from './mlp_rollout.js';
import { SplitRollout, splitApplies } from './threads.js';
import { heapTensor, heapView, wasmTensorHeap } from './tfjs_heap.js';

type Rollout = SimdRollout | SplitRollout;

/** The rollout whose data the arena holds (evicted to a copy when another one needs the arena). */
let resident: Rollout | null = null;

function claimArena(r: Rollout): void {
  if (resident != null && resident !== r) resident.evict();
  resident = r;
}

/**
 * Take the arena for a rollout run outside the tape (forward and backward at once): a taped rollout
 * waiting for its backward pass is evicted first.
 */
export function claimSimdArena(r: SimdRollout): void {
  claimArena(r);
}

/** Release the arena after {@link claimSimdArena}'s forward and backward pass. */
export function releaseSimdArena(r: SimdRollout): void {
  if (resident === r) resident = null;
}

/** Whether the SIMD engine can run this field: kernels available and a supported activation. */
export function simdRolloutSupports(field: MlpVectorField): boolean {
  return simdArena() != null && isSimdActivation(field.spec.activation);
}

function floats(t: Tensor): Float32Array {
  const v = t.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

export function simdRolloutOp(args: RolloutProblem): Tensor {
  const { field, tableau, h, x0, u, steps: T, output, includeInitial } = args;
  const arena = simdArena();
  if (arena == null) throw new Error('fastRollout: the WebAssembly SIMD kernels are not available in this runtime');
  const { states: n, inputs: m, layers: L } = field.spec;
  const vars = field.variables;
  const widths = Array.from({ length: L }, (_, l) => vars[2 * l].shape[1]!);
  const B = x0.shape[0];
  const uBatch = u?.shape[1] ?? B;
  const problem: SimdRolloutProblem = {
    n,
    m: u == null ? 0 : m,
    widths,
    activation: field.spec.activation as SimdActivation,
    alpha: field.leakyReluAlpha,
    batch: B,
    steps: T,
    a: tableau.a.map((row) => (row ?? []).map((c) => c * h)),
    b: tableau.b.map((c) => c * h),
    includeInitial,
    output,
    uBatch,
  };
  problem.checkpointEvery = resolveCheckpointEvery(problem, args.checkpointEvery);
  const engine = tf.engine();
  // A backward pass can only follow when a gradient tape is recording.
  const taped = engine.state.gradientDepth > 0;
  // With worker threads started (startSimdThreads), large enough batches are split by rows.
  const rollout: Rollout = splitApplies(problem) ? new SplitRollout(problem, arena, taped) : new SimdRollout(problem, arena);
  const shape = output === 'final' ? [B, n] : [includeInitial ? T + 1 : T, B, n];

  // The wasm backend's heap, where the one-thread rollout reads and writes tensors in place.
  const tensorHeap = () => (rollout instanceof SimdRollout ? wasmTensorHeap() : null);

  const forwardFunc = (): Tensor => {
    const heap = tensorHeap();
    const weights = Array.from({ length: L }, (_, l) => floats(vars[2 * l]));
    const biases = Array.from({ length: L }, (_, l) => floats(vars[2 * l + 1]));
    const x0Values = floats(x0);
    // Allocate the output first: the views are taken after the heap's last growth.
    const result = heap != null && output === 'all' ? heapTensor(heap, shape) : null;
    const uValues = u == null ? null : ((heap && heapView(heap, u)) ?? floats(u));
    claimArena(rollout);
    const out = rollout.forward({ weights, biases, x0: x0Values, u: uValues }, result ? heap!.typedArrayFromHeap(result) : undefined);
    if (!taped) resident = null;
    return result ?? tf.tensor(out, shape, 'float32');
  };

  const backwardsFunc = (dyIn: Tensor | Tensor[]): Record<string, () => Tensor> => {
    const dy = Array.isArray(dyIn) ? dyIn[0] : dyIn;
    claimArena(rollout);
    const heap = tensorHeap();
    const du = heap != null && u != null && uBatch === B ? heapTensor(heap, [T, uBatch, m]) : null;
    const dyValues = (heap && heapView(heap, dy)) ?? floats(dy);
    const g = rollout.backward(dyValues, u != null, du ? heap!.typedArrayFromHeap(du) : undefined);
    resident = null;
    const grads: Record<string, () => Tensor> = { x0: () => tf.tensor2d(g.x0, [B, n]) };
    vars.forEach((v, i) => {
      const l = i >> 1;
      grads[`p${i}`] = () => tf.tensor(i % 2 === 0 ? g.weights[l] : g.biases[l], v.shape, 'float32');
    });
    if (u != null) grads.u = () => du ?? tf.tensor3d(g.u!, [T, uBatch, m]);
    return grads;
  };

  return kernelFuncRunner()({ forwardFunc, backwardsFunc, inputs: tapeInputs(args) }) as Tensor;
}
