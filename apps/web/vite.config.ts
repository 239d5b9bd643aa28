import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages export their TypeScript sources under the "@sii/source" condition, so the app
// bundles them directly: `pnpm --filter web build` does not need the packages' dist/ folders. The app
// imports only browser-safe entries (@sii/datasets/teacher, not the Node-only loaders), so no
// node: builtin needs a stub; @sii/neural-ode imports its Node-only modules on call.
const conditions = ['@sii/source', ...defaultClientConditions];

export default defineConfig({
  // Relative asset URLs: dist/ can be served from any path (or any static host) without rebuilding.
  base: './',
  resolve: { conditions },
  worker: { format: 'es' },
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
