import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkImports, importsOf, PACKAGE_MAP, packageOf } from '../index.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('package map', () => {
  it('every package imports only what the map allows and its package.json declares', () => {
    expect(checkImports(root)).toEqual([]);
  });

  it('no package lists an app or itself', () => {
    for (const [name, rule] of Object.entries(PACKAGE_MAP)) {
      expect(rule.imports).not.toContain(name);
      for (const dep of rule.imports) expect(dep).not.toMatch(/^@sii\/(cli|bench)$|^web$/);
    }
  });

  it('catches a forbidden import (rk importing tfjs), an undeclared one, and node built-ins in a universal package', () => {
    const fake = mkdtempSync(join(tmpdir(), 'sii-arch-'));
    const put = (path: string, text: string) => {
      mkdirSync(dirname(join(fake, path)), { recursive: true });
      writeFileSync(join(fake, path), text);
    };
    put('packages/rk/package.json', JSON.stringify({ dependencies: { '@sii/linalg': 'workspace:^' } }));
    put('packages/rk/src/a.ts', "import * as tf from '@tensorflow/tfjs-core';\nimport { Rng } from '@sii/linalg';\n");
    put('packages/rk/src/b.ts', "export async function f() { return import('node:fs'); }\n");
    put('packages/init/package.json', JSON.stringify({ dependencies: {} }));
    put('packages/init/src/c.ts', "export { x } from '@sii/mlp';\n");
    const map = { '@sii/rk': PACKAGE_MAP['@sii/rk'], '@sii/init': PACKAGE_MAP['@sii/init'] };
    expect(checkImports(fake, map)).toEqual([
      'packages/rk/src/a.ts: @sii/rk may not import @tensorflow/tfjs-core (allowed: @sii/linalg)',
      'packages/rk/src/b.ts: @sii/rk is universal and may not import node:fs',
      'packages/init/src/c.ts: @sii/init imports @sii/mlp but its package.json does not declare it',
    ]);
  });

  it('reads static, type-only, re-export and dynamic imports', () => {
    const text =
      "import a from 'x';\nimport type { B } from '@s/y/sub';\nexport * from './z.js';\nconst m = await import('w');\nimport 'side';\n";
    expect(importsOf(text)).toEqual(['x', '@s/y/sub', './z.js', 'w', 'side']);
    expect(['@s/y/sub', 'x/deep/file.js', 'plain'].map(packageOf)).toEqual(['@s/y', 'x', 'plain']);
  });
});
