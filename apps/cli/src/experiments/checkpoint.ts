/**
 * Per-epoch checkpoints of one experiment arm (a pixel, latent or forecast seed × init run), so that a
 * unit moved to another `sii worker` continues after its last completed epoch with the same numbers.
 *
 * The training state is @sii/train's FitState (weights, optimizer moments, batch-order generator,
 * curves, best epoch, divergence reference: what `fit({ state })` resumes from); an arm adds the
 * state fit() does not know about (its own result curves, generators drawn from during training,
 * BatchNorm buffers) under `arm`. A checkpoint is tied to its task by a fingerprint of the task's
 * JSON: one written for another configuration, run or init is refused.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Rng } from '@sii/linalg';
import type { FitState, StateNumber } from '@sii/train';
import type { Variable } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { ExperimentTask } from './types.js';

export interface ArmCheckpoint {
  format: 'sii-arm-checkpoint';
  version: 1;
  /** sha256 of the task (kind, run, seeds, init, configuration) it belongs to. */
  fingerprint: string;
  /** Epochs completed. */
  epoch: number;
  fit: FitState;
  /** Arm-specific state beside fit's (plain JSON). */
  arm: Record<string, unknown>;
}

/** What a training function gets: the checkpoint to resume from (if any) and where to send new ones. */
export interface ArmCheckpointing {
  resume: ArmCheckpoint | null;
  save(checkpoint: ArmCheckpoint): void;
}

/** The task's identity: everything that decides its numbers (the checkpointing field excluded). */
export function taskFingerprint(task: ExperimentTask): string {
  const { kind, run, runSeed, init, config } = task;
  return createHash('sha256').update(JSON.stringify({ kind, run, runSeed, init, config })).digest('hex');
}

export function makeCheckpoint(task: ExperimentTask, fit: FitState, arm: Record<string, unknown>): ArmCheckpoint {
  return { format: 'sii-arm-checkpoint', version: 1, fingerprint: taskFingerprint(task), epoch: fit.epoch, fit, arm };
}

/**
 * The checkpoint to resume `task` from, or null with the reason it is refused (not a checkpoint,
 * another task's or configuration's, or past the task's epochs).
 */
export function checkCheckpoint(task: ExperimentTask, c: unknown): { ok: ArmCheckpoint } | { refused: string } {
  const k = c as Partial<ArmCheckpoint> | null;
  if (k == null || typeof k !== 'object' || k.format !== 'sii-arm-checkpoint' || k.version !== 1)
    return { refused: 'not an arm checkpoint (format sii-arm-checkpoint, version 1)' };
  const want = taskFingerprint(task);
  if (k.fingerprint !== want)
    return {
      refused: `written for another configuration (fingerprint ${String(k.fingerprint).slice(0, 12)}…, this unit's ${want.slice(0, 12)}…)`,
    };
  if (!Number.isSafeInteger(k.epoch) || k.epoch! < 1 || k.epoch! > task.config.epochs || k.fit?.epoch !== k.epoch)
    return { refused: `epoch ${String(k.epoch)} is not within 1..${task.config.epochs}` };
  if (k.arm == null || typeof k.arm !== 'object') return { refused: 'no arm state' };
  return { ok: k as ArmCheckpoint };
}

/** gzip'd JSON: the stored form, in a file or a Redis string. */
export function encodeCheckpoint(c: ArmCheckpoint): Buffer {
  return gzipSync(JSON.stringify(c), { level: 6 });
}

export function decodeCheckpoint(bytes: Buffer): unknown {
  return JSON.parse(gunzipSync(bytes).toString('utf8'));
}

const enc = (x: number): StateNumber => (Number.isFinite(x) ? x : (String(x) as StateNumber));
const dec = (x: StateNumber): number => (typeof x === 'number' ? x : Number(x));

/** Result curves as JSON keeps them (NaN and ±Infinity as strings), and back. */
export function encodeCurves(curves: Record<string, number[]>): Record<string, StateNumber[]> {
  return Object.fromEntries(Object.entries(curves).map(([k, v]) => [k, v.map(enc)]));
}
export function decodeCurves(curves: unknown): Record<string, number[]> {
  return Object.fromEntries(Object.entries(curves as Record<string, StateNumber[]>).map(([k, v]) => [k, v.map(dec)]));
}

/** A generator's position (state words and the cached normal), for generators drawn from during training. */
export interface RngPosition {
  s: number[];
  spare: number | null;
}
// Rng keeps its position private; fit() stores its own generator's words, an arm's other generators
// (dropout masks, reparameterisation noise) are saved and put back here, in place (their fork origin stays).
type RngInternals = { s: Uint32Array; spare: number | undefined };
export function rngPosition(r: Rng): RngPosition {
  const i = r as unknown as RngInternals;
  return { s: Array.from(i.s), spare: i.spare ?? null };
}
export function setRngPosition(r: Rng, p: RngPosition, what: string): void {
  if (!Array.isArray(p?.s) || p.s.length !== 4)
    throw new RangeError(`checkpoint: ${what} is not a generator position, got ${JSON.stringify(p).slice(0, 60)}`);
  const i = r as unknown as RngInternals;
  i.s.set(p.s.map((x) => x >>> 0));
  i.spare = p.spare ?? undefined;
}

/** Values of non-trained variables (BatchNorm running averages), and back (shapes checked). */
export function variableValues(vars: readonly Variable[]): number[][] {
  return vars.map((v) => Array.from(v.dataSync()));
}
export function assignVariableValues(vars: readonly Variable[], values: unknown, what: string): void {
  const vs = values as number[][];
  if (!Array.isArray(vs) || vs.length !== vars.length)
    throw new RangeError(`checkpoint: ${what} holds ${Array.isArray(vs) ? vs.length : 'no'} arrays, the model has ${vars.length}`);
  vars.forEach((v, i) => {
    if (!Array.isArray(vs[i]) || vs[i].length !== v.size)
      throw new RangeError(`checkpoint: ${what}[${i}] has ${vs[i]?.length} values, the model's has ${v.size}`);
    tf.tidy(() => v.assign(tf.tensor(vs[i], v.shape, v.dtype)));
  });
}
