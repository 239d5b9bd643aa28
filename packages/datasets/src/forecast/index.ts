export * from './types.js';
export * from './table.js';
export * from './airquality.js';
export * from './activity.js';
export * from './engine.js';
export * from './airquality_xlsx.js';
export * from './numpy_split.js';
export * from './activity_authors.js';
