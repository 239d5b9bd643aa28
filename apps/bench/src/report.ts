/** The result table (text and JSON) and the comparison with the previous run. */
import type { PeerResult } from './peer.js';
import type { SiiResult } from './sii.js';

export interface BenchRow extends SiiResult {
  peerMs: number | null;
  /** sii median / peer median of the same run. */
  ratio: number | null;
  /** Peer minimum and sii min / peer min (less sensitive to other load on a shared machine). */
  peerMinMs?: number | null;
  minRatio?: number | null;
}

export interface BenchReport {
  date: string;
  node: string;
  cpus: number;
  loadavg: number[];
  args: Record<string, unknown>;
  peer: PeerResult[];
  rows: BenchRow[];
}

const f = (x: number | null, d = 1): string => (x == null || !Number.isFinite(x) ? '—' : x.toFixed(d));

/** The rows of a report as one aligned text table; with `previous`, a delta column (median, %). */
export function formatTable(rows: readonly BenchRow[], previous?: BenchReport | null): string {
  const head = [
    'config',
    'backend',
    'path',
    'median ms',
    'min ms',
    'peer ms',
    'ratio',
    'min ratio',
    'GFLOP/s',
    'kernels',
    'peak MB',
    'Δ prev',
  ];
  const body = rows.map((r) => {
    const p = previous?.rows.find((q) => q.config === r.config && q.backend === r.backend && q.path === r.path);
    const delta = p ? `${r.medianMs >= p.medianMs ? '+' : ''}${(((r.medianMs - p.medianMs) / p.medianMs) * 100).toFixed(0)}%` : '—';
    return [
      r.config,
      r.backend,
      r.path,
      f(r.medianMs, 2),
      f(r.minMs, 2),
      f(r.peerMs, 2),
      f(r.ratio, 2),
      f(r.minRatio ?? null, 2),
      f(r.gflops, 2),
      r.stepEngine === 'simd' ? 'whole step' : String(r.kernels),
      f(r.peakMB, 1),
      delta,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The kernels that take the most time in the profiled step of a row. */
export function topKernels(r: SiiResult, k = 6): string {
  return Object.entries(r.kernelTimes)
    .sort((a, b) => b[1][1] - a[1][1])
    .slice(0, k)
    .map(([name, [count, ms]]) => `${name} ${count}× ${ms.toFixed(1)}ms`)
    .join(', ');
}
