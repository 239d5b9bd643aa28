import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './src/csp.js';

// Workspace packages export their TypeScript sources under the "@sii/source" condition, so the app
// bundles them directly: `pnpm --filter web build` does not need the packages' dist/ folders. The app
// imports only browser-safe entries (@sii/datasets/teacher, not the Node-only loaders), so no
// node: builtin needs a stub; @sii/neural-ode imports its Node-only modules on call.
const conditions = ['@sii/source', ...defaultClientConditions];

/**
 * Scripts of Node worker_threads referenced by the workspace packages with `new URL('…', import.meta.url)`:
 * @sii/train's data-parallel replicas and @sii/neural-ode's SIMD rollout threads. The browser never
 * starts them (both features are Node-only), but Vite copies every such URL into dist/assets, the
 * TypeScript source included. Marking the URL `@vite-ignore` leaves it as it is (it is never fetched).
 * test/dist.test.ts fails when any Node-only script or TypeScript source reaches dist/assets.
 */
const NODE_WORKER_URL = /new URL\(\s*(?=(['"`])[^'"`]*\b(?:parallel|rollout)_worker\.js\1\s*,\s*import\.meta\.url\s*\))/g;

function nodeOnlyWorkerUrls(): Plugin {
  return {
    name: 'sii:node-only-worker-urls',
    enforce: 'pre',
    transform(code, id) {
      if (!/\/packages\/[^/]+\/src\//.test(id) || !NODE_WORKER_URL.test(code)) return null;
      NODE_WORKER_URL.lastIndex = 0;
      return { code: code.replace(NODE_WORKER_URL, 'new URL(/* @vite-ignore */ '), map: null };
    },
  };
}

/** The Content-Security-Policy as the first element of <head> in the built page (not in dev: Vite's dev client injects inline styles). */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'sii:content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  // Relative asset URLs: dist/ can be served from any path (or any static host) without rebuilding.
  base: './',
  resolve: { conditions },
  plugins: [nodeOnlyWorkerUrls(), contentSecurityPolicy()],
  worker: { format: 'es', plugins: () => [nodeOnlyWorkerUrls()] },
  // Dev server: pre-bundle tfjs up front (one shared tfjs-core for both backends, no reload when the
  // worker first imports a backend).
  optimizeDeps: {
    include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@sii/neural-ode > @tensorflow/tfjs-backend-cpu'],
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    // Keep the .wasm binaries as separate files (never inlined as data: URLs).
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1', headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } },
});
