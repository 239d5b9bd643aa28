import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mts|mjs|js)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

// What @sii/train itself may import is enforced with every other package by tooling/architecture.
describe('layering', () => {
  it('@sii/neural-ode neither depends on nor imports @sii/train (no cycle)', () => {
    const pkg = JSON.parse(readFileSync(join(packages, 'neural-ode/package.json'), 'utf8'));
    expect(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies })).not.toContain('@sii/train');
    const files = [...sources(join(packages, 'neural-ode/src')), ...sources(join(packages, 'neural-ode/test'))];
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/['"]@sii\/train['"/]/);
  });
});
