/**
 * Worker-thread entry (built JS, plain node): one model at a time. Each worker initialises its own
 * tfjs backend (initBackend registers the gradients tfjs-core's Node entry leaves out) and answers
 * task messages with epoch progress and one 'done' or 'error' message.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend } from '@sii/neural-ode';
import { runImplicitTask } from './implicit.js';
import { runTeacherTask } from './student.js';
import type { TeacherTask, WorkerMessage } from './types.js';
import type { ImplicitTask } from './implicit.js';

const port = parentPort;
if (!port) throw new Error('worker.js must run inside a worker thread');

let backend: Promise<unknown> | null = null;

function post(msg: WorkerMessage): void {
  port!.postMessage(msg);
}

port.on('message', async (task: TeacherTask | ImplicitTask) => {
  try {
    backend ??= initBackend({ backend: task.config.backend });
    await backend;
    const onEpoch = (epoch: number, valLoss: number, trainLoss: number) => post({ type: 'epoch', epoch, valLoss, trainLoss });
    if (task.kind === 'teacher') {
      post({ type: 'done', result: runTeacherTask(task, onEpoch) });
    } else {
      post({ type: 'done', result: runImplicitTask(task, onEpoch) });
    }
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
