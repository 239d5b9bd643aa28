// Consumer projects: a fresh folder outside the workspace that installs released packages with npm from the
// local registry (only @sii/* comes from it; everything else from the user's usual registry or npm cache),
// type-checks TypeScript against the installed tarballs, and runs scripts under plain node.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

/**
 * The environment of a consumer: nothing inherited from the pnpm run that started the tests — no npm_*
 * settings, and no NODE_PATH (pnpm points it at the workspace's store, which would let a consumer resolve
 * packages it never installed) or NODE_OPTIONS.
 */
function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_PATH' || k === 'NODE_OPTIONS') continue;
    if (k.startsWith('npm_') && k !== 'npm_config_cache' && k !== 'npm_config_registry') continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

export function exec(cmd, args, cwd, { env } = {}) {
  try {
    return execFileSync(cmd, args, { cwd, env: env ?? cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** npm's CLI next to this node (Debian and nvm layouts), else `npm` on PATH. */
function npmCommand() {
  const cli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return existsSync(cli) ? [process.execPath, [cli]] : ['npm', []];
}

/**
 * A fresh project in the OS temp folder: package.json ("type": "module"), an .npmrc that takes @sii/* from
 * `registry`, then `npm install --save-exact` of `specs` (e.g. '@sii/rk@0.2.0').
 */
export function createConsumer(name, registry, specs) {
  const dir = mkdtempSync(join(tmpdir(), `sii-consumer-${name}-`));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(join(dir, '.npmrc'), registry.npmrc());
  const [cmd, pre] = npmCommand();
  exec(cmd, [...pre, 'install', '--save-exact', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs], dir);
  return dir;
}

/** Every installed package folder under node_modules (nested ones too): [{ name, version, path }]. */
export function installedPackages(dir) {
  const out = [];
  const walk = (nm) => {
    if (!existsSync(nm)) return;
    for (const entry of readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@') ? readdirSync(join(nm, entry)).map((s) => `${entry}/${s}`) : [entry];
      for (const name of names) {
        const path = join(nm, name);
        const manifest = join(path, 'package.json');
        if (!existsSync(manifest)) continue;
        out.push({ name, version: JSON.parse(readFileSync(manifest, 'utf8')).version, path });
        walk(join(path, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return out;
}

/** Bytes of all files under `path` (symlinks not followed). */
export function folderBytes(path) {
  let total = 0;
  for (const entry of readdirSync(path)) {
    const p = join(path, entry);
    const s = lstatSync(p);
    total += s.isDirectory() ? folderBytes(p) : s.isSymbolicLink() ? 0 : statSync(p).size;
  }
  return total;
}

/** Writes files (relative path → text) into the project. */
export function writeFiles(dir, files) {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

/** Runs the workspace's TypeScript compiler on a tsconfig of the project (throws with the diagnostics). */
export function typecheck(dir, tsconfig) {
  return exec(process.execPath, [tsc, '-p', tsconfig], dir);
}

/**
 * `extra`: more compiler options (the tfjs consumer needs skipLibCheck: tfjs-core's own .d.ts name `Long`
 * from @types/long, which `types: []` leaves out).
 */
/** tsconfig for plain Node: strict, NodeNext resolution, emits to out/ (.mts → .mjs, .cts → .cjs). */
export function nodeNextConfig(include, extra = {}) {
  return `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        types: [],
        outDir: 'out',
        rootDir: 'src',
        ...extra,
      },
      include,
    },
    null,
    2,
  )}\n`;
}

/** tsconfig for a bundler: strict, `bundler` resolution, no emit. */
export function bundlerConfig(include, extra = {}) {
  return `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        module: 'Preserve',
        moduleResolution: 'Bundler',
        strict: true,
        types: [],
        noEmit: true,
        ...extra,
      },
      include,
    },
    null,
    2,
  )}\n`;
}

/** Runs a script of the project under plain node; returns stdout. */
export function runNode(dir, script) {
  return exec(process.execPath, [script], dir);
}
