// Runs the README example under plain node against the built dist/.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@sii/vitest-preset/readme';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README example (plain node, dist/)', () => {
  it('prints the hand-counted parameters, the SiLU slopes and a Jacobian that matches finite differences', () => {
    const { readme, out } = runReadmeExample(pkgDir);
    const printed = /prints\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(printed).toBeDefined();
    expect(out).toBe(printed);
    expect(out.split('\n')[0]).toBe(`parameters: ${(3 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 2}`);
  });
});
