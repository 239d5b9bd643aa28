import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairedVerdict } from '../src/verdict.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

let tmp: string;

function sii(args: string[]) {
  return runCli(tmp, args);
}

const STUDIES = ['ts-incl', 'ts-excl', 'perturbation', 'implicit', 'pixel', 'latent', 'forecast-tanks', 'forecast-duffing'];
const TITLES = [
  'Teacher–student (incl)',
  'Teacher–student (excl)',
  'Perturbation: Euler vs RK4',
  'Implicit regularization by the solver',
  'Pixel-level classification (smnist)',
  'Latent dynamics (mass-spring)',
  'Forecasting (tanks)',
  'Forecasting (duffing)',
];
const VERDICTS = ['reproduced', 'not reproduced', 'inconclusive'];

/** Cells of the first <table> of an HTML report. */
function firstTable(html: string): string[][] {
  const table = /<table>([\s\S]*?)<\/table>/.exec(html)![1];
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<t[hd]>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]));
}

function subRun(dir: string, study: string): string {
  const dirs = readdirSync(join(dir, 'studies', study));
  expect(dirs, `${study} sub-runs`).toHaveLength(1);
  return join(dir, 'studies', study, dirs[0]);
}

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'sii-reproduce-'));
}, 600_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('sii reproduce --scale tiny (built CLI, plain node)', () => {
  it('is killed after two studies, resumes without redoing them, and writes the claims table and every section', () => {
    const first = sii(['reproduce', '--scale', 'tiny', '--workers', '1', '--progress', 'off', '--out', 'runs', '--abort-after', '2']);
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const runs = readdirSync(join(tmp, 'runs')).filter((d) => d.startsWith('reproduce-'));
    expect(runs).toHaveLength(1);
    const dir = join(tmp, 'runs', runs[0]);
    expect(readdirSync(join(dir, 'outcomes')).sort()).toEqual(['ts-excl.json', 'ts-incl.json']);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
    const inclRun = subRun(dir, 'ts-incl');
    const teachersBefore = readFileSync(join(inclRun, 'results.jsonl'), 'utf8');

    const second = sii(['reproduce', '--resume', dir, '--workers', '1', '--progress', 'off']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('1/8 ts-incl: finished before, skipping');
    expect(second.stderr).toContain('2/8 ts-excl: finished before, skipping');
    // The finished studies were not rerun: one sub-run each, teacher lines untouched.
    expect(subRun(dir, 'ts-incl')).toBe(inclRun);
    expect(readFileSync(join(inclRun, 'results.jsonl'), 'utf8')).toBe(teachersBefore);
    for (const s of STUDIES) expect(existsSync(join(subRun(dir, s), 'report.html')), s).toBe(true);

    // The first table of the report is the claims table, one row per study, in order.
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.indexOf('<h2>Claims</h2>')).toBeLessThan(html.indexOf('<table>'));
    const rows = firstTable(html);
    expect(rows[0]).toEqual(['claim', "paper's statement", 'our measurement', 'verdict', 'statistic']);
    expect(rows).toHaveLength(1 + STUDIES.length);
    for (const r of rows.slice(1)) {
      expect(VERDICTS).toContain(r[3]);
      expect(r[2]).toMatch(/^\[(tiny: |any scale)/); // every measurement states its scale
    }
    expect(html).toContain('Verdict rule (fixed in the code before any run)');
    // Every study has its section, in order.
    const positions = TITLES.map((t) => html.indexOf(`<h2>${t}</h2>`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results.scale).toBe('tiny');
    expect(results.alpha).toBe(0.01);
    expect(results.claims.map((c: { study: string }) => c.study)).toEqual(STUDIES);
    const claim = (s: string) => results.claims.find((c: { study: string }) => c.study === s);
    // The perturbation claim is exact: |R_euler| = |1 + z| for z = −0.1 + 0.45i is √(0.81 + 0.2025) > 1, |R_rk4| < 1.
    expect(claim('perturbation').verdict).toBe('reproduced');
    // The teacher–student verdicts follow the rule applied to the sub-runs' own per-teacher minima.
    for (const s of ['ts-incl', 'ts-excl']) {
      const lines = readFileSync(join(subRun(dir, s), 'results.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const num = (x: number | string) => Number(x);
      const v = pairedVerdict(
        lines.map((l) => num(l.runs.sii.minValLoss)),
        lines.map((l) => num(l.runs.baseline.minValLoss)),
        { lowerIsBetter: true },
      );
      expect(claim(s).verdict).toBe(v.verdict);
      expect(claim(s).statistic).toBe(v.statistic);
      // Three teachers: no test can reach α, whatever the data.
      expect(v.verdict).toBe('inconclusive');
    }
    // The sub-run's teacher–student report has the per-epoch additions (results.json summary.analysis).
    const ts = JSON.parse(readFileSync(join(subRun(dir, 'ts-incl'), 'results.json'), 'utf8'));
    expect(ts.summary.analysis.perEpoch).toHaveLength(2);
    expect(ts.summary.analysis.finalPoles.map((p: { init: string }) => p.init)).toEqual(['sii', 'baseline']);
    for (const f of ['win-share-per-epoch.svg', 'final-poles.svg']) {
      const svg = readFileSync(join(subRun(dir, 'ts-incl'), 'figures', f), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(html).toContain(`figures/ts-incl-${f}`);
    }
  }, 300_000);

  it('usage errors name the flag', () => {
    const bad = sii(['reproduce', '--only', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--only.*unknown value\(s\) nope/);
    const engine = sii(['reproduce', '--only', 'forecast-engine']);
    expect(engine.code).toBe(2);
    expect(engine.stderr).toContain('--only forecast-engine needs --data engine=<file>');
    const data = sii(['reproduce', '--data', 'engine=/no/such/file.csv']);
    expect(data.code).toBe(2);
    expect(data.stderr).toContain('no such file: /no/such/file.csv');
    const resume = sii(['reproduce', '--resume', 'x', '--scale', 'paper']);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain('--scale cannot be changed');
  }, 60_000);

  it('--adopt uses a finished teacher–student run with the same configuration: same claim row as running it, no training', () => {
    // The tiny scale's teacher–student sizes (TS_SCALE.tiny), made by the teacher-student command itself;
    // returns the run folder under `out`.
    const tinyExcl = (epochs: number, out: string) => {
      const r = sii([
        'teacher-student',
        '--setting',
        'excl',
        '--teachers',
        '3',
        '--epochs',
        String(epochs),
        '--samples',
        '30',
        '--hidden',
        '6',
        '--workers',
        '1',
        '--progress',
        'off',
        '--out',
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      return join(tmp, out, readdirSync(join(tmp, out))[0]);
    };
    const reproduceExcl = (out: string, adopt?: string) =>
      sii([
        'reproduce',
        '--scale',
        'tiny',
        '--only',
        'ts-excl',
        ...(adopt ? ['--adopt', `ts-excl=${adopt}`] : []),
        '--workers',
        '1',
        '--progress',
        'off',
        '--out',
        out,
      ]);
    const own = tinyExcl(2, 'own');
    const ran = reproduceExcl('ran');
    expect(ran.code, ran.stderr).toBe(0);
    const adopted = reproduceExcl('adopted', own);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(adopted.stderr).toContain('adopting');
    const results = (base: string) => JSON.parse(readFileSync(join(tmp, base, readdirSync(join(tmp, base))[0], 'results.json'), 'utf8'));
    const a = results('adopted');
    const r = results('ran');
    expect(a.claims).toEqual(r.claims);
    expect(a.studies['ts-excl'].adopted.from).toBe(own);
    expect(a.studies['ts-excl'].adopted.wallMs).toBeGreaterThan(0);
    // Nothing was trained again: the copy's teacher files are the adopted run's, byte for byte.
    const copy = join(tmp, 'adopted', readdirSync(join(tmp, 'adopted'))[0], 'studies', 'ts-excl', own.split('/').pop()!);
    for (const f of readdirSync(join(own, 'teachers')))
      expect(readFileSync(join(copy, 'teachers', f), 'utf8')).toBe(readFileSync(join(own, 'teachers', f), 'utf8'));

    // A run with another configuration is refused, naming where it differs.
    const otherDir = tinyExcl(3, 'other');
    const refused = reproduceExcl('refused', otherDir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/configuration differs from the study's at student\.epochs/);
    // Usage errors name the flag.
    const wrongStudy = sii(['reproduce', '--scale', 'tiny', '--adopt', `perturbation=${own}`]);
    expect(wrongStudy.code).toBe(2);
    expect(wrongStudy.stderr).toMatch(/--adopt.*expected study=run/);
    const notRun = sii(['reproduce', '--scale', 'tiny', '--only', 'ts-incl', '--adopt', `ts-excl=${own}`]);
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toContain('--adopt ts-excl: not among the studies of this run');
  }, 300_000);
});
