import { defineConfig } from 'vitest/config';

// No workspace build needed: the test lints a fixture project. The JSON report feeds the summary line.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, reporters: ['default', 'json'], outputFile: { json: '.test-results/vitest.json' } },
});
