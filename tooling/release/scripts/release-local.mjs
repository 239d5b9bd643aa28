#!/usr/bin/env node
// The release flow, end to end, against a local registry: copy the workspace (manifests, built dist/,
// changesets) to a temporary folder, run `changeset version` there (bumps the public packages and writes
// their CHANGELOG.md from the pending changesets; private apps and tooling are not versioned), then
// `changeset publish` into a Verdaccio registry on 127.0.0.1. The checkout itself is not modified.
// With no pending changeset (after a release was versioned in the checkout), `changeset version` changes
// nothing and the current versions are published.
//
//   pnpm release:local            builds, starts a registry, releases, prints the versions, stops it
//   node release-local.mjs --keep also keeps the temporary copy (its path is printed)
//
// `releaseLocal({ registry })` is the same flow for tests that already run a registry.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from './registry.mjs';

export const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(join(workspaceRoot, 'package.json'));

/** The publishable packages (packages/* and apps/*, not private): [{ name, dir, version }]. */
export function publicPackages(root = workspaceRoot) {
  const out = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group)).sort()) {
      const manifestPath = join(root, group, name, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (manifest.private) continue;
      out.push({ name: manifest.name, dir: join(root, group, name), version: manifest.version });
    }
  }
  return out;
}

/**
 * The pending release of `root`, planned by changesets itself (@changesets/get-release-plan, the planner
 * behind `changeset version`): { changesets: number of pending changesets, versions: Map name → new
 * version of every public package it bumps }. It runs in a plain node child process: under a test
 * runner's extra export conditions (`module`), Node would load the planner's ESM build, which does not
 * resolve its own imports.
 */
export function releasePlan(root = workspaceRoot) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--plan', root], { encoding: 'utf8' });
  const plan = JSON.parse(out);
  return { changesets: plan.changesets, versions: new Map(Object.entries(plan.versions)) };
}

async function printPlan(root) {
  const changesetsRequire = createRequire(require.resolve('@changesets/cli/package.json'));
  const mod = changesetsRequire('@changesets/get-release-plan');
  const plan = await (mod.default ?? mod)(root);
  const versions = Object.fromEntries(plan.releases.filter((r) => r.type !== 'none').map((r) => [r.name, r.newVersion]));
  process.stdout.write(`${JSON.stringify({ changesets: plan.changesets.length, versions })}\n`);
}

const SKIP = new Set(['node_modules', '.turbo', '.test-results', '.brand-copy', 'runs', 'coverage']);

/** Copies what `changeset version` and `pnpm publish` read: manifests, changesets, and each public package. */
function copyWorkspace(dest) {
  for (const file of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', '.npmrc', 'LICENSE']) {
    if (existsSync(join(workspaceRoot, file))) cpSync(join(workspaceRoot, file), join(dest, file));
  }
  cpSync(join(workspaceRoot, '.changeset'), join(dest, '.changeset'), { recursive: true });
  for (const group of ['packages', 'apps', 'tooling']) {
    for (const name of readdirSync(join(workspaceRoot, group))) {
      const src = join(workspaceRoot, group, name);
      if (!existsSync(join(src, 'package.json'))) continue;
      const manifest = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
      mkdirSync(join(dest, group, name), { recursive: true });
      if (manifest.private) {
        // Private workspaces only need their manifest (changesets reads them, never versions them).
        cpSync(join(src, 'package.json'), join(dest, group, name, 'package.json'));
        continue;
      }
      if (!existsSync(join(src, 'dist'))) {
        throw new Error(`release: ${group}/${name} has no dist/ — run \`pnpm build\` first`);
      }
      cpSync(src, join(dest, group, name), { recursive: true, filter: (p) => !SKIP.has(p.split('/').pop()) });
    }
  }
}

/** All workspaces of the copy: name → folder. */
function workspaceDirs(root) {
  const dirs = new Map();
  for (const group of ['packages', 'apps', 'tooling']) {
    for (const name of readdirSync(join(root, group))) {
      const manifestPath = join(root, group, name, 'package.json');
      if (existsSync(manifestPath)) dirs.set(JSON.parse(readFileSync(manifestPath, 'utf8')).name, join(root, group, name));
    }
  }
  return dirs;
}

/**
 * `pnpm publish` replaces `workspace:` ranges with the versions it reads from the linked packages in
 * node_modules; the copy has no install, so link each workspace dependency to its (versioned) folder.
 */
function linkWorkspaceDeps(root) {
  const dirs = workspaceDirs(root);
  for (const { dir } of publicPackages(root)) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [name, range] of Object.entries(manifest[field] ?? {})) {
        if (!String(range).startsWith('workspace:') || !dirs.has(name)) continue;
        const link = join(dir, 'node_modules', ...name.split('/'));
        if (existsSync(link)) continue;
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(dirs.get(name), link, 'dir');
      }
    }
  }
}

function run(cmd, args, cwd, env = {}) {
  return execFileSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env, CI: '1', npm_config_update_notifier: 'false' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Versions a copy of the workspace and publishes it to `registry` ({ url, npmrc() } from startRegistry).
 * Returns { dir, packages: [{ name, dir, version, tarball }], log }.
 */
export function releaseLocal({ registry, dir = mkdtempSync(join(tmpdir(), 'sii-release-')) }) {
  copyWorkspace(dir);
  // Every package of the copy publishes to the local registry; nothing else is contacted.
  const npmrc = join(dir, '.npmrc');
  const base = existsSync(npmrc) ? `${readFileSync(npmrc, 'utf8').trimEnd()}\n` : '';
  writeFileSync(npmrc, base + registry.npmrc({ all: true }));
  const changeset = join(dirname(require.resolve('@changesets/cli/package.json')), 'bin.js');
  let log = run(process.execPath, [changeset, 'version'], dir);
  linkWorkspaceDeps(dir);
  const env = { npm_config_registry: `${registry.url}/` };
  log += run(process.execPath, [changeset, 'publish', '--no-git-tag'], dir, env);
  const packages = publicPackages(dir).map((p) => ({
    ...p,
    tarball: `${registry.url}/${p.name}/-/${p.name.split('/')[1]}-${p.version}.tgz`,
  }));
  return { dir, packages, log };
}

async function main() {
  const keep = process.argv.includes('--keep');
  const registry = await startRegistry();
  try {
    console.log(`registry: ${registry.url} (storage ${registry.root})`);
    const plan = releasePlan();
    console.log(
      plan.versions.size > 0
        ? `${plan.changesets} pending changesets bump ${plan.versions.size} packages: versioning, then publishing`
        : 'no pending changeset bumps a public package: publishing the current versions',
    );
    const { dir, packages, log } = releaseLocal({ registry });
    process.stdout.write(log);
    for (const p of packages) {
      const meta = await (await fetch(`${registry.url}/${p.name.replace('/', '%2f')}`)).json();
      const published = meta.versions?.[p.version] !== undefined;
      console.log(`${published ? 'published' : 'MISSING  '} ${p.name}@${p.version}`);
      if (!published) process.exitCode = 1;
    }
    console.log(`CHANGELOGs: ${packages.map((p) => join(p.dir, 'CHANGELOG.md')).join(', ')}`);
    if (keep) console.log(`versioned copy kept at ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  } finally {
    await registry.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const planAt = process.argv.indexOf('--plan');
  (planAt >= 0 ? printPlan(process.argv[planAt + 1] ?? workspaceRoot) : main()).catch((e) => {
    console.error(e.stderr ? `${e.message}\n${e.stdout ?? ''}${e.stderr}` : e);
    process.exit(1);
  });
}
