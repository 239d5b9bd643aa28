/**
 * The shared-memory mailbox between the calling thread and one SIMD rollout worker (threads.ts,
 * rollout_worker.ts): a control block the two sides signal through with Atomics, the rollout problem
 * as float64 numbers, and a float32 data area for inputs and results. No message passing per call:
 * a command is a write and a notify, its completion likewise.
 */
import { SIMD_ACTIVATIONS, type SimdActivation, type SimdRolloutProblem } from './mlp_rollout.js';

/** Control block (Int32 indices). */
export const SEQ = 0; // command counter, bumped by the caller
export const DONE = 1; // the last command finished, written by the worker
export const STATUS = 2; // 0 ok, 1 error (message in the error area)
export const CMD = 3;
export const ID = 4; // the caller's rollout id
export const TAPED = 5; // forward: keep the data for a backward pass
export const WANT_INPUTS = 6; // backward: compute the gradient with respect to u
export const ERROR_LENGTH = 7;

export const CMD_FORWARD = 1;
export const CMD_BACKWARD = 2;
export const CMD_STOP = 3;

const CONTROL_BYTES = 64;
const ERROR_CHARS = 2048;
const PROBLEM_DOUBLES = 1024;
const PROBLEM_OFFSET = CONTROL_BYTES + ERROR_CHARS * 2;
const DATA_OFFSET = PROBLEM_OFFSET + PROBLEM_DOUBLES * 8;

/** Data area of a mailbox (floats): problems needing more run on the calling thread alone. */
export const MAILBOX_FLOATS = 4 * 1024 * 1024;

export class Mailbox {
  readonly control: Int32Array;
  readonly errorText: Uint16Array;
  readonly problem: Float64Array;
  readonly data: Float32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.errorText = new Uint16Array(buffer, CONTROL_BYTES, ERROR_CHARS);
    this.problem = new Float64Array(buffer, PROBLEM_OFFSET, PROBLEM_DOUBLES);
    this.data = new Float32Array(buffer, DATA_OFFSET, (buffer.byteLength - DATA_OFFSET) / 4);
  }

  static create(): Mailbox {
    return new Mailbox(new SharedArrayBuffer(DATA_OFFSET + MAILBOX_FLOATS * 4));
  }

  /** Whether a problem's encoding fits (layers and stages are bounded by the problem area). */
  static fits(p: SimdRolloutProblem): boolean {
    const s = p.b.length;
    return 16 + p.widths.length + s * s + s <= PROBLEM_DOUBLES;
  }

  writeProblem(p: SimdRolloutProblem): void {
    const s = p.b.length;
    const v = [p.n, p.m, p.widths.length, ...p.widths, SIMD_ACTIVATIONS[p.activation], p.alpha, p.batch, p.steps, s];
    for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) v.push(p.a[i]?.[j] ?? 0);
    v.push(...p.b, p.output === 'final' ? 1 : 0, p.includeInitial ? 1 : 0, p.uBatch, p.checkpointEvery ?? 0);
    this.problem.set(v);
  }

  readProblem(): SimdRolloutProblem {
    const v = this.problem;
    let i = 0;
    const next = () => v[i++];
    const n = next();
    const m = next();
    const L = next();
    const widths = Array.from({ length: L }, next);
    const kind = next();
    const activation = (Object.keys(SIMD_ACTIVATIONS) as SimdActivation[]).find((k) => SIMD_ACTIVATIONS[k] === kind)!;
    const alpha = next();
    const batch = next();
    const steps = next();
    const s = next();
    const a = Array.from({ length: s }, () => Array.from({ length: s }, next));
    const b = Array.from({ length: s }, next);
    const output = next() === 1 ? 'final' : 'all';
    const includeInitial = next() === 1;
    const uBatch = next();
    const checkpointEvery = next();
    return { n, m, widths, activation, alpha, batch, steps, a, b, output, includeInitial, uBatch, checkpointEvery };
  }

  setError(message: string): void {
    const text = message.slice(0, ERROR_CHARS);
    for (let i = 0; i < text.length; i++) this.errorText[i] = text.charCodeAt(i);
    this.control[ERROR_LENGTH] = text.length;
    this.control[STATUS] = 1;
  }

  error(): string {
    return String.fromCharCode(...this.errorText.subarray(0, this.control[ERROR_LENGTH]));
  }
}

/** Busy-wait up to `spinMs` for control[index] to leave `value`, then block (Atomics.wait). */
export function waitChange(
  control: Int32Array,
  index: number,
  value: number,
  spinMs: number,
  timeoutMs = Number.POSITIVE_INFINITY,
): boolean {
  const until = performance.now() + spinMs;
  while (Atomics.load(control, index) === value) {
    if (performance.now() >= until) {
      const r = Atomics.wait(control, index, value, timeoutMs);
      if (r === 'timed-out') return false;
    }
  }
  return true;
}
