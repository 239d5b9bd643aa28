/// <reference lib="webworker" />
// Initializer worker: computes what the initializer panel shows (initializer-compute.ts), one request
// at a time, in order; the page keeps only the answer to its latest request.
import { computeInitializer, type InitReply, type InitRequest } from './initializer-compute.js';

declare const self: DedicatedWorkerGlobalScope;

self.addEventListener('message', (ev: MessageEvent<InitRequest>) => {
  const req = ev.data;
  let reply: InitReply;
  try {
    reply = { type: 'result', id: req.id, result: computeInitializer(req) };
  } catch (e) {
    reply = { type: 'error', id: req.id, message: e instanceof Error ? e.message : String(e) };
  }
  self.postMessage(reply);
});
