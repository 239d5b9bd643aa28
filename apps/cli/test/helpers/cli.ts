/**
 * Running the BUILT `sii` command under plain node from the end-to-end tests (the vitest run resolves
 * workspace packages to their sources; a built CLI does not, so both must work).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = join(appDir, 'dist', 'bin.js');

/** The workspace packages the CLI imports at run time. */
const DEPENDENCIES = ['linalg', 'rk', 'mlp', 'init', 'neural-ode', 'train', 'datasets'];
/** Entry points of the CLI's dist/ that the tests start (the command and its worker scripts). */
const ENTRIES = ['bin.js', 'train/worker.js', 'experiments/worker.js', 'commands/reproduce.js'];

/** Build the CLI (and its workspace dependencies) when a dist/ entry is missing. */
export function ensureBuilt(): void {
  const root = join(appDir, '..', '..');
  if (!DEPENDENCIES.every((p) => existsSync(join(root, 'packages', p, 'dist', 'index.js')))) {
    execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@sii/cli...', '--output-logs=errors-only'], {
      cwd: root,
      stdio: 'inherit',
    });
  } else if (!ENTRIES.every((e) => existsSync(join(appDir, 'dist', e)))) {
    execFileSync('pnpm', ['run', 'build'], { cwd: appDir, stdio: 'inherit' });
  }
}

/** Run `node dist/bin.js ...args` in `cwd`; exit code, signal and both streams. */
export function runCli(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
