export * from './pixel/index.js';
export * from './forecast/index.js';
export * from './latent/index.js';
export * from './teacher/index.js';
export * from './systems/index.js';
