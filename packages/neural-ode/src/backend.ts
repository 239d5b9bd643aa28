/**
 * Backend selection. One call, `await initBackend()`, makes tfjs-core usable for training in plain
 * Node ESM, under vitest and in browser bundles:
 * - registers the gradients this package needs (see gradients.ts) and a set of chained tensor
 *   methods (`x.add(y)`, ...) that tfjs-core's Node entry leaves out;
 * - loads the WASM backend (SIMD when the runtime supports it) or, on explicit request, the CPU
 *   backend; both are imported dynamically so that only the requested one is loaded;
 * - checks that the backend registered itself with the same tfjs-core engine this package uses.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { registerGradients } from './gradients.js';
import { loadSimdKernels } from './simd/kernels.js';

export type BackendName = 'wasm' | 'cpu';

/** Paths of the WASM binaries: a directory/URL prefix, or a map from binary file name to URL. */
export type WasmPaths = string | Record<string, string>;

export interface InitBackendOptions {
  /** 'wasm' (default) or 'cpu'. The cpu backend is only ever used when asked for here. */
  backend?: BackendName;
  /**
   * Where the `.wasm` files are served from (bundlers: copy
   * `node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm` to your assets and pass their URL prefix).
   * Not needed in Node, where the files are found next to the backend's script.
   */
  wasmPaths?: WasmPaths;
}

export interface BackendInfo {
  backend: BackendName;
  /** WASM SIMD binary in use (always false for cpu). */
  simd: boolean;
  /** Multi-threaded WASM binary in use (never in Node). */
  threads: boolean;
}

/** Chained tensor methods registered by {@link registerChainedOps}: `x.name(...args) = tf.name(x, ...args)`. */
export const CHAINED_OPS = [
  'abs',
  'add',
  'sub',
  'mul',
  'div',
  'neg',
  'exp',
  'log',
  'sqrt',
  'square',
  'pow',
  'maximum',
  'minimum',
  'sum',
  'mean',
  'max',
  'min',
  'matMul',
  'reshape',
  'transpose',
  'slice',
  'squeeze',
  'expandDims',
  'tile',
  'cast',
  'clipByValue',
  'tanh',
  'sigmoid',
  'relu',
  'elu',
  'selu',
  'softplus',
  'leakyRelu',
  'sign',
  'greater',
  'greaterEqual',
  'less',
  'lessEqual',
  'equal',
  'norm',
  'dot',
  'sin',
  'cos',
  'step',
  'isNaN',
] as const;

/**
 * Add the chained tensor methods in {@link CHAINED_OPS} to tfjs-core's Tensor class where they are
 * missing (tfjs-core's Node entry registers none). Existing methods are left alone. Idempotent.
 */
export function registerChainedOps(): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const ops = tf as unknown as Record<string, (...args: unknown[]) => Tensor>;
  for (const name of CHAINED_OPS) {
    const op = ops[name];
    if (typeof op !== 'function' || typeof proto[name] === 'function') continue;
    Object.defineProperty(proto, name, {
      configurable: true,
      writable: true,
      value(this: Tensor, ...args: unknown[]) {
        return op(this, ...args);
      },
    });
  }
}

let active: BackendInfo | null = null;

/** The backend selected by the last successful {@link initBackend}, or null. */
export function backendInfo(): BackendInfo | null {
  return active && tf.getBackend() === active.backend ? { ...active } : null;
}

async function loadBackendModule(name: BackendName): Promise<typeof import('@tensorflow/tfjs-backend-wasm') | null> {
  if (name === 'wasm') return await import('@tensorflow/tfjs-backend-wasm');
  await import('@tensorflow/tfjs-backend-cpu');
  return null;
}

/**
 * Select and start a compute backend, register gradients and chained ops. Safe to call repeatedly;
 * switching between 'wasm' and 'cpu' is allowed (tensors move lazily between backends).
 * @throws Error naming the backend and the cause when it cannot start.
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const name = opts.backend ?? 'wasm';
  if (name !== 'wasm' && name !== 'cpu') {
    throw new RangeError(`initBackend: options.backend must be 'wasm' or 'cpu', got ${JSON.stringify(name)}`);
  }
  const wasmPaths = opts.wasmPaths;
  if (wasmPaths !== undefined && typeof wasmPaths !== 'string' && (typeof wasmPaths !== 'object' || wasmPaths === null)) {
    throw new TypeError(`initBackend: options.wasmPaths must be a string or a file map, got ${String(wasmPaths)}`);
  }
  registerGradients();
  registerChainedOps();
  // The fast rollout's own WebAssembly SIMD kernels (compiled asynchronously here: browsers restrict
  // synchronous compilation on the main thread). Without SIMD the fast rollout uses tfjs kernels.
  await loadSimdKernels();

  let wasmModule: Awaited<ReturnType<typeof loadBackendModule>>;
  try {
    wasmModule = await loadBackendModule(name);
  } catch (err) {
    throw new Error(`initBackend: could not load the ${name} backend module: ${(err as Error).message}`);
  }
  if (tf.findBackendFactory(name) == null) {
    throw new Error(
      `initBackend: the ${name} backend did not register with this copy of @tensorflow/tfjs-core ` +
        '(two copies of tfjs-core are loaded; make sure the bundler resolves a single @tensorflow/tfjs-core 4.22.0)',
    );
  }
  const alreadyUp = tf.engine().backendName === name && tf.findBackend(name) != null;
  if (name === 'wasm' && wasmPaths !== undefined && !alreadyUp) {
    try {
      wasmModule!.setWasmPaths(wasmPaths);
    } catch (err) {
      throw new Error(`initBackend: invalid wasmPaths ${JSON.stringify(wasmPaths)}: ${(err as Error).message}`);
    }
  }
  if (!alreadyUp) {
    let ok = false;
    let cause = 'setBackend returned false';
    try {
      ok = await tf.setBackend(name);
    } catch (err) {
      cause = err instanceof Error ? err.message : String((err as { message?: string })?.message ?? err);
    }
    if (!ok) {
      const hint =
        name === 'wasm'
          ? ' (in a browser bundle, serve the tfjs-backend-wasm*.wasm files and pass their location as options.wasmPaths)'
          : '';
      throw new Error(`initBackend: the ${name} backend failed to start: ${cause}${hint}`);
    }
  }
  await tf.ready();
  let simd = false;
  let threads = false;
  if (name === 'wasm') {
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const multi = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    threads = multi && simd && wasmModule!.getThreadsCount() > 1;
  }
  active = { backend: name, simd, threads };
  return { ...active };
}

/** Throw a clear error when no backend was started through {@link initBackend}. */
export function requireBackend(caller: string): void {
  if (active == null) {
    throw new Error(`${caller}: no backend initialised; call \`await initBackend()\` first`);
  }
}
