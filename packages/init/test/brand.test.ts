// siiInit accepts an Rng from a second copy of @sii/linalg (two pinned versions side by side): the check is
// a brand (Symbol.for('sii.Rng')), not `instanceof` against this copy's class.
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rng } from '@sii/linalg';
import { afterAll, describe, expect, it } from 'vitest';
import { siiInit } from '../src/index.js';

const pkgDir = join(import.meta.dirname, '..');
const copyDir = join(pkgDir, '.brand-copy');
afterAll(() => rmSync(copyDir, { recursive: true, force: true }));

describe('siiInit with an Rng from another copy of @sii/linalg', () => {
  it('is accepted and draws the same weights as this copy with the same seed', async () => {
    const linalgDir = dirname(createRequire(join(pkgDir, 'package.json')).resolve('@sii/linalg/package.json'));
    rmSync(copyDir, { recursive: true, force: true });
    mkdirSync(copyDir, { recursive: true });
    cpSync(join(linalgDir, 'dist'), join(copyDir, 'dist'), { recursive: true });
    // The copy's own import of ml-matrix resolves through the original package's node_modules.
    symlinkSync(join(linalgDir, 'node_modules'), join(copyDir, 'node_modules'), 'dir');
    const copy: typeof import('@sii/linalg') = await import(/* @vite-ignore */ pathToFileURL(join(copyDir, 'dist', 'index.js')).href);
    expect(copy.Rng).not.toBe(Rng);
    const spec = { states: 2, inputs: 1, hidden: 8, layers: 3, activation: 'elu' as const };
    const foreign = siiInit({ ...spec, solver: 'midpoint', h: 0.1, rng: new copy.Rng(7) });
    const own = siiInit({ ...spec, solver: 'midpoint', h: 0.1, rng: new Rng(7) });
    expect(foreign.weights.length).toBe(3);
    expect(foreign.weights.map((w) => Array.from(w.data))).toEqual(own.weights.map((w) => Array.from(w.data)));
    expect(foreign.biases.map((b) => Array.from(b))).toEqual(own.biases.map((b) => Array.from(b)));
    expect(foreign.poles).toEqual(own.poles);
  });

  it('still rejects an object that is not an Rng, naming the argument', () => {
    const spec = { states: 2, inputs: 1, hidden: 8, layers: 3, activation: 'elu' as const };
    expect(() => siiInit({ ...spec, solver: 'midpoint', h: 0.1, rng: { nextUint32: () => 1 } as never })).toThrow(
      /rng must be an Rng from @sii\/linalg/,
    );
  });
});
