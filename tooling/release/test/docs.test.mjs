// README examples as TypeScript (strict, type-checked against the built packages) and the TypeDoc API
// reference. No registry needed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicPackages, workspaceRoot } from '../scripts/release-local.mjs';

const require = createRequire(import.meta.url);
const here = join(workspaceRoot, 'tooling', 'release');

describe('README examples', () => {
  it('type-check under strict NodeNext (packages/*/examples/*.ts)', () => {
    const tsc = require.resolve('typescript/bin/tsc');
    const run = () => execFileSync(process.execPath, [tsc, '-p', 'tsconfig.examples.json'], { cwd: here, encoding: 'utf8', stdio: 'pipe' });
    expect(run).not.toThrow();
  });

  it('every ```ts block of a README that imports the package is part of one of its examples/*.ts files', () => {
    let checked = 0;
    for (const { name, dir } of publicPackages()) {
      const examplesDir = join(dir, 'examples');
      const examples = existsSync(examplesDir)
        ? readdirSync(examplesDir)
            .filter((f) => f.endsWith('.ts'))
            .map((f) => readFileSync(join(examplesDir, f), 'utf8'))
        : [];
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      for (const [, block] of readme.matchAll(/```ts\n([\s\S]*?)```/g)) {
        if (!block.includes(`from '${name}`)) continue; // signatures, not examples
        expect(
          examples.some((e) => e.includes(block)),
          `${name}: README block not in examples/*.ts:\n${block}`,
        ).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4); // rk, init, neural-ode (2 blocks) at least
  });

  // The other packages' own README tests run their examples (types stripped) and check the printed values.
  it('the examples without a package test of their own run under plain node (types stripped)', () => {
    const ts = require('typescript');
    const compilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
    const runs = { 'packages/datasets': ['readme.ts', 'subpaths.ts'], 'apps/cli': ['readme.ts'] };
    const outputs = {};
    for (const [dir, files] of Object.entries(runs)) {
      for (const file of files) {
        const source = readFileSync(join(workspaceRoot, dir, 'examples', file), 'utf8');
        const js = ts.transpileModule(source, { compilerOptions }).outputText;
        // Run from the package folder: its own name self-resolves through "exports" to dist/.
        outputs[`${dir}/${file}`] = execFileSync(process.execPath, ['--input-type=module', '-e', js], {
          cwd: join(workspaceRoot, dir),
          encoding: 'utf8',
        });
      }
    }
    // The values the README quotes in its comments.
    expect(outputs['packages/datasets/readme.ts']).toContain('[ 2000, 784, 1 ] [ 1000, 784, 1 ]');
    expect(outputs['packages/datasets/readme.ts']).toContain('[ 464, 784, 1 ] 464');
    expect(outputs['packages/datasets/readme.ts']).toContain('{ samples: 16, steps: 50, inputDim: 1, targetDim: 1 }');
  });

  it('no README example is left in JavaScript', () => {
    for (const { name, dir } of publicPackages()) {
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      const js = [...readme.matchAll(/```(?:js|javascript|mjs)\n([\s\S]*?)```/g)].filter(([, b]) => b.includes(`from '${name}`));
      expect(js.length, `${name} README has JavaScript examples`).toBe(0);
    }
  });
});

describe('API reference', () => {
  it('TypeDoc builds a page per package (pnpm run docs writes docs/api/)', () => {
    const out = mkdtempSync(join(tmpdir(), 'sii-docs-'));
    try {
      const typedoc = join(require.resolve('typedoc/package.json', { paths: [workspaceRoot] }), '..', 'bin', 'typedoc');
      execFileSync(process.execPath, [typedoc, '--out', out, '--logLevel', 'Error'], { cwd: workspaceRoot, stdio: 'pipe' });
      const modules = readdirSync(join(out, 'modules')).sort();
      expect(modules).toEqual(
        publicPackages()
          .filter((p) => p.dir.includes('/packages/'))
          .map((p) => `${p.name.replace('@', '_').replace('/', '_')}.html`)
          .sort(),
      );
      expect(readFileSync(join(out, 'modules', '_sii_rk.html'), 'utf8')).toContain('odeint');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
