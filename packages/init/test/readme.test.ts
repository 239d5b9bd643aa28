// Runs the README example under plain node against the built dist/.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@sii/vitest-preset/readme';
import { describe, expect, it } from 'vitest';
import { absPoly, taylor } from './helpers.js';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
describe('README example (plain node, dist/)', () => {
  it('prints hλ of the four poles, all inside the midpoint region with the margin', () => {
    const { out } = runReadmeExample(pkgDir);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('all poles inside the midpoint region: true');
    const zs = lines.slice(0, 4).map((l) => {
      const m = /hλ = (-?\d+\.\d+) ([+-]) (\d+\.\d+)i\s+\|R\(hλ\)\| = (\d+\.\d+)\s+inside: true/.exec(l);
      if (m === null) throw new Error(`README output line not as documented: ${l}`);
      return { re: Number(m[1]), im: (m[2] === '-' ? -1 : 1) * Number(m[3]), absR: Number(m[4]) };
    });
    for (const z of zs) {
      expect(z.absR).toBeCloseTo(absPoly(taylor(2), z.re, z.im), 3);
      expect(z.absR).toBeLessThan(0.99 + 1e-4);
      expect(z.re).toBeGreaterThanOrEqual(-3);
      expect(z.re).toBeLessThanOrEqual(-0.1);
    }
    // two conjugate pairs (complex: true, n = 4)
    const ims = zs.map((z) => z.im).sort((a, b) => a - b);
    expect(ims[0]).toBeCloseTo(-ims[3], 4);
    expect(ims[1]).toBeCloseTo(-ims[2], 4);
  });
});
