// Shared vitest preset. Workspace packages are resolved to their TypeScript sources through the
// "@sii/source" export condition, so `pnpm --filter <pkg> test` works without building dependencies.
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';

const conditions = ['@sii/source', 'module', 'node', 'import', 'default'];

export const siiPreset = defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['node', 'import', 'default'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: [fileURLToPath(new URL('./build-workspace.js', import.meta.url))],
    // The JSON report feeds the repository-wide summary line (tooling/scripts/test-summary.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});

/** Merge package-specific options into the shared preset. */
export function defineSiiConfig(overrides = {}) {
  return mergeConfig(siiPreset, overrides);
}
