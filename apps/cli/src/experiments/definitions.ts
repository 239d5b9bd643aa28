/** Report text, summary columns and figures of the three experiments. */
import type { SlopeCompensation } from '@sii/init';
import { INIT_COLORS, lineChart, type SeriesPoint } from '../charts.js';
import type { Figure } from '../report.js';
import { type ForecastConfig, forecastDescription } from './forecast.js';
import { type LatentConfig, latentDeviations } from './latent.js';
import { type PixelConfig, pixelPreset } from './pixel.js';
import { frameStripSvg } from './png.js';
import { curvesFigure, type ExperimentDefinition } from './runner.js';
import type { ArmResult } from './types.js';

const COMPENSATION_TEXT: Record<SlopeCompensation, string> = {
  none: "no activation-slope compensation, as the authors' code",
  max: 'hidden layers divided by the supremum slope of the activation (deviation from the authors)',
  exact: 'exact activation-slope compensation (deviation from the authors)',
};
const fieldText = (
  c: { states: number; hidden: number; layers: number; activation: string; solver: string; eps: number; compensation?: SlopeCompensation },
  h: string,
) =>
  `ODE MLP: ${c.states} states, H ${c.hidden}, L ${c.layers}, ${c.activation}, ${c.solver}, h ${h}; SII with real poles, eps ${c.eps}, inside the ${c.solver} region (compensation ${c.compensation ?? 'none'}: ${COMPENSATION_TEXT[c.compensation ?? 'none']}); baseline = PyTorch default Linear init ("He"); encoders/decoders identical in both arms.`;

const runsText = (c: { seeds: number; seed: number; inits: string[]; scale: string }) =>
  `Scale ${c.scale}; ${c.seeds} run(s) per init (run k uses seed "${c.seed}/run/k" for model init and batch order; data from seed ${c.seed}); inits ${c.inits.join(', ')}.`;

/** The protocol of the pixel data: psMNIST permutation seeding, sCIFAR augmentation. */
export function pixelDataText(c: PixelConfig): string {
  const parts: string[] = [];
  if (c.dataset === 'psmnist') {
    parts.push(
      (c.permutationSeed ?? 'base') === 'run'
        ? "pixel permutation drawn per run from the run seed, as the paper's code"
        : `one pixel permutation from the base seed ${c.seed} for every run (deviation: the paper's code draws one per run)`,
    );
  }
  if (c.dataset === 'scifar') {
    parts.push(
      c.augment
        ? "training augmentation random crop 32 (padding 4) + horizontal flip (p 0.5), as the paper's code"
        : "no training augmentation (deviation: the paper's code crops and flips)",
    );
  }
  return parts.length ? `; ${parts.join('; ')}` : '';
}

/** Why a laptop-preset value differs from the paper's (issue: presets are the paper's model scaled down). */
const PIXEL_LAPTOP_REASONS: Partial<Record<keyof PixelConfig, string>> = {
  pixelsPerStep: 'one image row per ODE step: a 28× (MNIST) or 32× (CIFAR) shorter rollout, for minutes instead of days on a CPU',
  trainSize: 'class-balanced subset, for CPU time',
  testSize: 'class-balanced subset, for CPU time',
  states: 'smaller ODE, for CPU time',
  hidden: 'smaller ODE MLP, for CPU time',
  batch: 'smaller batches keep the number of updates per epoch on the subset',
  epochs: 'fewer epochs, for CPU time',
};

/**
 * Every protocol value of `c` that differs from the paper's (the paper preset of the data set and the
 * authors' protocol choices), with the reason: the laptop or tiny preset's, or "set by flag".
 * (--micro-batch and --checkpoint-every are not listed: they give the same update.)
 */
export function pixelDeviations(c: PixelConfig): string[] {
  const paper = { ...pixelPreset('paper', c.dataset), compensation: 'none' } as Record<string, unknown>;
  const preset = c.scale === 'paper' ? null : (pixelPreset(c.scale, c.dataset) as unknown as Record<string, unknown>);
  const keys = [
    'pixelsPerStep',
    'trainSize',
    'testSize',
    'states',
    'hidden',
    'layers',
    'activation',
    'solver',
    'h',
    'eps',
    'decoderHidden',
    'batch',
    'lr',
    'lrEnd',
    'epochs',
    'clip',
    'augment',
    'permutationSeed',
    'compensation',
  ];
  const show = (v: unknown) => (v === null ? 'none' : String(v));
  const out: string[] = [];
  for (const k of keys) {
    const v = (c as unknown as Record<string, unknown>)[k] ?? (k === 'compensation' ? 'none' : undefined);
    if (v === undefined || v === paper[k]) continue;
    const why = PIXEL_LAPTOP_REASONS[k as keyof PixelConfig];
    const reason =
      preset && v === preset[k]
        ? c.scale === 'tiny'
          ? 'tiny preset (smoke test)'
          : `laptop preset${why ? `: ${why}` : ''}`
        : 'set by flag';
    out.push(`${k} ${show(v)} (paper ${show(paper[k])}; ${reason})`);
  }
  return out;
}

function deviationsText(list: string[]): string {
  return list.length ? `Differences from the paper's protocol: ${list.join('; ')}.` : "The paper's protocol, no deviation.";
}

export const pixelDefinition: ExperimentDefinition<PixelConfig> = {
  kind: 'pixel',
  title: (c) => `Pixel-level classification (${c.dataset}, ${c.scale} scale)`,
  columns: [
    { key: 'testAccuracy', label: 'test accuracy % (last epoch)', digits: 2, scale: 100, higherIsBetter: true },
    { key: 'bestTestAccuracy', label: 'best test accuracy %', digits: 2, scale: 100, higherIsBetter: true },
    { key: 'trainLoss', label: 'final train loss', digits: 4, higherIsBetter: false },
  ],
  epochMetric: 'test acc',
  describe: (c) =>
    `${runsText(c)} Data: ${c.dataset}, ${c.trainSize ?? 'all'} training / ${c.testSize ?? 'all'} test examples (class-balanced subset), ${c.pixelsPerStep} pixel(s) per ODE step${pixelDataText(c)}. Model: encoder Linear → ${fieldText(c, String(c.h))} Decoder Linear(${c.states}→${c.decoderHidden}), ReLU, Linear(→10) at every step. Loss Σ_s w_s·CE_s with w = linspace(0.1, 1, T)^4, not normalised (CE averaged over the batch); accuracy at the last step. Adam lr ${c.lr}, linear schedule 1 → ${c.lrEnd} over ${c.epochs} epochs (per epoch), batch ${c.batch}, gradient clip ${c.clip ?? 'none'}. ${deviationsText(pixelDeviations(c))}`,
  figures: async (c, results) => [
    await curvesFigure({
      results,
      inits: c.inits,
      panels: [
        { curve: 'testAccuracy', label: 'test accuracy (last step)', log: false },
        { curve: 'trainLoss', label: 'training loss (weighted CE)', log: false },
      ],
      file: 'learning-curves.svg',
      title: `${c.dataset}: learning curves, mean over ${c.seeds} run(s)`,
      caption: 'Test accuracy after each epoch and mean training loss per epoch, SII vs baseline on the same axes (mean over runs).',
    }),
  ],
};

export const forecastDefinition: ExperimentDefinition<ForecastConfig> = {
  kind: 'forecast',
  title: (c) => `Multivariate forecasting (${c.dataset}, ${c.scale} scale)`,
  columns: [
    { key: 'testMse', label: 'test MSE (last epoch)', digits: 5, higherIsBetter: false },
    { key: 'bestTestMse', label: 'best test MSE', digits: 5, higherIsBetter: false },
    { key: 'initialTestMse', label: 'initial test MSE', digits: 5, higherIsBetter: false },
  ],
  epochMetric: 'test MSE',
  describe: (c, results) => forecastDescription(c, results),
  figures: async (c, results) => {
    const figs: Figure[] = [
      await curvesFigure({
        results,
        inits: c.inits,
        panels: [
          { curve: 'testMse', label: 'test MSE', log: true },
          { curve: 'trainLoss', label: 'training loss (Σ squared error / T + β·KL)', log: true },
        ],
        file: 'learning-curves.svg',
        title: `${c.dataset}: learning curves, mean over ${c.seeds} run(s)`,
        caption:
          'Test MSE (z0 from the prior, as the authors) after each epoch and mean training loss per epoch (log scale), SII vs baseline (mean over runs).',
      }),
    ];
    // Per init, the first run that finished with predictions (a diverged run has none); same test window.
    const run0 = c.inits
      .map(
        (init) =>
          results.filter((r) => r.init === init && (r.extra as { sample?: unknown } | undefined)?.sample).sort((a, b) => a.run - b.run)[0],
      )
      .filter((r): r is ArmResult => r !== undefined);
    if (run0.length) {
      const pts: SeriesPoint[] = [];
      const first = run0[0].extra as {
        sample: { measured: number[]; steps: number; outputs: number };
        targetNames?: string[];
        dt?: number;
      };
      const { steps: T, outputs: p } = first.sample;
      const names = first.targetNames ?? [];
      const dt = first.dt ?? 1;
      const push = (series: string, values: number[]) => {
        for (let t = 0; t < T; t++)
          for (let j = 0; j < p; j++)
            if (Number.isFinite(values[t * p + j])) pts.push({ x: t * dt, y: values[t * p + j], series, panel: names[j] ?? `output ${j}` });
      };
      push('measured', first.sample.measured);
      const colors: Record<string, string> = { measured: '#222' };
      for (const r of run0) {
        const name = r.run === 0 ? r.init : `${r.init} (run ${r.run})`;
        colors[name] = INIT_COLORS[r.init] ?? '#888';
        push(name, (r.extra as { sample: { predicted: number[] } }).sample.predicted);
      }
      const svg = await lineChart({
        points: pts,
        xTitle: 'time',
        yTitle: 'standardized output',
        title: `${c.dataset}: first test window`,
        colors,
        width: 360,
        height: 220,
      });
      figs.push({
        file: 'test-window.svg',
        svg,
        caption:
          'Measured outputs and the predictions of each init on the first test window with z0 drawn from the prior as in the metric (run 0, or the first run of that init that did not diverge, as labelled); standardized units except activity (raw).',
      });
    }
    return figs;
  },
};

const trainHorizonText = (c: LatentConfig) =>
  c.rampEpochs > 0 && c.horizonStart < c.horizon
    ? `; opt-in curriculum: training horizon grows linearly from ${c.horizonStart} to ${c.horizon} frames over the first ${c.rampEpochs} epochs`
    : '';

const latentDeviationsText = (c: LatentConfig) => {
  const d = latentDeviations(c);
  return d.length === 0
    ? "No deviation from the authors' configuration."
    : `Differences from the authors' configuration (${c.scale} scale): ${d.map((x) => `${x.key} ${JSON.stringify(x.ours)} (paper ${JSON.stringify(x.paper)}; ${x.why})`).join('; ')}.`;
};

export const latentDefinition: ExperimentDefinition<LatentConfig> = {
  kind: 'latent',
  title: (c) => `Latent dynamics from pixels (${c.system}, ${c.scale} scale, protocol ${c.protocol})`,
  columns: [
    { key: 'nmse', label: 'test NMSE (long horizon)', digits: 4, higherIsBetter: false },
    { key: 'pixelAccuracy', label: 'pixel acc % (long)', digits: 2, scale: 100, higherIsBetter: true },
    { key: 'nmseShort', label: 'NMSE (training horizon)', digits: 4, higherIsBetter: false },
    { key: 'pixelAccuracyShort', label: 'pixel acc % (training horizon)', digits: 2, scale: 100, higherIsBetter: true },
  ],
  epochMetric: 'test NMSE',
  describe: (c) =>
    `Protocol: ${c.protocol} (the authors' latent-dynamics code). ${runsText(c)} Data: ${c.system}, ${c.trainSequences} training / ${c.testSequences} test sequences of ${c.frameSize}×${c.frameSize}×3 frames (dt 0.1), ${c.inputFrames} conditioning frames; trained on ${c.horizon} predicted frames, tested on ${c.longHorizon} (and ${c.horizon}). Model as the authors': Conv3d encoder (1×3×3 embedding pair averaged, two blocks of two 3×3×3 Conv–BatchNorm–SiLU with MaxPool3d(2), AvgPool3d(2)) of ${c.inputFrames} frames to a ${c.frameSize / 8}×${c.frameSize / 8} grid of ${c.states}-state latent vectors (channels ${c.states / 2}/${c.states}); one ${fieldText(c, String(c.h))} Decoder per frame: ConvTranspose3d(1×2×2) + GroupNorm(8) + ReLU, two up-blocks of ConvTranspose3d(1×2×2), BatchNorm, SiLU and four 1×3×3 Conv–BatchNorm–SiLU, ConvTranspose3d(1×3×3) to RGB, sigmoid; dropout ${c.dropout}. Loss: squared error summed over the predicted frames, mean over batch, channels and pixels${c.reconWeight > 0 ? ` + opt-in ${c.reconWeight}·MSE(decode(z0), last conditioning frame)` : ''}${trainHorizonText(c)}. Adam lr ${c.lr}, LinearLR 1 → ${c.lrEnd} over ${c.epochs} epochs, batch ${c.batch}, gradient clip ${c.clip ?? 'none'}. Metrics in evaluation mode (BatchNorm running averages), per batch of ${c.batch} sequences, averaged: NMSE = MSE / mean(gt²); pixel accuracy = share of values with |error| ≤ 0.025. ${latentDeviationsText(c)}`,
  figures: async (c, results) => {
    const figs: Figure[] = [
      await curvesFigure({
        results,
        inits: c.inits,
        panels: [
          { curve: 'testNmse', label: `test NMSE (${c.horizon} frames)`, log: true },
          {
            curve: 'trainLoss',
            label:
              c.reconWeight > 0 ? 'training loss (summed-over-frames SE + aux. term)' : 'training loss (squared error summed over frames)',
            log: true,
          },
        ],
        file: 'learning-curves.svg',
        title: `${c.system}: learning curves, mean over ${c.seeds} run(s)`,
        caption:
          'Test NMSE over the training horizon after each epoch and mean training loss per epoch (log scale), SII vs baseline (mean over runs).',
      }),
    ];
    type Strip = { indices: number[]; height: number; width: number; predicted: string; truth: string };
    const strips = results.filter((r) => r.run === 0 && (r.extra as { strip?: Strip } | undefined)?.strip);
    if (strips.length) {
      const s0 = (strips[0].extra as { strip: Strip }).strip;
      const D = s0.height * s0.width * 3;
      const split = (b64: string) => {
        const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
        return s0.indices.map((_, k) => bytes.subarray(k * D, (k + 1) * D));
      };
      const rows = [
        { label: 'true', frames: split(s0.truth) },
        ...strips.map((r) => ({ label: r.init, frames: split((r.extra as { strip: Strip }).strip.predicted) })),
      ];
      const svg = frameStripSvg({
        rows,
        columnLabels: s0.indices.map((i) => `t+${i + 1}`),
        frameHeight: s0.height,
        frameWidth: s0.width,
        scale: s0.height <= 16 ? 6 : 3,
        title: `${c.system}: test sequence 0, predicted vs true frames (run 0)`,
      });
      figs.push({
        file: 'frames.svg',
        svg,
        caption: `True frames and each init's predictions on test sequence 0 at the predicted frame indices shown (up to ${c.longHorizon} frames ahead); the image is an embedded PNG.`,
      });
    }
    return figs;
  },
};

export type { ArmResult };
