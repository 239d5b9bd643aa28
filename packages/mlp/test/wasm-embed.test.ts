import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('the embedded float64 kernel', () => {
  it('is the compile of assembly/affine64.ts (scripts/build-wasm.mjs --check)', () => {
    const script = fileURLToPath(new URL('../scripts/build-wasm.mjs', import.meta.url));
    const out = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(out).toContain('matches assembly/affine64.ts');
  }, 120_000);
});
