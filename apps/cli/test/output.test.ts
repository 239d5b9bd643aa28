/**
 * `--json` and `--quiet` of every command that runs something, and the versions in the provenance
 * record, through the BUILT `sii` under plain node (child process), on tiny configurations.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDED_PACKAGES, TFJS_PACKAGES } from '../src/versions.js';
import { appDir, ensureBuilt, runCli } from './helpers/cli.js';

let tmp: string;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'sii-output-'));
}, 600_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const TINY_STUDENT = ['--setting', 'excl', '--teachers', '2', '--epochs', '2', '--samples', '30', '--hidden', '6', '--workers', '1'];

/** Every command that runs something, on a tiny configuration. */
const COMMANDS: [string, string[]][] = [
  ['stability', []],
  ['perturbation', []],
  ['teacher-student', TINY_STUDENT],
  [
    'implicit-regularization',
    ['--solvers', 'euler', '--students', '1', '--epochs', '2', '--trajectories', '1', '--samples', '12', '--hidden', '6', '--workers', '1'],
  ],
  ['quickstart', TINY_STUDENT],
  ['pixel', ['--scale', 'tiny', '--seeds', '1', '--epochs', '1', '--workers', '0']],
  ['latent', ['--scale', 'tiny', '--seeds', '1', '--epochs', '1', '--workers', '0']],
  ['forecast', ['--dataset', 'tanks', '--scale', 'tiny', '--seeds', '1', '--epochs', '1', '--workers', '0']],
  ['reproduce', ['--scale', 'tiny', '--only', 'perturbation', '--workers', '1']],
];

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe.each(COMMANDS)('sii %s', (command, args) => {
  let jsonResults: unknown;

  // no timing assertion: a tiny quickstart takes minutes on a loaded 2-core machine
  it('--json: stdout is exactly one JSON document, the run summary; the text summary goes to stderr', { timeout: 900_000 }, () => {
    const out = join(tmp, `${command}-json`);
    const r = runCli(tmp, [command, ...args, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.command).toBe(command);
    expect(doc.status).toBe('complete');
    expect(doc.dir.startsWith(realpathSync(out)) || doc.dir.startsWith(out)).toBe(true);
    expect(doc.report).toBe(join(doc.dir, 'report.html'));
    expect(existsSync(doc.report)).toBe(true);
    // what the run folder holds, read back independently
    expect(doc.results).toEqual(readJson(join(doc.dir, 'results.json')));
    expect(doc.versions).toEqual(readJson(join(doc.dir, 'config.json')).versions);
    expect(readJson(join(doc.dir, 'status.json')).state).toBe('complete');
    for (const f of doc.figures) expect(existsSync(join(doc.dir, f)), f).toBe(true);
    // the human summary still exists, on stderr
    expect(r.stderr).toContain(`report: ${doc.report}`);
    jsonResults = doc.results;
  });

  it('--quiet: nothing on stdout or stderr, same exit code and results', { timeout: 900_000 }, () => {
    const out = join(tmp, `${command}-quiet`);
    const r = runCli(tmp, [command, ...args, '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    const runs = readdirSync(out);
    expect(runs).toHaveLength(1);
    expect(readJson(join(out, runs[0], 'status.json')).state).toBe('complete');
    if (command === 'stability' || command === 'perturbation' || command === 'teacher-student') {
      // results.json holds only what the seed fixes: identical to the --json run's
      expect(readJson(join(out, runs[0], 'results.json'))).toEqual(jsonResults);
    }
  });
});

describe('--json and --quiet on failure', () => {
  it('a failing command prints its error on stderr, nothing on stdout, exit code 1', () => {
    for (const flag of ['--json', '--quiet']) {
      const r = runCli(tmp, ['stability', '--poles', join(tmp, 'nosuch-poles.txt'), '--out', join(tmp, 'bad'), flag]);
      expect(r.code, flag).toBe(1);
      expect(r.stdout, flag).toBe('');
      expect(r.stderr, flag).toMatch(/error: .*nosuch/);
    }
  });

  it('a usage error keeps exit code 2 and its message under --quiet', () => {
    const r = runCli(tmp, ['teacher-student', '--teachers', '0', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--teachers');
  });

  it('--json and --quiet are allowed with --resume (they do not change the stored configuration)', () => {
    const r = runCli(tmp, ['teacher-student', '--resume', join(tmp, 'no-such-run'), '--json', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a run folder');
    expect(r.stdout).toBe('');
  });

  it('--help lists both flags for every running command', { timeout: 300_000 }, () => {
    for (const [command] of COMMANDS) {
      const r = runCli(tmp, [command, '--help']);
      expect(r.stdout, command).toContain('--json');
      expect(r.stdout, command).toContain('--quiet');
    }
  });
});

describe('provenance: versions recorded by the built command', () => {
  it('equal the package.json of every installed package the command loads', () => {
    const r = runCli(tmp, ['stability', '--out', join(tmp, 'versions'), '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const { versions } = JSON.parse(r.stdout);
    // Independently: the folders pnpm linked for the app (direct dependencies) and for @sii/neural-ode (tfjs).
    const manifestVersion = (dir: string) => readJson(join(realpathSync(dir), 'package.json')).version as string;
    const expected: Record<string, string> = {
      node: process.version,
      '@sii/cli': readJson(join(appDir, 'package.json')).version,
    };
    for (const name of RECORDED_PACKAGES) expected[name] = manifestVersion(join(appDir, 'node_modules', name));
    const neuralOde = realpathSync(join(appDir, 'node_modules', '@sii', 'neural-ode'));
    for (const name of TFJS_PACKAGES) expected[name] = manifestVersion(join(neuralOde, 'node_modules', name));
    expect(versions).toEqual(expected);
    for (const [name, v] of Object.entries(versions)) expect(v, name).toMatch(/^v?\d+\.\d+\.\d+/);
    expect(versions.commander).toBe(readJson(join(appDir, 'node_modules', 'commander', 'package.json')).version);
  });
});
