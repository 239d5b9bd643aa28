import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './helpers/cli.js';

let tmp: string;

function sii(args: string[]) {
  return runCli(tmp, args);
}

function onlyRun(base: string, prefix: string): string {
  const dirs = readdirSync(base).filter((d) => d.startsWith(prefix));
  expect(dirs).toHaveLength(1);
  return join(base, dirs[0]);
}

/** Minimal XML well-formedness check: balanced, properly nested tags, one root. */
function expectWellFormedSvg(text: string): void {
  expect(text.startsWith('<svg')).toBe(true);
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    const between = text.slice(last, m.index);
    expect(between.includes('<'), `stray '<' before offset ${m.index}`).toBe(false);
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) {
      expect(stack.pop(), `closing </${name}> at ${m.index}`).toBe(name);
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  expect(text.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

/** Per-teacher lines without wall-clock fields. */
function stableLines(runDir: string): unknown[] {
  const lines = readFileSync(join(runDir, 'results.jsonl'), 'utf8').trim().split('\n');
  return lines.map((l) => {
    const r = JSON.parse(l);
    for (const k of Object.keys(r.runs)) delete r.runs[k].wallMs;
    return r;
  });
}

const TINY = ['--setting', 'excl', '--teachers', '3', '--epochs', '2', '--samples', '30', '--hidden', '6', '--progress', 'plain'];

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'sii-cli-'));
}, 600_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('usage', () => {
  it('--help documents every option with its default', () => {
    const r = sii(['teacher-student', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--setting',
      '--teachers',
      '--epochs',
      '--init',
      '--hidden',
      '--layers',
      '--solver',
      '--h ',
      '--eps',
      '--window',
      '--batch',
      '--lr',
      '--clip',
      '--samples',
      '--workers',
      '--out',
      '--seed',
      '--resume',
      '--progress',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('(default: 20)');
    expect(r.stdout).toContain('(default: 0.0001)');
    // one entry per option, wrapped continuation lines joined
    const entries = r.stdout.split('\n').reduce<string[]>((acc, l) => {
      if (/^\s{2}(-\w, )?--/.test(l)) acc.push(l.trim());
      else if (/^\s{10,}\S/.test(l) && acc.length) acc[acc.length - 1] += ` ${l.trim()}`;
      return acc;
    }, []);
    expect(entries.find((e) => e.startsWith('--setting'))).toContain('default: "incl"');
    // every option except --help documents its default
    for (const e of entries.filter((x) => !x.includes('--help'))) expect(e, e).toMatch(/default/);
    expect(r.stdout).not.toContain('--abort-after');
  });

  it.each([
    [['teacher-student', '--teachers', 'abc'], '--teachers'],
    [['teacher-student', '--teachers', '0'], '--teachers'],
    [['teacher-student', '--setting', 'both'], '--setting'],
    [['teacher-student', '--init', 'sii,xavier'], '--init'],
    [['teacher-student', '--lr', '-1'], '--lr'],
    [['teacher-student', '--bogus'], '--bogus'],
    [['perturbation', '--z-complex', '1'], '--z-complex'],
    [['pixel', '--checkpoint-every', '0'], '--checkpoint-every'],
    [['pixel', '--checkpoint-every', 'abc'], '--checkpoint-every'],
    [['latent', '--conv-impl', 'nope'], '--conv-impl'],
    // found by fuzzing: these used to exit 1 with a message from deep inside (getTableau, LinearLR)
    [['stability', '--methods', 'euler,nope'], "--methods <list>' argument 'euler,nope' is invalid. unknown value(s) nope"],
    [['perturbation', '--methods', 'rk5'], "--methods <list>' argument 'rk5' is invalid. unknown value(s) rk5"],
    [['latent', '--scale', 'tiny', '--lr-end', '2'], "--lr-end <f>' argument '2' is invalid. expected a number in (0, 1]"],
    [['pixel', '--scale', 'tiny', '--lr-end', '1.5'], "--lr-end <f>' argument '1.5' is invalid. expected a number in (0, 1]"],
    [['worker', '--checkpoints', 'nope', '--queue', 'redis://127.0.0.1:1/0'], '--checkpoints'],
  ])('%j is a usage error naming %s', (args, flag) => {
    const r = sii(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toContain('--help');
  });

  it('a cross-flag check inside a command is a usage error that names both flags', () => {
    const r = sii(['teacher-student', '--window', '40', '--samples', '30', '--out', join(tmp, 'bad-window')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--window (40) must not exceed --samples (30)');
  });

  it('--resume refuses flags that would change the stored configuration', () => {
    const r = sii(['teacher-student', '--resume', join(tmp, 'no-such-run'), '--epochs', '5', '--workers', '1']);
    expect(r.code).toBe(2);
    // --workers may change on resume, so only --epochs is named
    expect(r.stderr).toContain('stored configuration; --epochs cannot be changed');
  });

  it('an unknown method is a usage error naming --methods and listing the known ones', () => {
    const r = sii(['stability', '--methods', 'euler,nosuch', '--out', join(tmp, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--methods/);
    expect(r.stderr).toMatch(/nosuch/);
    expect(r.stderr).toMatch(/rk4/);
  });
});

describe('stability and perturbation', () => {
  it('stability writes the table, the regions figure and the report', () => {
    const poles = join(tmp, 'poles.txt');
    writeFileSync(poles, '-5 15\n-5 -15\n-10\n');
    const out = join(tmp, 'stab');
    const r = sii(['stability', '--out', out, '--poles', poles, '--h', '0.1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rk4\s+4\s+4\s+2\.785293563\s+2\.828427125/);
    const dir = onlyRun(out, 'stability-');
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    const rk4 = res.table.find((x: { name: string }) => x.name === 'rk4');
    expect(rk4.imagInterval).toBeCloseTo(2 * Math.SQRT2, 8);
    expect(res.poles).toEqual([
      { re: -0.5, im: 1.5 },
      { re: -0.5, im: -1.5 },
      { re: -1, im: 0 },
    ]);
    const svg = readFileSync(join(dir, 'figures', 'stability-regions.svg'), 'utf8');
    expectWellFormedSvg(svg);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('stability-regions.svg');
    expect(r.stdout).toContain(join(dir, 'report.html'));
  });

  it('perturbation: Euler grows, RK4 decays', () => {
    const out = join(tmp, 'pert');
    const r = sii(['perturbation', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const dir = onlyRun(out, 'perturbation-');
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    const euler = res.summary.find((s: { method: string }) => s.method === 'euler');
    const rk4 = res.summary.find((s: { method: string }) => s.method === 'rk4');
    expect(euler.amplitudeRatio).toBeGreaterThanOrEqual(1);
    expect(rk4.amplitudeRatio).toBeLessThan(1e-3);
    for (const f of ['perturbation-response.svg', 'perturbation-norm.svg', 'perturbation-poles.svg']) {
      expectWellFormedSvg(readFileSync(join(dir, 'figures', f), 'utf8'));
    }
  });
});

describe('teacher-student (tiny)', () => {
  let fullDir: string;

  it('writes config, per-teacher results, summary, figures and report', () => {
    const out = join(tmp, 'full');
    const r = sii(['teacher-student', ...TINY, '--workers', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SII wins \d+% of 3 teachers; sign test p = [\d.e-]+; Wilcoxon signed-rank p = [\d.e-]+/);
    fullDir = onlyRun(out, 'teacher-student-');
    const config = JSON.parse(readFileSync(join(fullDir, 'config.json'), 'utf8'));
    expect(config.command).toBe('teacher-student');
    expect(config.config.student).toMatchObject({
      setting: 'excl',
      hidden: 6,
      layers: 2,
      solver: 'midpoint',
      h: 0.1,
      lr: 1e-4,
      clip: 1,
      batch: 20,
      window: 10,
    });
    expect(config.seeds.teacherSeeds).toEqual(['0/teacher/0', '0/teacher/1', '0/teacher/2']);
    expect(config.versions['@sii/rk']).toMatch(/^\d+\.\d+\.\d+/);
    const lines = readFileSync(join(fullDir, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.teacher)).toEqual([0, 1, 2]);
    for (const l of lines) {
      expect(l.teacherPoles).toHaveLength(2);
      for (const init of ['sii', 'baseline']) {
        const run = l.runs[init];
        expect(run.valCurve).toHaveLength(2);
        expect(run.poles).toHaveLength(3); // epochs 0, 1, 2
        expect(run.poles[0]).toHaveLength(2); // n = 2 states
        expect(run.minValLoss).toBe(Math.min(...run.valCurve));
        expect(run.diverged).toBeNull();
      }
      // SII init: the student's poles at epoch 0 are sampled inside the midpoint region: |1 + z + z²/2| < 1
      for (const [re, im] of l.runs.sii.poles[0]) {
        const zr = 0.1 * re;
        const zi = 0.1 * im;
        const rr = 1 + zr + (zr * zr - zi * zi) / 2;
        const ri = zi + zr * zi;
        expect(Math.hypot(rr, ri)).toBeLessThan(1 + 1e-3);
      }
    }
    const results = JSON.parse(readFileSync(join(fullDir, 'results.json'), 'utf8'));
    expect(results.summary.completed).toBe(3);
    const sii0 = results.summary.inits.find((i: { init: string }) => i.init === 'sii');
    const mins = lines.map((l) => l.runs.sii.minValLoss).sort((a: number, b: number) => a - b);
    expect(sii0.medianMinValLoss).toBeCloseTo(mins[1], 12);
    expect(results.summary.comparison.pairs).toBe(3);
    const figures = ['min-val-loss-histogram.svg', 'learning-curves.svg', 'pole-trajectories.svg'];
    for (const f of figures) expectWellFormedSvg(readFileSync(join(fullDir, 'figures', f), 'utf8'));
    const html = readFileSync(join(fullDir, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(figures.length);
    for (const f of figures) expect(html).toContain(`figures/${f}`);
    expect(JSON.parse(readFileSync(join(fullDir, 'status.json'), 'utf8')).state).toBe('complete');
  });

  it('a run killed after one teacher resumes to the same results as an uninterrupted run', () => {
    expect(fullDir).toBeDefined();
    const out = join(tmp, 'resume');
    const killed = sii(['teacher-student', ...TINY, '--workers', '1', '--out', out, '--abort-after', '1']);
    expect(killed.signal).toBe('SIGKILL');
    const dir = onlyRun(out, 'teacher-student-');
    const written = readdirSync(join(dir, 'teachers')).filter((f) => f.endsWith('.json'));
    expect(written).toEqual(['teacher-0000.json']);
    expect(readdirSync(join(dir, 'teachers')).some((f) => f.includes('.tmp-'))).toBe(false);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
    const resumed = sii(['teacher-student', '--resume', dir, '--workers', '2', '--progress', 'plain']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('1 of 3 teachers already finished');
    expect(resumed.stderr).not.toContain('start teacher 0 ');
    expect(stableLines(dir)).toEqual(stableLines(fullDir));
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });

  it('resume ignores a stray teacher file and retrains a corrupt or failed teacher', () => {
    expect(fullDir).toBeDefined();
    const out = join(tmp, 'resume-damaged');
    const killed = sii(['teacher-student', ...TINY, '--workers', '1', '--out', out, '--abort-after', '1']);
    expect(killed.signal).toBe('SIGKILL');
    const dir = onlyRun(out, 'teacher-student-');
    const first = JSON.parse(readFileSync(join(dir, 'teachers', 'teacher-0000.json'), 'utf8'));
    // teacher 1 failed in an earlier invocation, teacher 2's file is cut short, teacher 99 is not in this sweep.
    const failed = {
      ...first,
      teacher: 1,
      runs: Object.fromEntries(Object.entries(first.runs).map(([k, v]) => [k, { ...(v as object), error: 'boom' }])),
    };
    writeFileSync(join(dir, 'teachers', 'teacher-0001.json'), JSON.stringify(failed));
    writeFileSync(join(dir, 'teachers', 'teacher-0002.json'), '{"teacher": 2, "runs": {');
    writeFileSync(join(dir, 'teachers', 'teacher-0099.json'), JSON.stringify({ ...first, teacher: 99 }));
    const resumed = sii(['teacher-student', '--resume', dir, '--workers', '1', '--progress', 'plain']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('ignoring teacher-0099.json');
    expect(resumed.stderr).toMatch(/teacher 1 failed before/);
    expect(resumed.stderr).toMatch(/teacher 2 will be trained again: .*teacher-0002\.json is not valid JSON/);
    expect(resumed.stderr).toContain('1 of 3 teachers already finished');
    expect(stableLines(dir)).toEqual(stableLines(fullDir));
  });
});
