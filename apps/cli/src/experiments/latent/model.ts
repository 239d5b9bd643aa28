/**
 * The authors' latent-dynamics model (their latent_dynamics/models/latent_dynamics.py), channels-last:
 * frames [N, F, S, S, 3] in [0, 1] → predicted frames [N, T, S, S, 3].
 *
 * Encoder (n = latent states per cell, c = n/2):
 *   embed: x1 = SiLU(BN(Conv(3→c, 1×3×3, pad 0,1,1))), x2 = SiLU(BN(Conv(c→c, 1×3×3))), (x1 + x2)/1.414
 *   down1: [Conv(c→c, 3×3×3, pad 1), BN, SiLU], [Conv(c→c), BN, SiLU, Dropout], MaxPool3d(2)
 *   down2: [Conv(c→n), BN, SiLU], [Conv(n→n), BN, SiLU, Dropout], MaxPool3d(2)
 *   AvgPool3d(2), then the mean over the remaining depth (AdaptiveAvgPool3d to depth 1):
 *   one latent state z0 ∈ R^n per cell of a g × g grid, g = S/8 (4 for the paper's 32 × 32 frames).
 * Latent ODE: the same field for every cell, T solver steps of h, state k+1 decodes frame k.
 * Decoder per predicted frame (depth = time):
 *   up0: ConvT(n→n, 1×2×2, stride 1,2,2), GroupNorm(8, n) (statistics over all frames), ReLU
 *   up1: ConvT(n→c, 1×2×2, stride 1,2,2), BN, SiLU, 4 × [Conv(c→c, 1×3×3), BN, SiLU (+ Dropout after the first)]
 *   up2: ConvT(c→c, …), BN, SiLU, 4 × [Conv(c→c, 1×3×3), …]
 *   out: ConvT(c→3, 1×3×3, stride 1, pad 0,1,1), sigmoid.
 */
import { Rng } from '@sii/linalg';
import type { MlpVectorField, NeuralODE } from '@sii/neural-ode';
import { type BatchStats, convBnActSimd, groupNormReluSimd, maxPool3d2Simd } from '@sii/neural-ode/internal';
import type { Scalar, Tensor, Tensor2D, Tensor5D, Variable } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import {
  avgPool3d2,
  BatchNorm,
  Conv3d,
  type ConvImpl,
  ConvTranspose3dStrided,
  dropout,
  GroupNorm,
  maxPool3d2,
  NORM_EPS,
  resolveConvImpl,
  silu,
  swapLeadingAxes,
  type Triple,
} from '../layers/index.js';
import { buildOde, type FieldConfig, type InitName } from '../nn.js';

export interface LatentModelConfig extends FieldConfig {
  /** Frame height = width S (multiple of 8; the grid is S/8 × S/8). */
  frameSize: number;
  /** Conditioning frames F (>= 8: three poolings of 2 over time). */
  inputFrames: number;
  /** Dropout after the 2nd..last convolution of each ConvBlock (authors: 0.2 molecules, else 0). */
  dropout: number;
  convImpl?: ConvImpl;
}

const K3: Triple = [3, 3, 3];
const P3: Triple = [1, 1, 1];
const K133: Triple = [1, 3, 3];
const P011: Triple = [0, 1, 1];
const UP: Triple = [1, 2, 2];

/** Conv → BN → SiLU (→ Dropout): one block of the authors' ConvBlock. */
class ConvBnAct {
  readonly conv: Conv3d;
  readonly bn: BatchNorm;
  constructor(
    ci: number,
    co: number,
    kernel: Triple,
    pad: Triple,
    readonly p: number,
    rng: Rng,
    impl: ConvImpl,
  ) {
    this.conv = new Conv3d(ci, co, kernel, pad, rng, impl);
    this.bn = new BatchNorm(co);
  }
  apply(x: Tensor5D, training: boolean, drop: Rng | null): Tensor5D {
    const y = training && this.conv.impl === 'simd' ? this.applySimd(x) : silu(this.bn.apply(this.conv.apply(x), training));
    return training && drop && this.p > 0 ? dropout(y, this.p, drop) : y;
  }
  /** Training: convolution, BatchNorm and SiLU as one op on the SIMD kernels (the same function to float32 rounding). */
  private applySimd(x: Tensor5D): Tensor5D {
    const { conv, bn } = this;
    let stats = null as BatchStats | null;
    const y = convBnActSimd(x, conv.w as unknown as Tensor5D, conv.b, bn.gamma, bn.beta, conv.pad, 'silu', NORM_EPS, (s) => {
      stats = s;
    });
    if (stats) bn.trackBatch(stats);
    return y;
  }
  get variables(): Variable[] {
    return [...this.conv.variables, ...this.bn.variables];
  }
  dispose(): void {
    this.conv.dispose();
    this.bn.dispose();
  }
}

/** The authors' ConvBlock: n blocks, dropout after every block but the first. */
function convBlock(ci: number, co: number, n: number, kernel: Triple, pad: Triple, p: number, rng: Rng, impl: ConvImpl): ConvBnAct[] {
  return Array.from(
    { length: n },
    (_, i) => new ConvBnAct(i === 0 ? ci : co, co, kernel, pad, i === 0 ? 0 : p, rng.fork(`block${i}`), impl),
  );
}

export class ConvLatentModel {
  readonly n: number;
  readonly c: number;
  readonly grid: number;
  readonly embed1: ConvBnAct;
  readonly embed2: ConvBnAct;
  readonly down1: ConvBnAct[];
  readonly down2: ConvBnAct[];
  readonly up0: ConvTranspose3dStrided;
  readonly gn0: GroupNorm;
  readonly up1: ConvTranspose3dStrided;
  readonly bn1: BatchNorm;
  readonly block1: ConvBnAct[];
  readonly up2: ConvTranspose3dStrided;
  readonly bn2: BatchNorm;
  readonly block2: ConvBnAct[];
  readonly out: Conv3d;
  readonly field: MlpVectorField;
  readonly ode: NeuralODE;
  readonly initialPoles?: { re: number; im: number }[];
  /** The convolution implementation in use ('simd' falls back to 'im2col' where its kernels do not run). */
  readonly impl: ConvImpl;
  private readonly dropRng: Rng;

  constructor(
    readonly cfg: LatentModelConfig,
    init: InitName,
    runSeed: string,
  ) {
    const S = cfg.frameSize;
    if (!(Number.isInteger(S) && S >= 8 && S % 8 === 0))
      throw new RangeError(`frameSize must be a multiple of 8 (three halvings to the latent grid), got ${S}`);
    if (!(Number.isInteger(cfg.inputFrames) && cfg.inputFrames >= 8))
      throw new RangeError(`inputFrames must be an integer >= 8 (three poolings of 2 over time), got ${cfg.inputFrames}`);
    if (!(Number.isInteger(cfg.states) && cfg.states >= 8 && cfg.states % 8 === 0)) {
      throw new RangeError(`states (latent channels n) must be a multiple of 8 (GroupNorm(8, n); n/2 channels), got ${cfg.states}`);
    }
    const impl = resolveConvImpl(cfg.convImpl ?? 'im2col');
    this.impl = impl;
    const n = cfg.states;
    const c = n / 2;
    const p = cfg.dropout;
    this.n = n;
    this.c = c;
    this.grid = S / 8;
    // Encoder/decoder weights come from the run seed only, so both inits of a run share them.
    const rng = new Rng(runSeed).fork('conv-model');
    this.embed1 = new ConvBnAct(3, c, K133, P011, 0, rng.fork('embed1'), impl);
    this.embed2 = new ConvBnAct(c, c, K133, P011, 0, rng.fork('embed2'), impl);
    this.down1 = convBlock(c, c, 2, K3, P3, p, rng.fork('down1'), impl);
    this.down2 = convBlock(c, n, 2, K3, P3, p, rng.fork('down2'), impl);
    this.up0 = new ConvTranspose3dStrided(n, n, UP, rng.fork('up0'), impl);
    this.gn0 = new GroupNorm(8, n);
    this.up1 = new ConvTranspose3dStrided(n, c, UP, rng.fork('up1'), impl);
    this.bn1 = new BatchNorm(c);
    this.block1 = convBlock(c, c, 4, K133, P011, p, rng.fork('block1'), impl);
    this.up2 = new ConvTranspose3dStrided(c, c, UP, rng.fork('up2'), impl);
    this.bn2 = new BatchNorm(c);
    this.block2 = convBlock(c, c, 4, K133, P011, p, rng.fork('block2'), impl);
    this.out = new Conv3d(c, 3, K133, P011, rng.fork('out'), impl, true);
    const built = buildOde(init, { ...cfg, inputs: 0 }, runSeed);
    this.field = built.field;
    this.ode = built.ode;
    if (built.poles) this.initialPoles = built.poles;
    this.dropRng = new Rng(runSeed).fork('dropout');
  }

  private get convLayers(): ConvBnAct[] {
    return [this.embed1, this.embed2, ...this.down1, ...this.down2, ...this.block1, ...this.block2];
  }
  private get batchNorms(): BatchNorm[] {
    return [...this.convLayers.map((l) => l.bn), this.bn1, this.bn2];
  }

  get variables(): Variable[] {
    return [
      ...this.embed1.variables,
      ...this.embed2.variables,
      ...this.down1.flatMap((l) => l.variables),
      ...this.down2.flatMap((l) => l.variables),
      ...this.field.variables,
      ...this.up0.variables,
      ...this.gn0.variables,
      ...this.up1.variables,
      ...this.bn1.variables,
      ...this.block1.flatMap((l) => l.variables),
      ...this.up2.variables,
      ...this.bn2.variables,
      ...this.block2.flatMap((l) => l.variables),
      ...this.out.variables,
    ];
  }

  /** Trainable parameters (BatchNorm running averages are buffers, as in torch). */
  get parameterCount(): number {
    return this.variables.reduce((s, v) => s + v.size, 0);
  }

  /** BatchNorm running averages (the state that is not trained by gradients), for snapshots. */
  /** The dropout masks' generator (its position is part of a training checkpoint). */
  get dropoutRng(): Rng {
    return this.dropRng;
  }
  get buffers(): Variable[] {
    return this.batchNorms.flatMap((b) => [b.runningMean, b.runningVar]);
  }

  /** Conditioning frames [N, F, S, S, 3] → initial latent states [N·g·g, n] (cell-major per sample). */
  encode(frames: Tensor5D, training: boolean): Tensor2D {
    const drop = training ? this.dropRng : null;
    const x1 = this.embed1.apply(frames, training, drop);
    const x2 = this.embed2.apply(x1, training, drop);
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: the authors divide by the literal 1.414, not √2
    let x = tf.div(tf.add(x1, x2), 1.414) as Tensor5D;
    for (const l of this.down1) x = l.apply(x, training, drop);
    x = this.maxPool(x);
    for (const l of this.down2) x = l.apply(x, training, drop);
    x = avgPool3d2(this.maxPool(x)); // [N, d, g, g, n]
    const [N, d, g, g2, n] = x.shape;
    if (g !== this.grid || g2 !== this.grid) throw new Error(`encoder produced a ${g}×${g2} grid, expected ${this.grid}×${this.grid}`);
    const z = d === 1 ? x : (tf.mean(x, 1, true) as Tensor5D);
    return tf.reshape(z, [N * g * g, n]) as Tensor2D;
  }

  /** Latent states [T, N·g·g, n] → frames [N, T, S, S, 3]. */
  decode(zs: Tensor, batch: number, training: boolean): Tensor5D {
    const drop = training ? this.dropRng : null;
    const T = zs.shape[0];
    const g = this.grid;
    const z = tf.reshape(swapLeadingAxes(tf.reshape(zs, [T, batch, g * g * this.n])), [batch, T, g, g, this.n]) as Tensor5D;
    const up = this.up0.apply(z);
    let x =
      this.impl === 'simd'
        ? (groupNormReluSimd(up, this.gn0.groups, this.gn0.gamma, this.gn0.beta, NORM_EPS) as Tensor5D)
        : (tf.relu(this.gn0.apply(up)) as Tensor5D);
    x = this.bnSilu(this.bn1, this.up1.apply(x), training);
    for (const l of this.block1) x = l.apply(x, training, drop);
    x = this.bnSilu(this.bn2, this.up2.apply(x), training);
    for (const l of this.block2) x = l.apply(x, training, drop);
    return tf.sigmoid(this.out.apply(x)) as Tensor5D;
  }

  private maxPool(x: Tensor5D): Tensor5D {
    return this.impl === 'simd' ? maxPool3d2Simd(x) : maxPool3d2(x);
  }

  private bnSilu(bn: BatchNorm, x: Tensor5D, training: boolean): Tensor5D {
    return training && this.impl === 'simd' ? bn.applySiluSimd(x) : silu(bn.apply(x, training));
  }

  /** Conditioning frames → T predicted frames (state after k + 1 solver steps decodes frame k). */
  predict(frames: Tensor5D, steps: number, training: boolean): Tensor5D {
    const z0 = this.encode(frames, training);
    return this.decode(this.ode.rollout(z0, steps), frames.shape[0], training);
  }

  dispose(): void {
    for (const l of this.convLayers) l.dispose();
    for (const l of [this.up0, this.gn0, this.up1, this.bn1, this.up2, this.bn2, this.out]) l.dispose();
    this.field.dispose();
  }
}

/** The authors' training loss: squared error summed over the T predicted frames, mean over N, C, H, W (= T · MSE). */
export function latentLoss(pred: Tensor5D, truth: Tensor5D): Scalar {
  const T = pred.shape[1];
  return tf.mul(tf.mean(tf.squaredDifference(pred, truth)), T) as Scalar;
}

/** torch's parameter count of the authors' LatentDynamics for n latent channels and an ODE MLP of `hidden` units and `layers` Linear layers. */
export function authorsParameterCount(n: number, hidden: number, layers: number): number {
  const c = n / 2;
  const conv = (ci: number, co: number, k: number) => ci * co * k + co;
  const bn = (ch: number) => 2 * ch;
  const embed = conv(3, c, 9) + bn(c) + conv(c, c, 9) + bn(c);
  const down1 = 2 * (conv(c, c, 27) + bn(c));
  const down2 = conv(c, n, 27) + bn(n) + conv(n, n, 27) + bn(n);
  let ode = 0;
  for (let l = 0; l < layers; l++) ode += (l === 0 ? n : hidden) * (l === layers - 1 ? n : hidden) + (l === layers - 1 ? n : hidden);
  const up0 = conv(n, n, 4) + 2 * n;
  const up = (ci: number) => conv(ci, c, 4) + bn(c) + 4 * (conv(c, c, 9) + bn(c));
  return embed + down1 + down2 + ode + up0 + up(n) + up(c) + conv(c, 3, 9);
}
