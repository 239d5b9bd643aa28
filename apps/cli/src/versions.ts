/** Versions of the CLI, its workspace packages, tfjs and Node, recorded in every run's config. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const PACKAGES = [
  '@sii/linalg',
  '@sii/rk',
  '@sii/mlp',
  '@sii/init',
  '@sii/neural-ode',
  '@sii/datasets',
  'commander',
  'vega',
  'vega-lite',
] as const;

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function collectVersions(): Record<string, string | null> {
  const out: Record<string, string | null> = { node: process.version, '@sii/cli': cliVersion() };
  for (const name of PACKAGES) out[name] = packageVersion(name);
  try {
    // tfjs-core is a dependency of @sii/neural-ode, resolved from there.
    const nodeRequire = createRequire(require.resolve('@sii/neural-ode/package.json'));
    out['@tensorflow/tfjs-core'] = (nodeRequire('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  } catch {
    out['@tensorflow/tfjs-core'] = null;
  }
  return out;
}
