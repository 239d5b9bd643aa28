import { defineSiiConfig } from '@sii/vitest-preset';

export default defineSiiConfig();
