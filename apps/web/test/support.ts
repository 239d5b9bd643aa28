// End-to-end test support: Debian's chromium (installed with apt-get when missing, never downloaded
// by a test tool), a fresh build of dist/ when sources are newer, and a tiny static server for dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DIST_DIR = join(APP_DIR, 'dist');
// Chromium (Debian's, apt-get when missing) and the DOM text checks are shared with the CLI's report test.
export { CHROMIUM, CHROMIUM_ARGS, checkTexts, ensureChromium } from '@sii/vitest-preset/visual';

export function freshUserDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'sii-web-chromium-'));
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Build dist/ with vite when it is missing or older than the app's sources or the workspace packages' sources. */
export function ensureBuilt(): void {
  const index = join(DIST_DIR, 'index.html');
  const packages = join(APP_DIR, '..', '..', 'packages');
  const sources = Math.max(
    newestMtime(join(APP_DIR, 'src')),
    newestMtime(join(APP_DIR, 'index.html')),
    newestMtime(join(APP_DIR, 'vite.config.ts')),
    ...readdirSync(packages)
      .map((name) => join(packages, name, 'src'))
      .filter((dir) => existsSync(dir))
      .map(newestMtime),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(join(APP_DIR, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: APP_DIR, stdio: 'inherit' });
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/**
 * Serve a folder on 127.0.0.1 at a free port (port 0: the kernel picks), with `headers` on every
 * response (e.g. the Content-Security-Policy). Also logs every path asked for.
 */
export async function serveStatic(
  root: string,
  headers: Record<string, string> = {},
): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, server, requests };
}

/** |Σ c_k z^k| by Horner in plain float64: an independent check of the page's |R(z)| read-out. */
export function polyAbs(coeffs: readonly number[], re: number, im: number): number {
  let pr = 0;
  let pi = 0;
  for (let k = coeffs.length - 1; k >= 0; k--) {
    const r = pr * re - pi * im + coeffs[k];
    pi = pr * im + pi * re;
    pr = r;
  }
  return Math.hypot(pr, pi);
}

/** A static `import … from 'node:…'` (or of worker_threads), as written or minified. */
const NODE_IMPORT = /(?:^|[;\s}])import\s*(?:[\w$*{}\s,]+?\s*from\s*)?["'](node:[\w/]+|worker_threads)["']/m;

/**
 * What must not be in a browser build: TypeScript sources and scripts that only run under Node
 * (a static import of a node: builtin or worker_threads, as in a worker_threads script). Returns one
 * line per offending file of `dir` (recursive), empty when the folder is clean.
 */
export function nodeOnlyAssets(dir: string): string[] {
  const problems: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const rel = path.slice(dir.length + 1);
      if (/\.(?:c|m)?tsx?$/.test(name)) problems.push(`${rel}: a TypeScript source`);
      else if (/\.(?:c|m)?js$/.test(name)) {
        const m = NODE_IMPORT.exec(readFileSync(path, 'utf8'));
        if (m) problems.push(`${rel}: a Node-only script (imports ${m[1]})`);
      }
    }
  };
  walk(dir);
  return problems;
}
