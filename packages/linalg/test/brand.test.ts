// Brand checks: an Rng made by a second copy of @sii/linalg (a separate module instance, as with two
// pinned versions installed side by side) must pass `instanceof Rng` and isRng of this copy.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { brandClass, hasBrand, isRng, Rng, RNG_BRAND } from '../src/index.js';

const pkgDir = join(import.meta.dirname, '..');
// Inside the package so that the copy's own imports (ml-matrix) resolve as in an installed package.
const copyDir = join(pkgDir, '.brand-copy');

afterAll(() => rmSync(copyDir, { recursive: true, force: true }));

async function secondCopy(): Promise<typeof import('../src/index.js')> {
  rmSync(copyDir, { recursive: true, force: true });
  mkdirSync(copyDir, { recursive: true });
  cpSync(join(pkgDir, 'dist'), join(copyDir, 'dist'), { recursive: true });
  return import(/* @vite-ignore */ pathToFileURL(join(copyDir, 'dist', 'index.js')).href);
}

describe('Rng brand', () => {
  it('accepts an Rng from another copy of the package, with the same stream', async () => {
    const copy = await secondCopy();
    expect(copy.Rng).not.toBe(Rng); // really two classes
    const foreign = new copy.Rng(1);
    expect(foreign instanceof Rng).toBe(true);
    expect(isRng(foreign)).toBe(true);
    expect(copy.isRng(new Rng(1))).toBe(true);
    // Same seed, same numbers: the foreign Rng is a usable drop-in.
    const own = new Rng(1);
    for (let i = 0; i < 5; i++) expect(foreign.nextUint32()).toBe(own.nextUint32());
  });

  it('rejects objects without the brand', () => {
    for (const v of [undefined, null, 1, 'rng', {}, { next: () => 0 }, Object.create(null), []]) {
      expect(v instanceof Rng).toBe(false);
      expect(isRng(v)).toBe(false);
    }
    expect(RNG_BRAND).toBe('sii.Rng');
    expect(hasBrand(new Rng(3), 'sii.Rng')).toBe(true);
    expect(hasBrand(new Rng(3), 'sii.Other')).toBe(false);
  });

  it('keeps prototype-chain instanceof for subclasses', () => {
    class Base {}
    brandClass(Base, 'sii.test.Base');
    class Derived extends Base {}
    const fake = Object.create({ [Symbol.for('sii.test.Base')]: true });
    expect(fake instanceof Base).toBe(true); // brand check on the branded class
    expect(fake instanceof Derived).toBe(false); // ordinary check on the subclass
    expect(new Derived() instanceof Derived).toBe(true);
    expect(new Derived() instanceof Base).toBe(true);
    expect(new Base() instanceof Derived).toBe(false);
  });
});
