import { defineConfig } from 'vitest/config';

// No workspace build needed: the test reads sources as text. The JSON report feeds the summary line.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], reporters: ['default', 'json'], outputFile: { json: '.test-results/vitest.json' } },
});
