// The browser build holds only what a browser runs: no TypeScript sources and no Node-only scripts
// (worker_threads workers of @sii/train and @sii/neural-ode) in dist/, and the page carries the
// Content-Security-Policy.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/csp.js';
import { DIST_DIR, ensureBuilt, nodeOnlyAssets } from './support.js';

beforeAll(() => {
  ensureBuilt();
});

describe('dist/', () => {
  it('the checker flags TypeScript sources and Node-only scripts (and passes browser code)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sii-web-dist-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'parallel_worker-x1.ts'), "import { parentPort } from 'node:worker_threads';\n");
    writeFileSync(
      join(dir, 'assets', 'parallel_worker-x2.js'),
      "/** doc */\nimport { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => {});\n",
    );
    writeFileSync(join(dir, 'assets', 'min-x3.js'), 'const a=1;import{readFile as r}from"node:fs/promises";');
    writeFileSync(join(dir, 'assets', 'rollout-x4.mjs'), 'import "worker_threads";');
    // Browser code: a guarded require in Emscripten glue, a dynamic import and a string are fine.
    writeFileSync(
      join(dir, 'assets', 'ok.js'),
      'if(ENVIRONMENT_IS_NODE){var w=require("worker_threads")}const m=()=>import("node:fs");const s="import from node:fs";',
    );
    expect(nodeOnlyAssets(dir).sort()).toEqual([
      'assets/min-x3.js: a Node-only script (imports node:fs/promises)',
      'assets/parallel_worker-x1.ts: a TypeScript source',
      'assets/parallel_worker-x2.js: a Node-only script (imports node:worker_threads)',
      'assets/rollout-x4.mjs: a Node-only script (imports worker_threads)',
    ]);
  });

  it('holds no TypeScript source and no Node-only script', () => {
    const assets = readdirSync(join(DIST_DIR, 'assets'));
    expect(assets.some((f) => /^train\.worker-.*\.js$/.test(f))).toBe(true); // the browser worker is there
    expect(assets.some((f) => f.endsWith('.wasm'))).toBe(true);
    expect(assets.filter((f) => /_worker/.test(f))).toEqual([]); // parallel_worker, rollout_worker: Node only
    expect(nodeOnlyAssets(DIST_DIR)).toEqual([]);
  });

  it('index.html carries the Content-Security-Policy before any script', () => {
    const html = readFileSync(join(DIST_DIR, 'index.html'), 'utf8');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html);
    expect(meta).not.toBeNull();
    expect(meta![1].replaceAll('&#39;', "'")).toBe(CONTENT_SECURITY_POLICY);
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<script'));
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|'unsafe-eval'|\*/);
  });
});
