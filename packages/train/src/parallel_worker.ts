/**
 * Worker side of {@link DataParallelTrainer} (Node worker_threads): its own tfjs-core engine and WASM
 * backend instance, a replica of the MLP field, and on request the loss and the flat gradient of one
 * batch shard for the parameters it is sent (parameter-server style: the worker keeps no optimizer).
 */
import { parentPort } from 'node:worker_threads';
import type { Tensor } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { defaultWeights, type MlpSpec } from '@sii/mlp';
import { type FastRolloutEngine, initBackend, MlpVectorField, NeuralODE, type TableauLike } from '@sii/neural-ode';
import { fastRolloutImpl } from '@sii/neural-ode/internal';
import { flatten } from './optimizers.js';
import type { ShardLoss } from './parallel.js';
import { mse } from './step.js';

export interface WorkerInit {
  type: 'init';
  spec: MlpSpec;
  leakyReluAlpha: number;
  tableau: TableauLike;
  h: number;
  engine: FastRolloutEngine;
}

export interface WorkerGrad {
  type: 'grad';
  id: number;
  params: Float32Array;
  loss: ShardLoss;
  x0: Float32Array;
  x0Shape: [number, number];
  inputs: Float32Array | null;
  inputsShape: [number, number, number] | null;
  steps: number;
  target: Float32Array;
  targetShape: number[];
}

const port = parentPort;
if (port == null) throw new Error('parallel_worker: must run in a worker thread');

let field: MlpVectorField | null = null;
let ode: NeuralODE | null = null;

port.on('message', (msg: WorkerInit | WorkerGrad | { type: 'close' }) => {
  void handle(msg).catch((err: unknown) => {
    port.postMessage({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  });
});

async function handle(msg: WorkerInit | WorkerGrad | { type: 'close' }): Promise<void> {
  if (msg.type === 'init') {
    await initBackend();
    field = new MlpVectorField(msg.spec, defaultWeights(msg.spec, 0), { leakyReluAlpha: msg.leakyReluAlpha });
    ode = new NeuralODE(field, { method: msg.tableau, step: msg.h, checkFinite: false, fastEngine: msg.engine });
    port!.postMessage({ type: 'ready' });
    return;
  }
  if (msg.type === 'close') {
    field?.dispose();
    port!.close();
    return;
  }
  const f = field!;
  // Set the replica's parameters from the flat vector (order W1, b1, W2, b2, …).
  let off = 0;
  for (const v of f.variables) {
    const t = tf.tensor(msg.params.subarray(off, off + v.size), v.shape, 'float32');
    v.assign(t);
    t.dispose();
    off += v.size;
  }
  const x0 = tf.tensor2d(msg.x0, msg.x0Shape);
  const inputs = msg.inputs != null ? tf.tensor3d(msg.inputs, msg.inputsShape!) : null;
  const target = tf.tensor(msg.target, msg.targetShape, 'float32');
  const { value, grads } = tf.variableGrads(
    () => mse(fastRolloutImpl(ode!, x0, inputs ?? msg.steps, { output: msg.loss, engine: ode!.fastEngine }, false), target),
    f.variables,
  );
  const flat = flatten(f.variables.map((v) => grads[v.name]) as Tensor[]);
  const g = flat.dataSync() as Float32Array;
  const loss = value.dataSync()[0];
  const out = new Float32Array(g);
  tf.dispose([x0, target, value, flat, ...Object.values(grads), ...(inputs ? [inputs] : [])]);
  port!.postMessage({ type: 'grad', id: msg.id, loss, grads: out }, [out.buffer]);
}
