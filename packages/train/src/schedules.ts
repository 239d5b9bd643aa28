/**
 * Learning-rate schedules as torch.optim.lr_scheduler defines them, stepped once per epoch: after k
 * steps the learning rate is base·factor(k). The closed forms are used (torch's chained updates are
 * the same numbers up to round-off), so the schedule's state is the step count alone.
 */
import { checkInt, checkPositive, show } from './show.js';

export interface LrSchedule {
  readonly name: string;
  /** Multiplier of the base learning rate after `step` schedule steps (step 0: before the first). */
  factor(step: number): number;
}

export interface LinearLROptions {
  /** Factor at step 0 (torch default 1/3). */
  startFactor?: number;
  /** Factor from step totalIters on (torch default 1). */
  endFactor?: number;
  /** Steps over which the factor goes linearly from startFactor to endFactor (torch default 5). */
  totalIters?: number;
}

/** torch's LinearLR: factor(k) = start + (end − start)·min(k, T)/T. */
export class LinearLR implements LrSchedule {
  readonly name = 'LinearLR';
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(opts: LinearLROptions = {}) {
    const start = opts.startFactor ?? 1 / 3;
    const end = opts.endFactor ?? 1;
    const total = opts.totalIters ?? 5;
    if (!(start > 0 && start <= 1)) throw new RangeError(`LinearLR: startFactor must be in (0, 1], got ${show(start)}`);
    if (!(end >= 0 && end <= 1)) throw new RangeError(`LinearLR: endFactor must be in [0, 1], got ${show(end)}`);
    checkInt('LinearLR', 'totalIters', total, 1);
    this.startFactor = start;
    this.endFactor = end;
    this.totalIters = total;
  }

  factor(step: number): number {
    checkInt('LinearLR.factor', 'step', step, 0);
    return this.startFactor + ((this.endFactor - this.startFactor) * Math.min(step, this.totalIters)) / this.totalIters;
  }
}

/** torch's ExponentialLR: factor(k) = γ^k. */
export class ExponentialLR implements LrSchedule {
  readonly name = 'ExponentialLR';
  readonly gamma: number;

  constructor(opts: { gamma: number }) {
    checkPositive('ExponentialLR', 'gamma', opts?.gamma);
    this.gamma = opts.gamma;
  }

  factor(step: number): number {
    checkInt('ExponentialLR.factor', 'step', step, 0);
    return this.gamma ** step;
  }
}
