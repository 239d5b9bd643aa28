// Brand check: a ButcherTableau made by a second copy of @sii/rk (a separate module instance, as with two
// pinned versions side by side) is accepted by this copy's solvers.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ButcherTableau, getTableau, isButcherTableau, odeint, RkStepper } from '../src/index.js';

const pkgDir = join(import.meta.dirname, '..');
const copyDir = join(pkgDir, '.brand-copy');
afterAll(() => rmSync(copyDir, { recursive: true, force: true }));

describe('ButcherTableau brand', () => {
  it('solvers accept a tableau from another copy and give the same numbers', async () => {
    rmSync(copyDir, { recursive: true, force: true });
    mkdirSync(copyDir, { recursive: true });
    cpSync(join(pkgDir, 'dist'), join(copyDir, 'dist'), { recursive: true });
    const copy: typeof import('../src/index.js') = await import(/* @vite-ignore */ pathToFileURL(join(copyDir, 'dist', 'index.js')).href);
    expect(copy.ButcherTableau).not.toBe(ButcherTableau);
    const foreign = copy.getTableau('rk38');
    expect(foreign instanceof ButcherTableau).toBe(true);
    expect(isButcherTableau(foreign)).toBe(true);
    const f = (_t: number, y: ArrayLike<number>, dy: Float64Array) => {
      dy[0] = -y[0];
    };
    const a = odeint(f, [1], [0, 1], { method: foreign, step: 0.5 });
    const b = odeint(f, [1], [0, 1], { method: 'rk38', step: 0.5 });
    // One RK4-family step of y' = -y with h = 0.5 multiplies by R(-0.5) = 1 - 1/2 + 1/8 - 1/48 + 1/384.
    const r = 1 - 0.5 + 0.125 - 1 / 48 + 1 / 384;
    expect(a.y[1]).toBeCloseTo(r * r, 14);
    expect(a.y[1]).toBe(b.y[1]);
    expect(() => new RkStepper(foreign, 1)).not.toThrow();
  });

  it('rejects look-alike objects without the brand', () => {
    const { name, stages, order, a, b, c } = getTableau('rk4');
    const lookAlike = { name, stages, order, a, b, c };
    expect(isButcherTableau(lookAlike)).toBe(false);
    expect(() => odeint(() => {}, [1], [0, 1], { method: lookAlike as never, step: 0.1 })).toThrow(/ButcherTableau/);
  });
});
