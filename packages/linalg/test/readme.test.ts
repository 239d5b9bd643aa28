import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@sii/vitest-preset/readme';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README example', () => {
  it('runs under plain node against the built dist/ and prints the documented, theory-fixed values', () => {
    // '@sii/linalg' self-resolves through package.json "exports" (import condition → dist/index.js).
    const { code: block, out } = runReadmeExample(pkgDir);
    const lines = out.trim().split('\n');
    const s = Math.SQRT1_2.toFixed(6);
    const expected = [
      'first uint32: 660444221', // C reference value of xoshiro128** for seed 42
      'eigenvalues: -0.500000+0.250000i -0.500000-0.250000i -1.000000+2.000000i -1.000000-2.000000i',
      'roots of 1 + z²: 0.000000+1.000000i 0.000000-1.000000i',
      `roots of −i + z²: ${s}+${s}i -${s}-${s}i`,
      `cbrt(-8): 1.000000+${Math.sqrt(3).toFixed(6)}i`,
    ];
    expect(lines).toEqual(expected);
    // the outputs quoted in the README comments are the real ones
    for (const line of expected) expect(block).toContain(`// ${line}`.replace('// first uint32: ', '// '));
  });
});
