/** The built `sii pixel` under plain node: sCIFAR on both CIFAR formats' fixture, the data protocol in the report, flag errors. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appDir, bin } from './helpers/cli.js';

const cifarDir = join(appDir, '..', '..', 'packages', 'datasets', 'test', 'fixtures', 'pixel-cifar10');
const tmp = mkdtempSync(join(tmpdir(), 'sii-pixel-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sii(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sii pixel data protocol (built, plain node)', () => {
  it('sCIFAR trains with crop + flip by default and the report says so; --augment off says the deviation', () => {
    const common = [
      'pixel',
      '--dataset',
      'scifar',
      '--data',
      cifarDir,
      '--scale',
      'tiny',
      '--train-size',
      'all',
      '--test-size',
      'all',
      '--epochs',
      '1',
      '--init',
      'sii',
      '--workers',
      '0',
      '--progress',
      'off',
    ];
    for (const [out, extra, text, augment] of [
      ['on', [], 'training augmentation random crop 32 (padding 4) + horizontal flip (p 0.5)', true],
      ['off', ['--augment', 'off'], 'no training augmentation (deviation', false],
    ] as const) {
      const r = sii([...common, ...extra, '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const dir = join(tmp, out, readdirSync(join(tmp, out))[0]);
      expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).config).toMatchObject({
        dataset: 'scifar',
        augment,
        permutationSeed: 'run',
        trainSize: null,
        testSize: null,
      });
      expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain(text);
    }
  });

  it('flag errors name the flag and the value', () => {
    const a = sii(['pixel', '--dataset', 'smnist', '--augment', 'on', '--scale', 'tiny']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/--augment on applies to --dataset scifar only, got --dataset smnist/);
    const b = sii(['pixel', '--augment', 'yes']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--augment must be 'on' or 'off', got yes/);
    const c = sii(['pixel', '--permutation-seed', 'epoch']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--permutation-seed/);
  });
});
