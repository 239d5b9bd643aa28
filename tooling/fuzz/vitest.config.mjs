import { defineConfig } from 'vitest/config';

// The JSON report feeds the repository-wide summary line.
export default defineConfig({
  test: { include: ['test/**/*.test.mjs'], environment: 'node', reporters: ['default', 'json'], outputFile: { json: '.test-results/vitest.json' } },
});
