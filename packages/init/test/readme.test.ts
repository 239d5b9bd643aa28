// Runs the README example under plain node against the built dist/ (the vitest preset's global setup
// builds dist/ when it is missing or stale).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { absPoly, taylor } from './helpers.js';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
describe('README example (plain node, dist/)', () => {
  it('prints hλ of the four poles, all inside the midpoint region with the margin', () => {
    expect(existsSync(join(pkgDir, 'dist', 'index.js'))).toBe(true);
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    // The README example is TypeScript (examples/readme.ts, type-checked by tooling/release); strip the types.
    const js = ts.transpileModule(code!, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', js], { cwd: pkgDir, encoding: 'utf8' });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('all poles inside the midpoint region: true');
    const zs = lines.slice(0, 4).map((l) => {
      const m = /hλ = (-?\d+\.\d+) ([+-]) (\d+\.\d+)i\s+\|R\(hλ\)\| = (\d+\.\d+)\s+inside: true/.exec(l);
      expect(m, l).not.toBeNull();
      return { re: Number(m![1]), im: (m![2] === '-' ? -1 : 1) * Number(m![3]), absR: Number(m![4]) };
    });
    for (const z of zs) {
      expect(z.absR).toBeCloseTo(absPoly(taylor(2), z.re, z.im), 3);
      expect(z.absR).toBeLessThan(0.99 + 1e-4);
      expect(z.re).toBeGreaterThanOrEqual(-3);
      expect(z.re).toBeLessThanOrEqual(-0.1);
    }
    // two conjugate pairs (complex: true, n = 4)
    const ims = zs.map((z) => z.im).sort((a, b) => a - b);
    expect(ims[0]).toBeCloseTo(-ims[3], 4);
    expect(ims[1]).toBeCloseTo(-ims[2], 4);
  });
});
