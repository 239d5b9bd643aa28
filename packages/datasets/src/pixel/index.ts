export * from './idx.js';
export * from './images.js';
export * from './views.js';
export * from './task.js';
