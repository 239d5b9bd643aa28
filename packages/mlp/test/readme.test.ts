// Runs the README example under plain node against the built dist/ (the vitest preset's global setup
// builds dist/ when it is missing or stale).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README example (plain node, dist/)', () => {
  it('prints the hand-counted parameters, the SiLU slopes and a Jacobian that matches finite differences', () => {
    expect(existsSync(join(pkgDir, 'dist', 'index.js'))).toBe(true);
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    const printed = /prints\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    expect(printed).toBeDefined();
    // The README example is TypeScript (examples/readme.ts, type-checked by tooling/release); strip the types.
    const js = ts.transpileModule(code!, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', js], { cwd: pkgDir, encoding: 'utf8' });
    expect(out).toBe(printed);
    expect(out.split('\n')[0]).toBe(`parameters: ${(3 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 2}`);
  });
});
