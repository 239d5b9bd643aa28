/** Run the benchmark: peer and sii interleaved per configuration, print the table, write JSON. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchArgs } from './args.js';
import { CONFIGS } from './configs.js';
import { MODEL_CONFIGS } from './model-configs.js';
import { modelPeerSpec, runModelStep } from './models.js';
import { findModelPeer, findPeer, type PeerResult, runPeer } from './peer.js';
import { type BenchReport, type BenchRow, formatTable, topKernels } from './report.js';
import { runSii, type SiiResult } from './sii.js';

const DEFAULT_ITERS: Record<string, number> = { student: 200, rk4: 100, pixel: 8, forecast: 10, latent: 10 };
/**
 * Untimed steps first. The small configurations need tens: V8 runs new WebAssembly code in its
 * baseline compiler (Liftoff, ~4× slower here) until a function has run enough to be optimised.
 */
const DEFAULT_WARMUP: Record<string, number> = { student: 30, rk4: 30, pixel: 3, forecast: 3, latent: 3 };

/** What took a row's steps: the whole step in the SIMD module, or tfjs kernels (the slowest named). */
function stepDetail(r: SiiResult): string {
  return r.stepEngine === 'simd' ? 'the whole step in the SIMD module' : `${r.kernels} kernels; top: ${topKernels(r)}`;
}

function ratios(r: SiiResult, peerMs: number | null, peerMinMs: number | null) {
  return {
    peerMs,
    ratio: peerMs != null ? r.medianMs / peerMs : null,
    peerMinMs,
    minRatio: peerMinMs != null ? r.minMs / peerMinMs : null,
  };
}

export async function runBench(args: BenchArgs, log: (s: string) => void = console.log): Promise<BenchReport> {
  const outDir = resolve(args.out ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results'));
  let previous: BenchReport | null = null;
  try {
    previous = JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')) as BenchReport;
  } catch {
    previous = null;
  }
  const peerLoc = args.peer ? findPeer() : null;
  if (args.peer && peerLoc == null) log('PyTorch peer not found (set SII_TORCH_ENV / SII_TORCH_STEP); running without it');
  const modelPeerLoc = args.peer ? findModelPeer() : null;
  const peers: PeerResult[] = [];
  const rows: BenchRow[] = [];
  for (const name of args.configs) {
    if (name in MODEL_CONFIGS) {
      // The paper's models: the experiment's own training step (wasm, its default fast path) and the model peer.
      const iters = args.iters ?? DEFAULT_ITERS[name] ?? 10;
      const warmup = args.warmup ?? DEFAULT_WARMUP[name] ?? 3;
      let peer: PeerResult | null = null;
      if (modelPeerLoc) {
        const { result, error } = runPeer(modelPeerLoc, name, iters, warmup, modelPeerSpec(name));
        if (result) {
          peers.push(result);
          peer = result;
          log(`${name}: peer ${result.impl} median ${result.medianMs} ms`);
        } else log(`${name}: peer failed: ${error}`);
      }
      const r = await runModelStep(name, iters, warmup);
      rows.push({ ...r, ...ratios(r, peer?.medianMs ?? null, peer?.minMs ?? null) });
      log(`${name} wasm ${r.path}: median ${r.medianMs.toFixed(2)} ms, ${r.kernels} kernels; top: ${topKernels(r)}`);
      continue;
    }
    const c = CONFIGS[name];
    const iters = args.iters ?? DEFAULT_ITERS[name] ?? 10;
    const warmup = args.warmup ?? DEFAULT_WARMUP[name] ?? 3;
    let peerMs: number | null = null;
    let peerMinMs: number | null = null;
    if (peerLoc) {
      const { result, error } = runPeer(peerLoc, name, iters, warmup);
      if (result) {
        peers.push(result);
        peerMs = result.medianMs;
        peerMinMs = result.minMs;
        log(`${name}: peer ${result.impl} median ${result.medianMs} ms`);
      } else log(`${name}: peer failed: ${error}`);
    }
    for (const backend of args.backends) {
      const paths = backend === 'cpu' ? args.paths.filter((p) => p === 'fast') : args.paths;
      for (const path of paths) {
        // The plain path and the cpu backend are references: fewer steps.
        const slow = backend === 'cpu' || path === 'plain';
        const n = backend === 'cpu' ? args.cpuIters : path === 'plain' ? Math.max(3, Math.ceil(iters / 3)) : iters;
        const r: SiiResult = await runSii(c, backend, path, n, slow ? Math.min(warmup, 1) : warmup);
        const row: BenchRow = { ...r, ...ratios(r, peerMs, peerMinMs) };
        rows.push(row);
        log(`${name} ${backend} ${path}: median ${r.medianMs.toFixed(2)} ms (CPU ${r.cpuMs?.toFixed(2)} ms/step), ${stepDetail(r)}`);
      }
    }
    if (args.parallel > 1 && args.parallelConfigs.includes(name) && args.backends.includes('wasm')) {
      const r: SiiResult = await runSii(c, 'wasm', 'fast', iters, warmup, args.parallel);
      rows.push({ ...r, ...ratios(r, peerMs, peerMinMs) });
      log(`${name} wasm ${r.path}: median ${r.medianMs.toFixed(2)} ms, ${r.kernels} kernels on this thread; top: ${topKernels(r)}`);
    }
  }
  const report: BenchReport = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavg: loadavg(),
    args: { ...args },
    peer: peers,
    rows,
  };
  log('');
  log(formatTable(rows, previous));
  if (previous) log(`(Δ prev: median change vs ${previous.date})`);
  mkdirSync(outDir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(outDir, 'latest.json'), text);
  const stamped = join(outDir, `${report.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(stamped, text);
  log(`wrote ${join(outDir, 'latest.json')} and ${stamped}`);
  return report;
}
