import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@sii/vitest-preset/readme';
import { describe, expect, it } from 'vitest';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));

describe('README', () => {
  it('the example runs under plain node against the built package and learns', () => {
    // the first ```ts block is the runnable example
    const { out } = runReadmeExample(pkgDir, { asFile: true });
    const epochs = [...out.matchAll(/epoch (\d+): train ([0-9.]+), val ([0-9.]+), lr ([0-9.]+)/g)].map((m) => m.slice(1).map(Number));
    expect(epochs.length).toBe(8);
    // LinearLR 1 → 0.1 over 8 epochs from 1e-2: lr of epoch e = 0.01·(1 − 0.9·(e − 1)/8)
    epochs.forEach(([e, , , lr]) => {
      expect(lr).toBeCloseTo(0.01 * (1 - (0.9 * (e - 1)) / 8), 5);
    });
    const initial = Number(/initial val ([0-9.]+)/.exec(out)![1]);
    const best = Number(/best val ([0-9.]+)/.exec(out)![1]);
    expect(best).toBeLessThan(initial);
  });
});
