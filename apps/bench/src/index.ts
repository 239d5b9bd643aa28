// @sii/bench — training-step benchmark of @sii/neural-ode against the PyTorch peer. See README.md.
export { type BenchArgs, parseArgs, USAGE } from './args.js';
export { type BenchConfig, benchSpec, CONFIGS, STAGES, stepFlops } from './configs.js';
export { type ForecastBenchShape, type LatentBenchShape, MODEL_CONFIGS, type ModelBenchShape } from './model-configs.js';
export { forecastBenchConfig, forecastStepFlops, latentBenchConfig, modelPeerSpec, runModelStep } from './models.js';
export { findModelPeer, findPeer, type PeerLocation, type PeerResult, runPeer } from './peer.js';
export { type BenchReport, type BenchRow, formatTable, topKernels } from './report.js';
export { runBench } from './run.js';
export { type BackendName, median, type PathName, runSii, type SiiResult } from './sii.js';
