/**
 * End-to-end runs of the BUILT `sii pixel | forecast | latent` under plain node (child process) on
 * tiny configurations: files written, per-arm results consistent with the summary, figures and
 * report, resume of a run folder, and usage errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin } from './helpers/cli.js';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sii-exp-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function sii(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runDir(out: string, prefix: string): string {
  const dirs = readdirSync(join(tmp, out)).filter((d) => d.startsWith(prefix));
  expect(dirs).toHaveLength(1);
  return join(tmp, out, dirs[0]);
}

interface Arm {
  run: number;
  init: string;
  metrics: Record<string, number | string>;
  curves: Record<string, number[]>;
  epochsRun: number;
}

function arms(dir: string): Arm[] {
  return readdirSync(join(dir, 'arms')).map((f) => JSON.parse(readFileSync(join(dir, 'arms', f), 'utf8')) as Arm);
}

/** Check the summary row of `init` against an independent mean ± sample std of the arm files. */
function expectSummaryMatches(dir: string, init: string, key: string, column: number, digits: number, scale = 1): void {
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const values = arms(dir)
    .filter((a) => a.init === init)
    .map((a) => Number(a.metrics[key]) * scale);
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1));
  const row = (results.summary.rows as string[][]).find((r) => r[0] === init)!;
  expect(row[column]).toBe(values.length > 1 ? `${mean.toFixed(digits)} ± ${std.toFixed(digits)}` : mean.toFixed(digits));
}

function expectReport(dir: string, figures: string[]): string {
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  expect(html).toContain('<table>');
  for (const f of figures) {
    const svg = readFileSync(join(dir, 'figures', f), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(html).toContain(`figures/${f}`);
  }
  expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).state).toBe('complete');
  return html;
}

describe('sii pixel (tiny, built, plain node)', () => {
  it('trains both inits for 2 seeds in worker threads and reports mean ± std', () => {
    const r = sii(['pixel', '--scale', 'tiny', '--seeds', '2', '--epochs', '2', '--progress', 'off', '--out', 'px']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dir = runDir('px', 'pixel-');
    const a = arms(dir);
    expect(a.map((x) => `${x.run}-${x.init}`).sort()).toEqual(['0-baseline', '0-sii', '1-baseline', '1-sii']);
    for (const x of a) {
      expect(x.epochsRun).toBe(2);
      expect(x.curves.testAccuracy).toHaveLength(2);
      // 20 test examples: every accuracy is a multiple of 1/20
      const acc = Number(x.metrics.testAccuracy);
      expect(Math.abs(acc * 20 - Math.round(acc * 20))).toBeLessThan(1e-9);
      expect(Number(x.metrics.testAccuracy)).toBe(x.curves.testAccuracy[1]);
    }
    expectSummaryMatches(dir, 'sii', 'testAccuracy', 2, 2, 100);
    expectSummaryMatches(dir, 'baseline', 'trainLoss', 4, 4);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.config).toMatchObject({ dataset: 'smnist', scale: 'tiny', seeds: 2, epochs: 2, pixelsPerStep: 28 });
    // SII's slope compensation is recorded: 'none' (the authors' code) unless --compensation says otherwise
    expect(cfg.config.compensation).toBe('none');
    expect(cfg.config.siiPreset).toBeUndefined();
    const html = expectReport(dir, ['learning-curves.svg']);
    expect(html).toContain('compensation none: no activation-slope compensation, as the authors');
    expect(r.stdout).toMatch(/report: .*report\.html/);
  });

  it('is reproducible: same seed, same per-arm results (in-process runner)', () => {
    const args = ['pixel', '--scale', 'tiny', '--epochs', '1', '--init', 'sii', '--workers', '0', '--progress', 'off'];
    expect(sii([...args, '--out', 'rep1']).code).toBe(0);
    expect(sii([...args, '--out', 'rep2']).code).toBe(0);
    const a = arms(runDir('rep1', 'pixel-'))[0];
    const b = arms(runDir('rep2', 'pixel-'))[0];
    expect(a.curves.trainLoss).toEqual(b.curves.trainLoss);
  });

  it('usage errors name the flag', () => {
    const bad = sii(['pixel', '--epochs', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--epochs/);
    const r = sii(['pixel', '--dataset', 'scifar', '--scale', 'tiny']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--data/);
    const h = sii(['pixel', '--states', '16', '--hidden', '8']);
    expect(h.code).toBe(1);
    expect(h.stderr).toMatch(/--hidden \(8\) must be >= --states \(16\)/);
  });
});

describe('sii forecast (tiny, built, plain node)', () => {
  it('runs the tanks system, writes the prediction figure and resumes a run folder', () => {
    const r = sii([
      'forecast',
      '--dataset',
      'tanks',
      '--scale',
      'tiny',
      '--compensation',
      'max',
      '--progress',
      'off',
      '--workers',
      '1',
      '--out',
      'fc',
    ]);
    expect(r.code).toBe(0);
    const dir = runDir('fc', 'forecast-');
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).config.compensation).toBe('max');
    expectSummaryMatches(dir, 'sii', 'testMse', 2, 5);
    expectReport(dir, ['learning-curves.svg', 'test-window.svg']);
    const a = arms(dir).find((x) => x.init === 'sii')!;
    // The final test MSE is the last epoch's evaluation.
    expect(Number(a.metrics.testMse)).toBeCloseTo(a.curves.testMse.at(-1)!, 6);
    // Resume: drop one finished arm and mark the run interrupted; only that arm is trained again.
    rmSync(join(dir, 'arms', 'run-000-baseline.json'));
    writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: 'interrupted' }));
    const again = sii(['forecast', '--resume', dir, '--progress', 'off', '--workers', '0']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('1 of 2 arms already finished');
    expect(arms(dir)).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).state).toBe('complete');
  });

  it('file data sets without --data fail with a clear message', () => {
    const r = sii(['forecast', '--dataset', 'airquality']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--dataset airquality needs --data/);
    const m = sii(['forecast', '--dataset', 'engine', '--data', join(tmp, 'missing.csv')]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/no such file/);
  });
});

describe('sii latent (tiny, built, plain node)', () => {
  it("rejects sizes the authors' architecture cannot take before training, naming the flag", () => {
    const r = sii(['latent', '--scale', 'tiny', '--frame-size', '12', '--progress', 'off', '--workers', '0', '--out', 'lt-bad']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--frame-size must be a multiple of 8 \(three halvings to the latent grid\), got 12/);
    const f = sii(['latent', '--scale', 'tiny', '--input-frames', '5', '--progress', 'off', '--workers', '0', '--out', 'lt-bad']);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/--input-frames must be >= 8/);
  });
  it('reports NMSE and pixel accuracy for both horizons and a frame strip with an embedded PNG', () => {
    const r = sii(['latent', '--system', 'pendulum', '--scale', 'tiny', '--progress', 'off', '--workers', '0', '--out', 'lt']);
    expect(r.code).toBe(0);
    const dir = runDir('lt', 'latent-');
    for (const a of arms(dir)) {
      for (const k of ['nmse', 'nmseShort']) expect(Number(a.metrics[k])).toBeGreaterThan(0);
      for (const k of ['pixelAccuracy', 'pixelAccuracyShort']) {
        const v = Number(a.metrics[k]);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    expectSummaryMatches(dir, 'baseline', 'nmse', 2, 4);
    expectReport(dir, ['learning-curves.svg', 'frames.svg']);
    const svg = readFileSync(join(dir, 'figures', 'frames.svg'), 'utf8');
    const png = /href="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(svg);
    expect(png).not.toBeNull();
    const bytes = Buffer.from(png![1], 'base64');
    expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
    // 3 rows (true, sii, baseline) of 8×8 frames with 1-pixel gaps; 6 columns (tiny long horizon 6)
    expect(bytes.readUInt32BE(16)).toBe(6 * 8 + 5);
    expect(bytes.readUInt32BE(20)).toBe(3 * 8 + 2);
  });
});
