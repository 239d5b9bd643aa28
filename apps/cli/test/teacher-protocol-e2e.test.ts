/** The built `sii teacher-student` under plain node names the loss target and the arm pairing that ran. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'sii-ts-protocol-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sii(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const TINY = [
  'teacher-student',
  '--setting',
  'excl',
  '--teachers',
  '1',
  '--epochs',
  '1',
  '--samples',
  '30',
  '--hidden',
  '6',
  '--progress',
  'off',
  '--workers',
  '1',
];

describe('sii teacher-student --target / --pairing (built, plain node)', () => {
  it('records and reports which target and pairing ran', () => {
    for (const [name, extra, target, pairing, words] of [
      ['defaults', [], 'aligned', 'paired', ["Target 'aligned'", "Pairing 'paired'"]],
      [
        'authors',
        ['--target', 'authors', '--pairing', 'authors'],
        'authors',
        'authors',
        ["Target 'authors' (the paper's code)", "Pairing 'authors'", 'unpaired arms'],
      ],
    ] as const) {
      const out = join(tmp, name);
      const r = sii([...TINY, ...extra, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const dir = join(out, readdirSync(out)[0]);
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      expect(results.summary).toMatchObject({ target, pairing });
      expect(results.config.student).toMatchObject({ target, pairing });
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      for (const w of words) expect(html).toContain(w);
      const teacher = JSON.parse(readFileSync(join(dir, 'teachers', readdirSync(join(dir, 'teachers'))[0]), 'utf8'));
      expect(teacher.armTeacherPoles === undefined).toBe(pairing === 'paired');
    }
  });

  it('rejects unknown values naming the flag', () => {
    const a = sii(['teacher-student', '--target', 'shifted']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--target/);
    const b = sii(['teacher-student', '--pairing', 'none']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--pairing/);
  });
});
