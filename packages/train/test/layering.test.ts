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

describe('layering', () => {
  it('@sii/neural-ode neither depends on nor imports @sii/train (no cycle)', () => {
    const pkg = JSON.parse(readFileSync(join(packages, 'neural-ode/package.json'), 'utf8'));
    expect(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies })).not.toContain('@sii/train');
    const files = [...sources(join(packages, 'neural-ode/src')), ...sources(join(packages, 'neural-ode/test'))];
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/['"]@sii\/train['"/]/);
  });

  it('@sii/train imports only tfjs-core, @sii/neural-ode, @sii/linalg and node builtins', () => {
    for (const f of sources(join(packages, 'train/src'))) {
      const specs = [...readFileSync(f, 'utf8').matchAll(/^import [^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
      for (const s of specs) expect(s, f).toMatch(/^(\.\/|node:|@tensorflow\/tfjs-core$|@sii\/neural-ode(\/internal)?$|@sii\/linalg$)/);
    }
  });
});
