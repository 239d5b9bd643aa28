export * from './types.js';
export * from './table.js';
export * from './airquality.js';
export * from './activity.js';
export * from './engine.js';
