// Vitest global setup: makes sure this package and the workspace packages it depends on have an up-to-date
// dist/ before the tests run, so tests that execute built entry points under plain `node` also work
// when a package is tested on its own (`pnpm --filter <pkg> test`). Under turbo the builds already ran
// and every check below is a cheap timestamp comparison.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function workspaceDeps(pkgDir) {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  const dirs = [];
  for (const [name, range] of Object.entries(deps)) {
    if (!String(range).startsWith('workspace:')) continue;
    const link = join(pkgDir, 'node_modules', ...name.split('/'));
    if (existsSync(link)) dirs.push(realpathSync(link));
  }
  return dirs;
}

/** Packages in dependency order (dependencies first), each once. */
function buildOrder(pkgDir, seen = new Set(), order = []) {
  if (seen.has(pkgDir)) return order;
  seen.add(pkgDir);
  for (const dep of workspaceDeps(pkgDir)) buildOrder(dep, seen, order);
  order.push(pkgDir);
  return order;
}

export default function setup() {
  const require = createRequire(import.meta.url);
  const tsc = require.resolve('typescript/bin/tsc');
  for (const dir of buildOrder(realpathSync(process.cwd()))) {
    if (!existsSync(join(dir, 'tsconfig.build.json'))) continue;
    const built = newestMtime(join(dir, 'dist'));
    const sources = Math.max(newestMtime(join(dir, 'src')), statSync(join(dir, 'package.json')).mtimeMs);
    if (built >= sources) continue;
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
  }
}
