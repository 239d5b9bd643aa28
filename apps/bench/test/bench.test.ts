import { layerShapes } from '@sii/mlp';
import { describe, expect, it } from 'vitest';
import { benchSpec, CONFIGS, formatTable, median, parseArgs, stepFlops } from '../src/index.js';

const layerSizes = (c: Parameters<typeof benchSpec>[0]) => layerShapes(benchSpec(c));

import type { BenchRow } from '../src/index.js';

describe('configurations', () => {
  it('match the peer script (layer sizes (n+m)→H→…→n)', () => {
    expect(layerSizes(CONFIGS.student)).toEqual([
      [5, 128],
      [128, 128],
      [128, 4],
    ]);
    expect(layerSizes(CONFIGS.pixel)).toEqual([
      [256, 256],
      [256, 256],
      [256, 128],
    ]);
    expect(layerSizes(CONFIGS.rk4)).toEqual([
      [4, 32],
      [32, 4],
    ]);
  });

  it('step FLOPs: pixel by an independent per-product count is ~7.5 GFLOP', () => {
    // 64 steps × 2 stages × batch 64 rows; per row: forward 3 products, dW 3 products, dX of layers 2, 3
    // and the 128 state columns of layer 1.
    const rows = 64 * 2 * 64;
    const fwd = 256 * 256 + 256 * 256 + 256 * 128;
    const macs = rows * (fwd + fwd + (256 * 256 + 256 * 128) + 128 * 256);
    expect(stepFlops(CONFIGS.pixel)).toBe(2 * macs);
    expect(stepFlops(CONFIGS.pixel) / 1e9).toBeCloseTo(7.516, 3);
    // rk4: 50 steps × 4 stages × 64 rows × (2·(4·32 + 32·4) + 32·4 + 4·32) MACs
    expect(stepFlops(CONFIGS.rk4)).toBe(2 * 50 * 4 * 64 * (2 * 256 + 256));
  });
});

describe('options and table', () => {
  it('parses lists and numbers, and names a bad option', () => {
    const a = parseArgs(['--configs', 'rk4,pixel', '--iters=7', '--no-peer', '--paths', 'fast', '--backends', 'wasm']);
    expect(a).toMatchObject({ configs: ['rk4', 'pixel'], iters: 7, peer: false, paths: ['fast'], backends: ['wasm'] });
    expect(() => parseArgs(['--configs', 'nope'])).toThrow(/--configs: unknown value "nope"/);
    expect(() => parseArgs(['--iters', '0'])).toThrow(/--iters must be an integer >= 1, got "0"/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option "--fast"/);
    expect(parseArgs([])).toMatchObject({
      parallel: 1,
      parallelConfigs: ['student', 'pixel', 'rk4'],
      paths: ['fast', 'fast-simd', 'fast-tfjs', 'plain'],
    });
    expect(parseArgs(['--parallel', '2', '--parallel-configs=pixel,rk4'])).toMatchObject({
      parallel: 2,
      parallelConfigs: ['pixel', 'rk4'],
    });
    expect(() => parseArgs(['--parallel', '0'])).toThrow(/--parallel must be an integer >= 1, got "0"/);
  });

  it('median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('prints ratio and the change against a previous run', () => {
    const row: BenchRow = {
      config: 'rk4',
      backend: 'wasm',
      path: 'fast',
      medianMs: 15,
      minMs: 14,
      iters: 3,
      gflops: 1.31,
      kernels: 2000,
      kernelTimes: {},
      peakMB: 2,
      loss: 1,
      peerMs: 12,
      ratio: 1.25,
    };
    const prev = { date: 'x', node: 'v20', cpus: 2, loadavg: [], args: {}, peer: [], rows: [{ ...row, medianMs: 20 }] };
    const text = formatTable([row], prev);
    expect(text).toContain('1.25');
    expect(text).toContain('-25%');
  });
});

describe('the built bench under plain node', () => {
  it('runs rk4 on both engines and on two SIMD threads, and writes the JSON report', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    const out = mkdtempSync(join(tmpdir(), 'sii-bench-'));
    try {
      const args = ['--configs', 'rk4', '--iters', '2', '--warmup', '1', '--no-peer', '--backends', 'wasm'];
      execFileSync(process.execPath, [bin, ...args, '--paths', 'fast,fast-simd,fast-tfjs', '--parallel', '2', '--out', out], {
        encoding: 'utf8',
      });
      const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as { rows: BenchRow[] };
      expect(report.rows.map((r) => r.path)).toEqual(['fast', 'fast-simd', 'fast-tfjs', 'fast×2']);
      for (const r of report.rows) {
        expect(r.medianMs).toBeGreaterThan(0);
        expect(Number.isFinite(r.loss)).toBe(true);
      }
      // Same model, data and first steps: the engines agree on the loss to float32 rounding.
      const losses = report.rows.map((r) => r.loss);
      for (const l of losses) expect(Math.abs(l - losses[0])).toBeLessThan(1e-4 * Math.abs(losses[0]));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('runs the model rows (forecast, latent) as the experiments train them', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    const out = mkdtempSync(join(tmpdir(), 'sii-bench-'));
    try {
      execFileSync(process.execPath, [bin, '--configs', 'forecast,latent', '--iters', '2', '--warmup', '1', '--no-peer', '--out', out], {
        encoding: 'utf8',
      });
      const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as { rows: BenchRow[] };
      expect(report.rows.map((r) => `${r.config} ${r.backend} ${r.path}`)).toEqual(['forecast wasm fast', 'latent wasm fast']);
      for (const r of report.rows) {
        expect(r.medianMs).toBeGreaterThan(0);
        expect(r.iters).toBe(2);
        expect(Number.isFinite(r.loss) && r.loss > 0).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
