import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { noUnnecessaryTypeAssertion } from '../no-unnecessary-type-assertion.mjs';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixture');

async function lint(fix: boolean) {
  const eslint = new ESLint({
    cwd: fixture,
    fix,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: fixture } },
        plugins: { sii: { rules: { 'no-unnecessary-type-assertion': noUnnecessaryTypeAssertion } } },
        rules: { 'sii/no-unnecessary-type-assertion': 'error' },
      },
    ],
  });
  const [result] = await eslint.lintFiles(['sample.ts']);
  return result!;
}

describe('sii/no-unnecessary-type-assertion', () => {
  it('reports the no-op assertions (also right of =) and keeps the ones that change a type', async () => {
    const result = await lint(false);
    expect(result.messages.map((m) => m.message).filter((m) => !m.startsWith('This assertion is unnecessary'))).toEqual([]);
    const lines = readFileSync(join(fixture, 'sample.ts'), 'utf8').split('\n');
    const flagged = result.messages.map((m) => lines[m.line - 1]!.slice(m.column - 1, m.endColumn! - 1));
    // a[0]! right of `=` (upstream skips it), a[1]! and xs[0]! (upstream), `s as number` (upstream);
    // not `maybe!` (narrows v), not m.get('k')! (may be missing), not `reshape([1]) as 2[]` (infers R)
    expect(flagged.sort()).toEqual(['a[0]!', 'a[1]!', 's as number', 'xs[0]!']);
  });

  it('fixes them by removing the `!` or the `as`', async () => {
    const { output } = await lint(true);
    expect(output).toContain('out[0] = a[0];');
    expect(output).toContain('const s = a[1] + xs[0];');
    expect(output).toContain('v = maybe!;');
    expect(output).toContain("const g = m.get('k')!;");
    expect(output).toContain('const r = reshape([1]) as 2[];');
    expect(output).toContain('const t = s;');
  });
});
