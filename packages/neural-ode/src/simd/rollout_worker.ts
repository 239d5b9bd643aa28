/**
 * Worker side of the SIMD rollout threads (threads.ts): runs the rows of the batch it is given on its
 * own kernels and arena, driven through a shared-memory mailbox. The thread is dedicated: after
 * 'ready' it blocks on the mailbox until told to stop.
 */
import { parentPort } from 'node:worker_threads';
import { simdArena } from './kernels.js';
import { CMD, CMD_BACKWARD, CMD_FORWARD, CMD_STOP, DONE, ID, Mailbox, SEQ, STATUS, TAPED, WANT_INPUTS, waitChange } from './mailbox.js';
import { SimdRollout } from './mlp_rollout.js';
import { packedSizes, readData, writeGradients } from './packing.js';

const port = parentPort;
if (port == null) throw new Error('rollout_worker: must run in a worker thread');

/** Rollouts waiting for their backward pass (the oldest are dropped beyond this many). */
const MAX_PENDING = 64;

port.once('message', (msg: { buffer: SharedArrayBuffer; spinMs: number }) => {
  const box = new Mailbox(msg.buffer);
  const arena = simdArena();
  if (arena == null) {
    port.postMessage({ type: 'error', message: 'WebAssembly SIMD kernels unavailable in the worker' });
    return;
  }
  // Read the command counter before announcing readiness: a command may follow at once.
  let seen = Atomics.load(box.control, SEQ);
  port.postMessage({ type: 'ready' });
  const pending = new Map<number, SimdRollout>();
  let resident: SimdRollout | null = null;
  const claim = (r: SimdRollout) => {
    if (resident != null && resident !== r) resident.evict();
    resident = r;
  };
  for (;;) {
    waitChange(box.control, SEQ, seen, msg.spinMs);
    seen = Atomics.load(box.control, SEQ);
    const cmd = box.control[CMD];
    if (cmd === CMD_STOP) {
      Atomics.store(box.control, DONE, seen);
      Atomics.notify(box.control, DONE);
      break;
    }
    box.control[STATUS] = 0;
    try {
      const problem = box.readProblem();
      const id = box.control[ID];
      const sizes = packedSizes(problem);
      if (cmd === CMD_FORWARD) {
        const rollout = new SimdRollout(problem, arena);
        claim(rollout);
        const out = rollout.forward(readData(problem, box.data));
        box.data.set(out, sizes.input);
        if (box.control[TAPED] === 1) {
          pending.set(id, rollout);
          if (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value!);
        } else resident = null;
      } else if (cmd === CMD_BACKWARD) {
        const rollout = pending.get(id);
        if (rollout == null) throw new Error(`no forward pass kept for rollout ${id} (more than ${MAX_PENDING} pending)`);
        pending.delete(id);
        claim(rollout);
        const dy = box.data.slice(0, sizes.output);
        writeGradients(problem, rollout.backward(dy, box.control[WANT_INPUTS] === 1), box.data, sizes.output);
        resident = null;
      } else throw new Error(`unknown command ${cmd}`);
    } catch (err) {
      box.setError(err instanceof Error ? (err.stack ?? err.message) : String(err));
    }
    Atomics.store(box.control, DONE, seen);
    Atomics.notify(box.control, DONE);
  }
  port.close();
});
