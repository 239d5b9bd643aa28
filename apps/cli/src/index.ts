// @sii/cli — the `sii` command (see README.md). The modules below are exported for reuse and tests.
export { buildProgram, DEFAULT_WORKERS, main } from './cli.js';
export { bandChart, kde2d, kdeChart, lineChart, logHistogram, poleTrajectoryChart, regionsChart, renderSvg } from './charts.js';
export { type Pole, parsePoles, readPolesFile } from './polesfile.js';
export { amplitudeRatio, PERTURBATION_DEFAULTS, perturbationPoles, simulatePerturbation } from './commands/perturbation.js';
export { summarize, type TeacherStudentConfig, type TeacherStudentSummary } from './commands/teacherStudent.js';
export { blockDiagonal, linearRhs, linearSystem } from './linear.js';
export { InlineRunner, runQueue, type TaskRunner, WorkerRunner } from './pool.js';
export { createRunDir, timestamp, writeFileAtomic, writeJsonAtomic } from './runfolder.js';
export {
  erfc,
  median,
  midRanks,
  normalSf,
  type PairedSummary,
  pairedSummary,
  quantile,
  type SignTestResult,
  signTest,
  type WilcoxonResult,
  wilcoxonSignedRank,
} from './stats.js';
export type { InitRun, StudentConfig, StudentTask, TeacherResult } from './train/types.js';
export {
  decide,
  deterministicVerdict,
  type PairedVerdict,
  pairedVerdict,
  proportionVerdict,
  VERDICT_ALPHA,
  type Verdict,
  wilsonInterval,
} from './verdict.js';
// The experiments' models and training losses, for the training-step benchmark (apps/bench).
export { AUTHORS_PROTOCOL, type ForecastConfig, forecastPreset } from './experiments/forecast/config.js';
export { ForecastModel, type ForecastModelSpec, forecastLoss } from './experiments/forecast/model.js';
export { buildLatentModel, type LatentConfig, latentBatchLoss, latentPreset } from './experiments/latent.js';
export type { LatentBatch } from './experiments/latent/data.js';
export { ConvLatentModel } from './experiments/latent/model.js';
export { registerConvGradients } from './experiments/layers/index.js';
export { oneHot, stepWeights } from './experiments/nn.js';
export { accumulatedStep, type PixelConfig, PixelModel, pixelLoss, pixelPreset } from './experiments/pixel.js';
