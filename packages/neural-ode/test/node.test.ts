import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import { run } from './fixtures/problem.mjs';
import { relErr } from './helpers/ref64.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));

describe('built package under plain node (no vitest module resolution)', () => {
  it('trains with gradients and matches the same run under vitest', async () => {
    // dist/ is (re)built by the shared vitest globalSetup (tooling/vitest-preset/build-workspace.js).
    expect(existsSync(`${pkgDir}dist/index.js`)).toBe(true);
    const out = execFileSync(process.execPath, ['test/fixtures/node-train.mjs'], { cwd: pkgDir, encoding: 'utf8' });
    const fromNode = JSON.parse(out.trim().split('\n').pop()!);
    const here = await run(lib, tf);
    expect(fromNode.info).toEqual({ backend: 'wasm', simd: true, threads: false });
    expect(here.info).toEqual(fromNode.info);
    expect(Math.abs(fromNode.firstLoss - here.firstLoss)).toBeLessThanOrEqual(1e-6 * here.firstLoss);
    expect(fromNode.firstGrads.length).toBe(4);
    fromNode.firstGrads.forEach((g: number[], i: number) => {
      expect(g.some((v) => v !== 0)).toBe(true);
      expect(relErr(g, here.firstGrads[i])).toBeLessThan(1e-5);
    });
    expect(fromNode.losses.length).toBe(5);
    fromNode.losses.forEach((l: number, i: number) => {
      expect(Math.abs(l - here.losses[i])).toBeLessThanOrEqual(1e-5 * here.losses[i]);
    });
    expect(fromNode.losses[4]).toBeLessThan(fromNode.losses[0]);
    expect(fromNode.tensorsAfter).toBe(fromNode.tensorsBefore);
  });
});

describe('worker threads under V8 flags', () => {
  it('startSimdThreads works when node runs with --expose-gc and --stack-size (refused in a worker execArgv)', () => {
    const script = `
      const lib = await import(${JSON.stringify(`${pkgDir}dist/index.js`)});
      await lib.initBackend();
      const n = await lib.startSimdThreads(2);
      await lib.stopSimdThreads();
      console.log(JSON.stringify({ n, gc: typeof globalThis.gc }));`;
    // Both as a script file and as --input-type=module -e (whose flag a worker refuses too).
    const file = `${pkgDir}test/fixtures/.v8-flags.mjs`;
    writeFileSync(file, script);
    let fromFile: string;
    try {
      fromFile = execFileSync(process.execPath, ['--expose-gc', '--stack-size=2000', file], { cwd: pkgDir, encoding: 'utf8' });
    } finally {
      rmSync(file, { force: true });
    }
    expect(JSON.parse(fromFile.trim().split('\n').pop()!)).toEqual({ n: 2, gc: 'function' });
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: pkgDir, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ n: 2, gc: 'function' });
  });
});

describe('SIMD kernel builds under plain node', () => {
  it('loads the relaxed-SIMD build (the package sets the V8 flag itself); SII_RELAXED_SIMD=0 keeps the plain one', () => {
    const script = `
      const lib = await import(${JSON.stringify(`${pkgDir}dist/internal.js`)});
      console.log(JSON.stringify({ variant: lib.simdKernelVariant(), relaxed: lib.relaxedSimdSupported() }));`;
    const probe = (env: Record<string, string>, flags: string[] = []) => {
      const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
        cwd: pkgDir,
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      return JSON.parse(out.trim().split('\n').pop()!);
    };
    expect(probe({ SII_RELAXED_SIMD: '' })).toEqual({ variant: 'relaxed', relaxed: true });
    expect(probe({ SII_RELAXED_SIMD: '' }, ['--experimental-wasm-relaxed-simd'])).toEqual({ variant: 'relaxed', relaxed: true });
    expect(probe({ SII_RELAXED_SIMD: '0' })).toEqual({ variant: 'plain', relaxed: false });
  });
});

describe('README', () => {
  it('the example runs under plain node and trains (loss decreases)', () => {
    const readme = readFileSync(`${pkgDir}README.md`, 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(2); // the first two blocks are the runnable example
    // the second block continues the first (same `field`); merge its import into the first
    const second = blocks[1].replace(/^import \{([^}]*)\} from '@sii\/neural-ode';\n/m, '');
    const names = /^import \{([^}]*)\} from '@sii\/neural-ode';/m.exec(blocks[1])![1];
    const first = blocks[0].replace(
      /import \{([^}]*)\} from '@sii\/neural-ode';/,
      (_m, a: string) => `import {${a}, ${names}} from '@sii/neural-ode';`,
    );
    const file = `${pkgDir}test/fixtures/.readme-example.mjs`;
    // The README example is TypeScript (examples/readme.ts, type-checked by tooling/release); strip the types.
    const compilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
    writeFileSync(file, ts.transpileModule(`${first}\n${second}`, { compilerOptions }).outputText);
    try {
      const out = execFileSync(process.execPath, [file], { cwd: pkgDir, encoding: 'utf8' });
      const losses = [...out.matchAll(/loss ([0-9.]+)/g)].map((m) => Number(m[1]));
      expect(losses.length).toBe(5);
      expect(losses[4]).toBeLessThan(losses[0]);
      expect(out).toMatch(/backend: 'wasm'/);
      expect(out).toMatch(/inside: \[ true, true \]/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
