export * from './idx.js';
export * from './images.js';
export * from './pickle.js';
export * from './views.js';
export * from './augment.js';
export * from './task.js';
