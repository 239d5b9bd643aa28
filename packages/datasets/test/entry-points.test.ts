// The package's subpath exports: the universal entries (teacher, latent, systems) reach no Node
// builtin through their static or dynamic imports, following workspace packages into their sources;
// the Node-only entries (pixel, forecast) do, and carry the `node` export condition.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';

const PKG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES_DIR = resolve(PKG_DIR, '..');
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

type ExportEntry = string | Record<string, string>;
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { exports: Record<string, ExportEntry> };

/** Source file of a workspace package's export (its @sii/source condition), or null if not ours. */
function workspaceSource(spec: string): string | null {
  const m = /^@sii\/([^/]+)(\/.*)?$/.exec(spec);
  if (!m) return null;
  const dir = join(PACKAGES_DIR, m[1]);
  const entry = readJson(join(dir, 'package.json')).exports[m[2] ? `.${m[2]}` : '.'];
  if (entry === undefined || typeof entry === 'string') throw new Error(`no source export for ${spec}`);
  return join(dir, entry['@sii/source']);
}

/** Every Node builtin reached from `file` through value imports (type-only imports are erased). */
function builtinsReached(file: string, seen = new Set<string>(), found = new Set<string>()): Set<string> {
  if (seen.has(file)) return found;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]);
  for (const spec of specs) {
    if (BUILTINS.has(spec)) found.add(spec);
    else if (spec.startsWith('.')) builtinsReached(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), seen, found);
    else {
      const src = workspaceSource(spec);
      if (src) builtinsReached(src, seen, found);
    }
  }
  return found;
}

describe('subpath exports', () => {
  const exportsMap = readJson(join(PKG_DIR, 'package.json')).exports;
  const source = (sub: string) => {
    const entry = exportsMap[sub];
    if (entry === undefined || typeof entry === 'string') throw new Error(`missing export ${sub}`);
    return entry;
  };

  it.each(['./teacher', './latent', './systems'])('%s is universal: no node builtin in its import graph', (sub) => {
    const entry = source(sub);
    expect(entry.import).toBe(`./dist/${sub.slice(2)}/index.js`);
    expect([...builtinsReached(join(PKG_DIR, entry['@sii/source']))]).toEqual([]);
  });

  it.each(['./pixel', './forecast'])('%s is Node-only and says so with the node condition', (sub) => {
    const entry = source(sub);
    expect(entry.node).toBe(`./dist/${sub.slice(2)}/index.js`);
    expect(entry.import).toBeUndefined();
    expect(builtinsReached(join(PKG_DIR, entry['@sii/source'])).has('node:fs')).toBe(true);
  });

  it('the root export still offers every subpath export', async () => {
    for (const sub of ['teacher', 'latent', 'systems', 'pixel', 'forecast']) {
      const mod = (await import(`../src/${sub}/index.ts`)) as Record<string, unknown>;
      const names = Object.keys(mod);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect((root as Record<string, unknown>)[name], `${sub}: ${name}`).toBe(mod[name]);
    }
  });
});
