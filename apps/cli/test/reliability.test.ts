import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInteger } from '../src/cli.js';
import { LIMITS } from '../src/limits.js';
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

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const TINY = ['--setting', 'excl', '--teachers', '3', '--epochs', '2', '--samples', '30', '--hidden', '6', '--progress', 'plain'];
const FORECAST = ['forecast', '--dataset', 'duffing', '--scale', 'tiny', '--progress', 'off'];

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'sii-cli-rel-'));
}, 600_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('size limits', () => {
  it('parseInteger accepts the limit itself and refuses one more, naming the limit', () => {
    const p = parseInteger(1, LIMITS.teachers);
    expect(p('100000')).toBe(100_000);
    expect(() => p('100001')).toThrow('100001 exceeds the limit of 100000');
    expect(() => p('0')).toThrow('expected an integer >= 1 and <= 100000');
  });

  it.each([
    [['teacher-student', '--teachers', '200000000'], '--teachers', 'limit of 100000'],
    [['teacher-student', '--hidden', '100000'], '--hidden', 'limit of 4096'],
    [['teacher-student', '--samples', '100000000'], '--samples', 'limit of 1000000'],
    [['teacher-student', '--epochs', '1000000'], '--epochs', 'limit of 100000'],
    [['quickstart', '--teachers', '100001'], '--teachers', 'limit of 100000'],
    [['perturbation', '--steps', '100000000'], '--steps', 'limit of 1000000'],
    [['implicit-regularization', '--hidden', '5000'], '--hidden', 'limit of 4096'],
    [['implicit-regularization', '--samples', '1000001'], '--samples', 'limit of 1000000'],
    [['forecast', '--hidden', '100000'], '--hidden', 'limit of 4096'],
    [['pixel', '--seeds', '20000'], '--seeds', 'limit of 10000'],
    [['latent', '--batch', '200000'], '--batch', 'limit of 100000'],
    [['latent', '--frame-size', '512'], '--frame-size', 'limit of 256'],
    [['pixel', '--train-size', '2000000'], '--train-size', 'limit of 1000000'],
    [['forecast', '--max-train-windows', '2000000'], '--max-train-windows', 'limit of 1000000'],
  ])('%j is a usage error naming %s and its %s, before any run folder exists', (args, flag, limit) => {
    const out = join(tmp, `limits-${flag}-${args[0]}`);
    const r = sii([...args, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toContain(limit);
    expect(existsSync(out)).toBe(false);
  });
});

describe('--pixels-per-step that does not divide the sequence length (found by fuzzing)', () => {
  it.each([
    ['smnist', '3', 784],
    ['scifar', '28', 1024],
  ])(
    '--dataset %s --pixels-per-step %s names the flag, the value and the length %i, before any run folder exists',
    (dataset, k, length) => {
      const out = join(tmp, `pixels-per-step-${dataset}`);
      const r = sii(['pixel', '--scale', 'tiny', '--dataset', dataset, '--data', tmp, '--pixels-per-step', k, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`--pixels-per-step must divide the sequence length ${length} of --dataset ${dataset}, got ${k}`);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(out)).toBe(false);
    },
  );
});

describe('flags validated before any worker starts (exit 2)', () => {
  it.each([
    [['teacher-student', '--activation', 'nonexistent'], '--activation', 'elu'],
    [['teacher-student', '--solver', 'nosuch'], '--solver', 'rk4'],
    [['quickstart', '--activation', 'nonexistent'], '--activation', 'elu'],
    [['implicit-regularization', '--solvers', 'euler,nonexistent'], '--solvers', 'midpoint'],
  ])('%j names %s and lists the known values', (args, flag, known) => {
    const out = join(tmp, `names-${args[0]}-${flag}`);
    const r = sii([...args, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toContain(args[2]);
    expect(r.stderr).toContain(known);
    expect(existsSync(out)).toBe(false);
  });
});

describe('runs where nothing succeeded exit 1 naming the data', () => {
  it('pixel with an empty --data folder: every arm fails, exit 1, the message names the folder, status failed', () => {
    const data = join(tmp, 'empty-data');
    mkdirSync(data);
    const out = join(tmp, 'pixel-empty');
    const r = sii([
      'pixel',
      '--dataset',
      'fashion',
      '--data',
      data,
      '--scale',
      'tiny',
      '--workers',
      '1',
      '--progress',
      'off',
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no run succeeded: all 2 arms failed');
    expect(r.stderr).toContain(data);
    expect(r.stdout).not.toContain('SII better');
    const dir = onlyRun(out, 'pixel-');
    expect(JSON.parse(read(dir, 'status.json')).state).toBe('failed');
  });

  it('forecast with a bad --data file and --fail-fast: stops after the first failed arm, exit 1 naming the file', () => {
    const data = join(tmp, 'bad-air.csv');
    writeFileSync(data, 'garbage;x\n1;2\n');
    const out = join(tmp, 'forecast-bad');
    const r = sii([
      'forecast',
      '--dataset',
      'airquality',
      '--data',
      data,
      '--scale',
      'tiny',
      '--workers',
      '1',
      '--progress',
      'off',
      '--fail-fast',
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--fail-fast');
    expect(r.stderr).toContain(data);
    const dir = onlyRun(out, 'forecast-');
    // tiny: 1 seed × 2 inits; one worker, so the second arm never started
    expect(readdirSync(join(dir, 'arms')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
    expect(JSON.parse(read(dir, 'status.json')).state).toBe('failed');
  });
});

describe('run-folder errors name the file', () => {
  it.each([
    ['empty', '', 'config.json is empty'],
    ['truncated', '{"command": "teacher-st', 'config.json is not valid JSON'],
    ['an empty object', '{}', "config.json is not a usable run record: no 'command'"],
    ['no config', '{"command": "teacher-student"}', "config.json is not a usable run record: no 'config' object"],
    [
      'a config without teachers',
      '{"command": "teacher-student", "config": {"inits": ["sii"]}}',
      'config.json is not a usable run record: config.teachers is undefined',
    ],
  ])('--resume of a folder whose config.json is %s', (name, text, message) => {
    const dir = join(tmp, `cfg-${name.replace(/\W/g, '-')}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), text);
    const r = sii(['teacher-student', '--resume', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir, message.split(' ')[0]));
    expect(r.stderr).toContain(message);
  });

  it('--out naming a file, or a path under a file, is an error naming the path', () => {
    const file = join(tmp, 'not-a-dir');
    writeFileSync(file, 'x');
    const a = sii(['stability', '--out', file]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain(`cannot create a run folder under ${file} (--out): ${file} is not a directory`);
    const b = sii(['stability', '--out', join(file, 'sub')]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`cannot create a run folder under ${join(file, 'sub')} (--out)`);
    expect(b.stderr).toContain('ENOTDIR');
  });
});

describe('results.json is byte-identical for the same seed', () => {
  it('teacher-student: --workers 1, --workers 2, and killed after one teacher then resumed (with a corrupt status.json)', () => {
    const runs = ['1', '2'].map((w) => {
      const out = join(tmp, `det-ts-${w}`);
      const r = sii(['teacher-student', ...TINY, '--workers', w, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      return onlyRun(out, 'teacher-student-');
    });
    const [one, two] = runs as [string, string];
    const results = read(one, 'results.json');
    expect(read(two, 'results.json')).toBe(results);
    expect(results).not.toMatch(/wallMs|elapsedMs|startedAt|argv/);
    // the times moved to timings.json and the report still shows them
    const timings = JSON.parse(read(two, 'timings.json'));
    expect(timings.elapsedMs).toBeGreaterThan(0);
    expect(timings.teachers.map((t: { teacher: number }) => t.teacher)).toEqual([0, 1, 2]);
    expect(Object.keys(timings.meanWallMs)).toEqual(['sii', 'baseline']);
    expect(read(two, 'report.html')).toContain('mean wall s');

    const out = join(tmp, 'det-ts-resume');
    const killed = sii(['teacher-student', ...TINY, '--workers', '1', '--out', out, '--abort-after', '1']);
    expect(killed.signal).toBe('SIGKILL');
    const dir = onlyRun(out, 'teacher-student-');
    writeFileSync(join(dir, 'status.json'), '{"state": "runn');
    const resumed = sii(['teacher-student', '--resume', dir, '--workers', '2', '--progress', 'plain']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('ignoring status.json');
    expect(resumed.stderr).toContain(join(dir, 'status.json'));
    expect(read(dir, 'results.json')).toBe(results);
    expect(JSON.parse(read(dir, 'status.json')).state).toBe('complete');
  });

  it('forecast (duffing, tiny): --workers 1 and --workers 2, and a resume that retrains a corrupt arm', () => {
    const runs = ['1', '2'].map((w) => {
      const out = join(tmp, `det-fc-${w}`);
      const r = sii([...FORECAST, '--workers', w, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      return onlyRun(out, 'forecast-');
    });
    const [one, two] = runs as [string, string];
    const results = read(one, 'results.json');
    expect(read(two, 'results.json')).toBe(results);
    expect(results).not.toMatch(/wallMs|elapsedMs|wall s/);
    const timings = JSON.parse(read(one, 'timings.json'));
    expect(timings.arms).toHaveLength(2);
    expect(read(one, 'report.html')).toContain('wall s / arm');

    // a copy with one arm cut short, one stray arm and no report: resume retrains the arm, ignores the stray
    const copy = join(tmp, 'det-fc-resume');
    cpSync(two, copy, { recursive: true });
    rmSync(join(copy, 'report.html'));
    rmSync(join(copy, 'results.json'));
    writeFileSync(join(copy, 'arms', 'run-000-sii.json'), '{"run": 0, "init": "sii", "met');
    writeFileSync(join(copy, 'arms', 'run-007-sii.json'), read(join(two, 'arms'), 'run-000-sii.json').replace('"run": 0', '"run": 7'));
    const resumed = sii(['forecast', '--resume', copy, '--workers', '1', '--progress', 'plain']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/run 0 sii will be trained again: .*run-000-sii\.json is not valid JSON/);
    expect(resumed.stderr).toContain('ignoring arms/run-007-sii.json');
    expect(resumed.stderr).toContain('1 of 2 arms already finished');
    expect(read(copy, 'results.json')).toBe(results);
  });
});
