/** Versions of the CLI, its workspace packages, tfjs and Node, recorded in every run's config. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Packages whose versions every run records (besides node, @sii/cli and the tfjs packages). */
export const RECORDED_PACKAGES = [
  '@sii/linalg',
  '@sii/rk',
  '@sii/mlp',
  '@sii/init',
  '@sii/neural-ode',
  '@sii/train',
  '@sii/datasets',
  'commander',
  'vega',
  'vega-lite',
] as const;

/** tfjs packages: the copies @sii/neural-ode loads (peer dependencies, resolved from its folder). */
export const TFJS_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'] as const;

/** This module's folder (symlinks resolved, as Node resolves imports from a module's real path). */
const here = dirname(realpathSync(fileURLToPath(import.meta.url)));

/**
 * The folder of package `name` as seen from folder `from`: node_modules/<name> there or in the nearest
 * parent that has it — Node's lookup for bare imports. It reads no `exports` map, so it also finds packages
 * that do not export ./package.json (commander, vega, vega-lite), from src/ (tests), dist/ (the built
 * command) and an installed tarball (npm's flat or nested node_modules, pnpm's .pnpm folders) alike.
 */
export function packageDir(name: string, from: string = here): string | null {
  for (let dir = from; ; ) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
      if (pkg.name === name) return realpathSync(dirname(manifest));
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The `version` of the package.json in `dir`, or null when there is none. */
function versionIn(dir: string | null): string | null {
  if (dir === null) return null;
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
  return typeof version === 'string' ? version : null;
}

export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** node, @sii/cli, every RECORDED_PACKAGES entry and the tfjs packages; null only when a package is not installed. */
export function collectVersions(): Record<string, string | null> {
  const out: Record<string, string | null> = { node: process.version, '@sii/cli': cliVersion() };
  for (const name of RECORDED_PACKAGES) out[name] = versionIn(packageDir(name));
  const neuralOde = packageDir('@sii/neural-ode');
  for (const name of TFJS_PACKAGES) out[name] = versionIn(neuralOde === null ? null : packageDir(name, neuralOde));
  return out;
}
