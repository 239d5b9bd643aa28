import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README example', () => {
  it('runs under plain node against the built dist/ and prints the documented, theory-fixed values', () => {
    expect(existsSync(join(pkgDir, 'dist/index.js')), 'run `pnpm build` first').toBe(true);
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    // '@sii/linalg' self-resolves through package.json "exports" (import condition → dist/index.js).
    // The README example is TypeScript (examples/readme.ts, type-checked by tooling/release); strip the types.
    const js = ts.transpileModule(block!, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', js], { cwd: pkgDir, encoding: 'utf8' });
    const lines = out.trim().split('\n');
    const s = Math.SQRT1_2.toFixed(6);
    const expected = [
      'first uint32: 660444221', // C reference value of xoshiro128** for seed 42
      'eigenvalues: -0.500000+0.250000i -0.500000-0.250000i -1.000000+2.000000i -1.000000-2.000000i',
      'roots of 1 + z²: 0.000000+1.000000i 0.000000-1.000000i',
      `roots of −i + z²: ${s}+${s}i -${s}-${s}i`,
      `cbrt(-8): 1.000000+${Math.sqrt(3).toFixed(6)}i`,
    ];
    expect(lines).toEqual(expected);
    // the outputs quoted in the README comments are the real ones
    for (const line of expected) expect(block).toContain(`// ${line}`.replace('// first uint32: ', '// '));
  });
});
