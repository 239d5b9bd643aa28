import { defineSiiConfig } from '@sii/vitest-preset';

export default defineSiiConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
