import { builtinModules } from 'node:module';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

// Workspace packages export their TypeScript sources under the "@sii/source" condition, so the app
// bundles them directly: `pnpm --filter web build` does not need the packages' dist/ folders.
const conditions = ['@sii/source', ...defaultClientConditions];

const STUB_PREFIX = '\0sii-node-stub:';

/**
 * @sii/datasets and @sii/neural-ode contain Node-only file loaders (node:fs, node:zlib, …) that the
 * app never calls. Vite's own browser stub throws as soon as a named import is read, which breaks the
 * dev server (no tree shaking there). This plugin gives each node: builtin a stub module with the
 * builtin's export names, each a function that throws when used; production builds tree-shake them.
 */
function nodeBuiltinStubs(): Plugin {
  // Only node:-prefixed ids: bare ones ('fs' in tfjs's emscripten glue) keep their package.json
  // "browser" field mapping.
  const builtins = new Set(builtinModules.map((m) => `node:${m}`));
  return {
    name: 'sii-node-builtin-stubs',
    enforce: 'pre',
    resolveId(id) {
      return builtins.has(id) ? STUB_PREFIX + id.replace(/^node:/, '') : null;
    },
    async load(id) {
      if (!id.startsWith(STUB_PREFIX)) return null;
      const name = id.slice(STUB_PREFIX.length);
      const real = (await import(`node:${name}`)) as Record<string, unknown>;
      const names = Object.keys(real).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      const lines = [
        `function unavailable(what) { return function () { throw new Error(what + ' is not available in the browser'); }; }`,
        ...names.map((k) => `export const ${k} = unavailable(${JSON.stringify(`node:${name}.${k}`)});`),
        `export default {};`,
      ];
      return lines.join('\n');
    },
  };
}

export default defineConfig({
  // Relative asset URLs: dist/ can be served from any path (or any static host) without rebuilding.
  base: './',
  plugins: [nodeBuiltinStubs()],
  resolve: { conditions },
  worker: { format: 'es', plugins: () => [nodeBuiltinStubs()] },
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
  preview: { host: '127.0.0.1' },
});
