/// <reference lib="webworker" />
// Explorer worker: largest stable steps of the poles (pole-analysis.ts). Requests that arrive while one
// is computed are coalesced: only the newest one is answered (the page drops older versions anyway).
import { analysePoles, type PoleAnalysisReply, type PoleAnalysisRequest } from './pole-analysis.js';

declare const self: DedicatedWorkerGlobalScope;

let latest: PoleAnalysisRequest | null = null;
let scheduled = false;

function run(): void {
  scheduled = false;
  const req = latest;
  latest = null;
  if (!req) return;
  let reply: PoleAnalysisReply;
  try {
    reply = { type: 'result', version: req.version, hmax: analysePoles(req.poles, req.methods) };
  } catch (e) {
    reply = { type: 'error', version: req.version, message: e instanceof Error ? e.message : String(e) };
  }
  self.postMessage(reply, reply.type === 'result' ? Object.values(reply.hmax).map((a) => a.buffer as ArrayBuffer) : []);
}

self.addEventListener('message', (ev: MessageEvent<PoleAnalysisRequest>) => {
  latest = ev.data;
  if (!scheduled) {
    scheduled = true;
    setTimeout(run, 0);
  }
});
