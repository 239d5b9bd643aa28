#!/usr/bin/env node
/**
 * `pnpm fuzz`: every package's `test/fuzz.test.ts` with SII_FUZZ_RUNS cases per target (default 10,000),
 * one package at a time, each in its own vitest process under a time limit (a parser stuck in a loop is
 * reported as a hang of its package instead of stopping the run). Prints per target: cases, errors that
 * were not helpful, hangs over 5 s, allocations over 1 GiB, accepted non-finite outputs.
 * Usage: node tooling/fuzz/run.mjs [--runs N] [--timeout SECONDS_PER_PACKAGE] [package-dir …]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1, got ${args[i + 1]}`);
  args.splice(i, 2);
  return v;
};
const runs = option('--runs', 10_000);
const timeoutS = option('--timeout', 600);
const dirs =
  args.length > 0
    ? args.map((d) => resolve(d))
    : ['packages', 'apps'].flatMap((group) => readdirSync(join(root, group)).map((d) => join(root, group, d))).filter((d) => existsSync(join(d, 'test', 'fuzz.test.ts')));

const tmp = mkdtempSync(join(tmpdir(), 'sii-fuzz-'));
const report = join(tmp, 'report.jsonl');
const rows = [];
const broken = [];
const started = Date.now();
for (const dir of dirs) {
  const name = relative(root, dir);
  process.stdout.write(`fuzz: ${name} (${runs} cases per target) …\n`);
  const t0 = Date.now();
  const res = spawnSync('pnpm', ['exec', 'vitest', 'run', 'test/fuzz.test.ts', '--reporter=dot', '--outputFile.json=.test-results/fuzz.json'], {
    cwd: dir,
    env: { ...process.env, SII_FUZZ_RUNS: String(runs), SII_FUZZ_REPORT: report },
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 2 ** 20,
  });
  const seconds = Math.round((Date.now() - t0) / 1000);
  if (res.error?.code === 'ETIMEDOUT' || res.signal === 'SIGKILL') broken.push(`${name}: killed after ${timeoutS} s (a hang)`);
  else if (res.status !== 0) broken.push(`${name}: vitest exited with ${res.status} after ${seconds} s\n${(res.stdout + res.stderr).split('\n').filter((l) => /FAIL|Error|expected|✗|×/.test(l)).slice(0, 30).join('\n')}`);
  process.stdout.write(`      ${name}: ${seconds} s\n`);
}
if (existsSync(report)) for (const line of readFileSync(report, 'utf8').split('\n').filter(Boolean)) rows.push(JSON.parse(line));
rmSync(tmp, { recursive: true, force: true });

const header = ['target', 'cases', 'ok', 'rejected', 'unhelpful', 'hangs>5s', 'alloc>1GiB', 'non-finite', 'slowest ms', 'peak RSS +MiB', 's'];
const table = rows.map((r) => [r.target, r.cases, r.ok, r.rejected, r.unhelpful, r.hangs, r.allocations, r.nonFinite, Math.round(r.slowestMs), Math.round(r.peakRssGrowthBytes / 2 ** 20), r.seconds]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}`);
for (const row of table) console.log(line(row));
const bad = rows.filter((r) => r.unhelpful + r.hangs + r.allocations + r.nonFinite > 0);
for (const r of bad) {
  console.log(`\n${r.target}:`);
  for (const e of r.examples) console.log(`  ${e.kind}: ${e.detail}\n    input: ${e.input}`);
}
for (const b of broken) console.log(`\n${b}`);
console.log(`\n${rows.length} targets, ${rows.reduce((s, r) => s + r.cases, 0)} cases, ${bad.length} with failures, ${broken.length} packages failed; ${Math.round((Date.now() - started) / 1000)} s`);
process.exitCode = bad.length > 0 || broken.length > 0 ? 1 : 0;
