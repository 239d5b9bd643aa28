import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));

describe('README', () => {
  it('the example runs under plain node against the built package and learns', () => {
    const readme = readFileSync(`${pkgDir}README.md`, 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(1); // the first block is the runnable example
    const file = `${pkgDir}test/.readme-example.mjs`;
    // The README example is TypeScript (examples/readme.ts, type-checked by tooling/release); strip the types.
    const js = ts.transpileModule(blocks[0]!, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(file, js);
    try {
      const out = execFileSync(process.execPath, [file], { cwd: pkgDir, encoding: 'utf8' });
      const epochs = [...out.matchAll(/epoch (\d+): train ([0-9.]+), val ([0-9.]+), lr ([0-9.]+)/g)].map((m) => m.slice(1).map(Number));
      expect(epochs.length).toBe(8);
      // LinearLR 1 → 0.1 over 8 epochs from 1e-2: lr of epoch e = 0.01·(1 − 0.9·(e − 1)/8)
      epochs.forEach(([e, , , lr]) => {
        expect(lr).toBeCloseTo(0.01 * (1 - (0.9 * (e! - 1)) / 8), 5);
      });
      const initial = Number(/initial val ([0-9.]+)/.exec(out)![1]);
      const best = Number(/best val ([0-9.]+)/.exec(out)![1]);
      expect(best).toBeLessThan(initial);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
