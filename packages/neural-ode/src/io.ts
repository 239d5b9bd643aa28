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
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += b === undefined ? '=' : B64[(n >> 6) & 63]!;
    out += c === undefined ? '=' : B64[n & 63]!;
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
      (B64.indexOf(s[i]!) << 18) |
      (B64.indexOf(s[i + 1]!) << 12) |
      ((s[i + 2] === '=' ? 0 : B64.indexOf(s[i + 2]!)) << 6) |
      (s[i + 3] === '=' ? 0 : B64.indexOf(s[i + 3]!));
    if (p < bytes.length) bytes[p++] = (n >> 16) & 255;
    if (p < bytes.length) bytes[p++] = (n >> 8) & 255;
    if (p < bytes.length) bytes[p++] = n & 255;
  }
  return bytes;
}

/** float32 little-endian base64 of the values (rounded to float32). */
export function encodeFloat32(values: ArrayLike<number>): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytesToBase64(new Uint8Array(view.buffer));
}

export function decodeFloat32(s: string, count: number, where = 'decodeFloat32'): Float64Array {
  const bytes = base64ToBytes(s, where);
  if (bytes.length !== count * 4) {
    throw new RangeError(`${where}: expected ${count} float32 values (${count * 4} bytes), got ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** The JSON-ready description of a model (architecture + weights). */
export function serializeModel(field: MlpVectorField, meta?: Record<string, unknown>): ModelFile {
  if (!(field instanceof MlpVectorField)) {
    throw new TypeError(`serializeModel: field must be an MlpVectorField, got ${show(field)}`);
  }
  const w = field.getWeights();
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    spec: { ...field.spec },
    leakyReluAlpha: field.leakyReluAlpha,
    layers: w.weights.map((W, k) => ({
      shape: [W.rows, W.cols],
      weight: encodeFloat32(W.data),
      bias: encodeFloat32(w.biases[k]!),
    })),
  };
  if (meta !== undefined) file.meta = meta;
  return file;
}

/** Rebuild a model from {@link serializeModel}'s output (or its JSON text). */
export function deserializeModel(json: ModelFile | string, opts: Omit<MlpOptions, 'seed' | 'leakyReluAlpha'> = {}): MlpVectorField {
  const where = 'deserializeModel';
  let file: ModelFile;
  try {
    file = typeof json === 'string' ? (JSON.parse(json) as ModelFile) : json;
  } catch (err) {
    throw new SyntaxError(`${where}: not valid JSON: ${(err as Error).message}`);
  }
  if (file == null || file.format !== MODEL_FORMAT) {
    throw new RangeError(`${where}: format must be ${JSON.stringify(MODEL_FORMAT)}, got ${show(file?.format)}`);
  }
  if (file.version !== MODEL_VERSION) {
    throw new RangeError(`${where}: unsupported version ${show(file.version)} (expected ${MODEL_VERSION})`);
  }
  const shapes = layerShapes(file.spec, where);
  if (!Array.isArray(file.layers) || file.layers.length !== shapes.length) {
    throw new RangeError(`${where}: expected ${shapes.length} layers, got ${show(file.layers?.length)}`);
  }
  const weights: DenseMatrix[] = [];
  const biases: Float64Array[] = [];
  shapes.forEach(([fanIn, fanOut], k) => {
    const layer = file.layers[k]!;
    if (!Array.isArray(layer.shape) || layer.shape[0] !== fanIn || layer.shape[1] !== fanOut) {
      throw new RangeError(`${where}: layers[${k}].shape must be [${fanIn}, ${fanOut}], got ${show(layer.shape)}`);
    }
    weights.push({ rows: fanIn, cols: fanOut, data: decodeFloat32(layer.weight, fanIn * fanOut, `${where}: layers[${k}].weight`) });
    biases.push(decodeFloat32(layer.bias, fanOut, `${where}: layers[${k}].bias`));
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
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as ModelFile;
  } catch (err) {
    throw new SyntaxError(`loadModel: ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Load a model saved by {@link saveModel} (Node only). */
export async function loadModel(path: string, opts: Omit<MlpOptions, 'seed' | 'leakyReluAlpha'> = {}): Promise<MlpVectorField> {
  return deserializeModel(await readModelFile(path), opts);
}
