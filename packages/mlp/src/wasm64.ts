/**
 * The float64 affine kernel of assembly/affine64.ts (WebAssembly SIMD): loaded once, synchronously;
 * each evaluator gets its own instance and memory holding a copy of its weights. Null where the
 * runtime has no WebAssembly or no 128-bit SIMD (the JavaScript loop is used there; both give the
 * same bits).
 */
import { AFFINE64_WASM_BASE64 } from './affine64_wasm.js';
import type { MlpWeights } from './spec.js';

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
type AffineKernel = (h: number, rows: number, w: number, cols: number, b: number, out: number, idx: number) => void;

let compiled: object | null | undefined;

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The compiled kernel module, or null when this runtime cannot run it. */
function affineModule(): object | null {
  if (compiled !== undefined) return compiled;
  try {
    const wasm = wasmApi();
    const bytes = decodeBase64(AFFINE64_WASM_BASE64);
    compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Whether the SIMD kernel can run here (WebAssembly with 128-bit SIMD). */
export function affine64WasmAvailable(): boolean {
  return affineModule() !== null;
}

const PAGE = 65536;
const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Layers of an MLP held in one kernel instance: input buffer, per-layer outputs, weights. */
export interface WasmLayers {
  /** the input vector (length sizes[0]) */
  input: Float64Array;
  /** the output of every layer (length sizes[k + 1]) */
  outputs: Float64Array[];
  /** outputs[k] ← input of layer k · W_k + b_k (input of layer 0 is `input`, of layer k it is outputs[k − 1]) */
  affine(k: number): void;
}

/** A kernel instance with a copy of the weights (layer sizes `sizes`), or null without the kernel. */
export function wasmLayers(sizes: readonly number[], w: MlpWeights): WasmLayers | null {
  const module = affineModule();
  const wasm = wasmApi();
  if (module === null || wasm === undefined) return null;
  const L = sizes.length - 1;
  let top = 0;
  const take = (bytes: number) => {
    const at = top;
    top += align16(bytes);
    return at;
  };
  const wAt: number[] = [];
  const bAt: number[] = [];
  for (let k = 0; k < L; k++) {
    wAt.push(take(sizes[k] * sizes[k + 1] * 8));
    bAt.push(take(sizes[k + 1] * 8));
  }
  const ioAt = sizes.map((s) => take(s * 8));
  const idxAt = take(Math.max(...sizes) * 4);
  const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(top / PAGE)) });
  const kernel = new wasm.Instance(module, { env: { memory } }).exports.affine as AffineKernel;
  const buf = memory.buffer;
  for (let k = 0; k < L; k++) {
    new Float64Array(buf, wAt[k], sizes[k] * sizes[k + 1]).set(w.weights[k].data);
    new Float64Array(buf, bAt[k], sizes[k + 1]).set(w.biases[k]);
  }
  const views = sizes.map((s, k) => new Float64Array(buf, ioAt[k], s));
  return {
    input: views[0],
    outputs: views.slice(1),
    affine: (k) => kernel(ioAt[k], sizes[k], wAt[k], sizes[k + 1], bAt[k], ioAt[k + 1], idxAt),
  };
}
