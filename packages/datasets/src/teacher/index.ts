export * from './generate.js';
export * from './pwm.js';
