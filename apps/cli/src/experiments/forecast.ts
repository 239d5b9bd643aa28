/**
 * `sii forecast`: multivariate forecasting with the authors' variational latent ODE (METHOD.md §7), see
 * forecast/model.ts (model and loss), forecast/data.ts (data and batches), forecast/evaluate.ts (test
 * metric), forecast/config.ts (protocol, presets and their deviations), forecast/run.ts (one arm).
 */
export * from './forecast/config.js';
export * from './forecast/data.js';
export * from './forecast/evaluate.js';
export * from './forecast/layers.js';
export * from './forecast/model.js';
export { runForecastTask } from './forecast/run.js';
export { forecastDescription } from './forecast/describe.js';
