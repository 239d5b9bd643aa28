/**
 * Model files: JSON with the architecture and the float32 weights as base64 (little-endian), so a
 * save/load round trip reproduces every weight bit for bit.
 */
import type { DenseMatrix } from '@sii/linalg';
import { layerShapes, type MlpSpec } from '@sii/mlp';
import { type MlpOptions, MlpVectorField } from './mlp.js';
import { show } from './validate.js';

export const MODEL_FORMAT = 'sii-neural-ode/mlp';
export const MODEL_VERSION = 1;

/**
 * What a model file may declare, checked before anything is allocated: at most 64 Linear layers,
 * 65,536 states, inputs or hidden units, and 2^25 (33,554,432) parameters in all (128 MiB of float32,
 * a 179 MB file); the file itself at most 256 MiB. The paper's largest model has 3 layers of 128 units.
 */
export const MODEL_LIMITS = Object.freeze({ layers: 64, width: 65_536, parameters: 2 ** 25, fileBytes: 256 * 1024 * 1024 });

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: number;
  spec: MlpSpec;
  leakyReluAlpha: number;
  /** Per layer: W (in×out, row-major) and b, each float32 little-endian base64. */
  layers: { shape: [number, number]; weight: string; bias: string }[];
  /** Free-form metadata (solver, step, training info, …). */
  meta?: Record<string, unknown>;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i];
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += b === undefined ? '=' : B64[(n >> 6) & 63];
    out += c === undefined ? '=' : B64[n & 63];
  }
  return out;
}

function base64ToBytes(s: string, where: string): Uint8Array {
  if (typeof s !== 'string' || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw new RangeError(`${where}: invalid base64 string ${show(String(s).slice(0, 24))}`);
  }
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((s.length / 4) * 3 - pad);
  let p = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n =
      (B64.indexOf(s[i]) << 18) |
      (B64.indexOf(s[i + 1]) << 12) |
      ((s[i + 2] === '=' ? 0 : B64.indexOf(s[i + 2])) << 6) |
      (s[i + 3] === '=' ? 0 : B64.indexOf(s[i + 3]));
    if (p < bytes.length) bytes[p++] = (n >> 16) & 255;
    if (p < bytes.length) bytes[p++] = (n >> 8) & 255;
    if (p < bytes.length) bytes[p++] = n & 255;
  }
  return bytes;
}

/** float32 little-endian base64 of the values (rounded to float32). */
export function encodeFloat32(values: ArrayLike<number>): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytesToBase64(new Uint8Array(view.buffer));
}

export function decodeFloat32(s: string, count: number, where = 'decodeFloat32'): Float64Array {
  if (typeof s !== 'string') throw new TypeError(`${where}: must be a base64 string, got ${show(s)}`);
  // 4·count bytes are 4·ceil(4·count/3) base64 characters: refuse another length before decoding
  const chars = 4 * Math.ceil((count * 4) / 3);
  if (s.length !== chars) {
    throw new RangeError(
      `${where}: expected ${count} float32 values (${count * 4} bytes, ${chars} base64 characters), got ${s.length} characters`,
    );
  }
  const bytes = base64ToBytes(s, where);
  if (bytes.length !== count * 4) {
    throw new RangeError(`${where}: expected ${count} float32 values (${count * 4} bytes), got ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function assertFiniteWeights(values: ArrayLike<number>, where: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`${where}[${i}] is ${values[i]}: a model with non-finite weights cannot be saved (training diverged?)`);
    }
  }
}

/**
 * Check a declared spec against {@link MODEL_LIMITS} with arithmetic only (no shapes built), so that a
 * file declaring 3e7 layers or 1e9 units fails at once. The spec's own rules are checked afterwards.
 */
function assertSpecWithinLimits(spec: unknown, where: string): void {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new TypeError(`${where}: spec must be an object { states, inputs, hidden, layers, activation }, got ${show(spec)}`);
  }
  const s = spec as Record<string, unknown>;
  const field = (name: string, min: number, max: number): number => {
    const v = s[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(`${where}: spec.${name} must be an integer in [${min}, ${max}], got ${show(v)}`);
    }
    return v;
  };
  const { layers: maxLayers, width, parameters } = MODEL_LIMITS;
  const L = field('layers', 1, maxLayers);
  const n = field('states', 1, width);
  const m = field('inputs', 0, width);
  const H = L > 1 ? field('hidden', 1, width) : 0;
  // Σ (in + 1)·out over (n+m) → H → … → H → n
  const count = L === 1 ? (n + m + 1) * n : (n + m + 1) * H + (L - 2) * (H + 1) * H + (H + 1) * n;
  if (count > parameters) {
    throw new RangeError(`${where}: spec declares ${count} parameters, more than the limit of ${parameters}`);
  }
}

/** The JSON-ready description of a model (architecture + weights). */
export function serializeModel(field: MlpVectorField, meta?: Record<string, unknown>): ModelFile {
  if (!(field instanceof MlpVectorField)) {
    throw new TypeError(`serializeModel: field must be an MlpVectorField, got ${show(field)}`);
  }
  const w = field.getWeights();
  w.weights.forEach((W, k) => {
    assertFiniteWeights(W.data, `serializeModel: layers[${k}].weight`);
    assertFiniteWeights(w.biases[k], `serializeModel: layers[${k}].bias`);
  });
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    spec: { ...field.spec },
    leakyReluAlpha: field.leakyReluAlpha,
    layers: w.weights.map((W, k) => ({
      shape: [W.rows, W.cols],
      weight: encodeFloat32(W.data),
      bias: encodeFloat32(w.biases[k]),
    })),
  };
  if (meta !== undefined) file.meta = meta;
  return file;
}

/** Rebuild a model from {@link serializeModel}'s output (or its JSON text). */
export function deserializeModel(json: ModelFile | string, opts: Omit<MlpOptions, 'seed' | 'leakyReluAlpha'> = {}): MlpVectorField {
  return deserializeModelAt(json, opts, 'deserializeModel');
}

function deserializeModelAt(json: ModelFile | string, opts: Omit<MlpOptions, 'seed' | 'leakyReluAlpha'>, where: string): MlpVectorField {
  let file: ModelFile;
  try {
    file = typeof json === 'string' ? (JSON.parse(json) as ModelFile) : json;
  } catch (err) {
    throw new SyntaxError(`${where}: not valid JSON: ${(err as Error).message}`);
  }
  if (file === null || typeof file !== 'object' || file.format !== MODEL_FORMAT) {
    throw new RangeError(
      `${where}: format must be ${JSON.stringify(MODEL_FORMAT)}, got ${show(file !== null && typeof file === 'object' ? file.format : file)}`,
    );
  }
  if (file.version !== MODEL_VERSION) {
    throw new RangeError(`${where}: unsupported version ${show(file.version)} (expected ${MODEL_VERSION})`);
  }
  assertSpecWithinLimits(file.spec, where);
  const shapes = layerShapes(file.spec, where);
  if (!Array.isArray(file.layers) || file.layers.length !== shapes.length) {
    throw new RangeError(
      `${where}: expected ${shapes.length} layers, got ${show(Array.isArray(file.layers) ? file.layers.length : file.layers)}`,
    );
  }
  if (typeof file.leakyReluAlpha !== 'number' || !Number.isFinite(file.leakyReluAlpha)) {
    throw new RangeError(`${where}: leakyReluAlpha must be a finite number, got ${show(file.leakyReluAlpha)}`);
  }
  const weights: DenseMatrix[] = [];
  const biases: Float64Array[] = [];
  shapes.forEach(([fanIn, fanOut], k) => {
    const layer: unknown = file.layers[k];
    if (layer === null || typeof layer !== 'object' || Array.isArray(layer)) {
      throw new TypeError(`${where}: layers[${k}] must be an object { shape, weight, bias }, got ${show(layer)}`);
    }
    const { shape, weight, bias } = layer as Record<string, unknown>;
    if (!Array.isArray(shape) || shape.length !== 2 || shape[0] !== fanIn || shape[1] !== fanOut) {
      throw new RangeError(`${where}: layers[${k}].shape must be [${fanIn}, ${fanOut}], got ${show(shape)}`);
    }
    const W = decodeFloat32(weight as string, fanIn * fanOut, `${where}: layers[${k}].weight`);
    const b = decodeFloat32(bias as string, fanOut, `${where}: layers[${k}].bias`);
    assertFiniteWeights(W, `${where}: layers[${k}].weight`);
    assertFiniteWeights(b, `${where}: layers[${k}].bias`);
    weights.push({ rows: fanIn, cols: fanOut, data: W });
    biases.push(b);
  });
  return new MlpVectorField(file.spec, { weights, biases }, { ...opts, leakyReluAlpha: file.leakyReluAlpha });
}

/** Write the model to a JSON file (Node only). */
export async function saveModel(field: MlpVectorField, path: string, meta?: Record<string, unknown>): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`saveModel: path must be a non-empty string, got ${show(path)}`);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, `${JSON.stringify(serializeModel(field, meta))}\n`, 'utf8');
}

/** Read a model file written by {@link saveModel} (Node only). */
export async function readModelFile(path: string): Promise<ModelFile> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`loadModel: path must be a non-empty string, got ${show(path)}`);
  const { readFile, stat } = await import('node:fs/promises');
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MODEL_LIMITS.fileBytes) {
      throw new RangeError(`${size} bytes, more than the limit of ${MODEL_LIMITS.fileBytes} for a model file`);
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`loadModel: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as ModelFile;
  } catch (err) {
    throw new SyntaxError(`loadModel: ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Load a model saved by {@link saveModel} (Node only). */
export async function loadModel(path: string, opts: Omit<MlpOptions, 'seed' | 'leakyReluAlpha'> = {}): Promise<MlpVectorField> {
  return deserializeModelAt(await readModelFile(path), opts, `loadModel: ${path}`);
}
