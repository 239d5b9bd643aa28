import { defineSiiConfig } from '@sii/vitest-preset';

// The end-to-end test builds dist/ if needed, may install Debian's chromium (apt-get) on a fresh
// machine, then trains two small models in the browser: generous timeouts, one file at a time.
export default defineSiiConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
