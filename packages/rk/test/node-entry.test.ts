import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

// The README example runs against the built dist/ under plain node (the vitest preset's global setup
// builds dist/ when it is missing or stale).
describe('built entry under plain node', () => {
  it('runs examples/quickstart.ts (types stripped)', () => {
    expect(existsSync(join(pkg, 'dist', 'index.js'))).toBe(true);
    const source = readFileSync(join(pkg, 'examples', 'quickstart.ts'), 'utf8');
    const compilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
    const js = ts.transpileModule(source, { compilerOptions }).outputText;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', js], { cwd: pkg, encoding: 'utf8' });
    expect(out).toContain('RK4 real interval 2.7852935634');
    expect(out).toMatch(/rk4\s+4\s+4\s+2\.785293563\s+2\.828427125/);
    const y2 = Number(/dopri5 y\(2\) = ([\d.]+)/.exec(out)?.[1]);
    expect(Math.abs(y2 - 0.2)).toBeLessThan(1e-7);
  });
});
