/** Dispatch one experiment task to its training function (used in worker threads and in-process). */
import type { ArmCheckpointing } from './checkpoint.js';
import { type ForecastConfig, runForecastTask } from './forecast.js';
import { type LatentConfig, runLatentTask } from './latent.js';
import { type PixelConfig, runPixelTask } from './pixel.js';
import type { ArmResult, EpochCallback, ExperimentTask } from './types.js';

export function runArm(task: ExperimentTask, onEpoch?: EpochCallback, checkpointing?: ArmCheckpointing): ArmResult | Promise<ArmResult> {
  if (task.kind === 'pixel') return runPixelTask(task as ExperimentTask<PixelConfig>, onEpoch, undefined, checkpointing);
  if (task.kind === 'forecast') return runForecastTask(task as ExperimentTask<ForecastConfig>, onEpoch, undefined, checkpointing);
  if (task.kind === 'latent') return runLatentTask(task as ExperimentTask<LatentConfig>, onEpoch, undefined, checkpointing);
  throw new RangeError(`unknown experiment kind ${JSON.stringify((task as { kind: unknown }).kind)}`);
}
