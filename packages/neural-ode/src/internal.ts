// @sii/neural-ode/internal — for sibling packages of this workspace (the data-parallel trainer of
// @sii/train), not a public API: the fast rollout without argument checks and the worker starter.
export { fastRolloutImpl } from './fast_rollout.js';
export { builtWorkerFactory, type MinimalWorker } from './node_worker.js';
