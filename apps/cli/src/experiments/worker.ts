/**
 * Worker-thread entry of the experiments (built JS, plain node): initialises its own tfjs backend and
 * answers each task message with epoch progress and one 'done' or 'error' message. A task sent with
 * `checkpoints` (by `sii worker`) resumes from `checkpoints.resume` and posts a 'checkpoint' message
 * after every epoch; the main thread stores it.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend } from '@sii/neural-ode';
import type { WorkerMessage } from '../train/types.js';
import type { ArmCheckpoint } from './checkpoint.js';
import type { ExperimentTask } from './types.js';
import { runArm } from './worker-entry.js';

const port = parentPort;
if (!port) throw new Error('experiments/worker.js must run inside a worker thread');

let backend: Promise<unknown> | null = null;

function post(msg: WorkerMessage): void {
  port?.postMessage(msg);
}

/** A task message: the task, and with checkpointing the checkpoint to resume from (or null). */
export type ExperimentTaskMessage = ExperimentTask & { checkpoints?: { resume: ArmCheckpoint | null } };

port.on('message', async (message: ExperimentTaskMessage) => {
  try {
    const { checkpoints, ...task } = message;
    backend ??= initBackend({ backend: task.config.backend });
    await backend;
    const result = await runArm(
      task,
      (epoch, valLoss, trainLoss) => post({ type: 'epoch', epoch, valLoss, trainLoss }),
      checkpoints ? { resume: checkpoints.resume, save: (checkpoint) => post({ type: 'checkpoint', checkpoint }) } : undefined,
    );
    post({ type: 'done', result });
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
