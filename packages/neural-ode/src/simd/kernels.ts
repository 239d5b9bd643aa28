/**
 * The WebAssembly SIMD kernels of assembly/mlp_kernels.ts, instantiated once per thread (synchronously:
 * the module is ~8 KB), and a bump allocator over their memory.
 *
 * Two builds are embedded: plain 128-bit SIMD, and relaxed SIMD (f32x4.relaxed_madd: one fused
 * multiply-add where the hardware has one). The relaxed build is used where the runtime validates it
 * (Chromium; Node 20 after the V8 flag --experimental-wasm-relaxed-simd, which this module sets
 * itself through node:v8 before the first compile); else the plain one. The environment variable
 * SII_RELAXED_SIMD=0 keeps the plain build (and leaves V8's flags alone).
 */
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels_wasm.js';

/** The parts of the WebAssembly API used here (the package's lib settings declare no WebAssembly). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  compile(bytes: Uint8Array): Promise<object>;
}

/** The kernels' exports; pointers are byte offsets into `memory`, sizes are float counts. */
export interface KernelExports {
  readonly memory: WasmMemory;
  gemm(a: number, lda: number, w: number, c: number, ldc: number, rows: number, K: number, N: number, init: number, src: number): void;
  /** Floats of the packed copy of a [K, N] matrix (packPanels, packPanelsT). */
  packedSize(K: number, N: number): number;
  /** Pack M = W [K, N] (row stride ldw) as column panels into dst. */
  packPanels(w: number, ldw: number, K: number, N: number, dst: number): void;
  /** Pack M = Wᵀ [K, N] for W [N, K] (row stride ldw) as column panels into dst. */
  packPanelsT(w: number, ldw: number, K: number, N: number, dst: number): void;
  /**
   * `gemm` against M [K, N] packed at p; its columns from N & ~3 on are read in place at w, entry
   * (k, j) at float k·sk + j·sj. The same bits as `gemm` on M.
   */
  gemmPacked(
    a: number,
    lda: number,
    p: number,
    w: number,
    sk: number,
    sj: number,
    c: number,
    ldc: number,
    rows: number,
    K: number,
    N: number,
    init: number,
    src: number,
  ): void;
  /** `work`: gemmTNWork(K) floats of scratch. */
  gemmTN(a: number, lda: number, d: number, ldd: number, g: number, R: number, K: number, N: number, work: number): void;
  gemmTNWork(K: number): number;
  colSum(d: number, ldd: number, R: number, N: number, s: number): void;
  transpose(a: number, b: number, rows: number, cols: number): void;
  axpy(y: number, x: number, alpha: number, count: number): void;
  copy(dst: number, src: number, count: number): void;
  zero(dst: number, count: number): void;
  activate(kind: number, z: number, y: number, count: number, alpha: number): void;
  activationBackward(kind: number, g: number, z: number, y: number, count: number, alpha: number): void;
  sumSquares(x: number, count: number): number;
  squaredError(pred: number, target: number, grad: number, count: number, scale: number): number;
  momentStep(
    theta: number,
    g: number,
    m: number,
    v: number,
    count: number,
    gscale: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    ibc2: number,
    eps: number,
    cg: number,
    cm: number,
  ): void;
  /** Σ_s weights[s]·Σ_b CE(z[s, b, :], labels[b]) over logits [T, B, C]; its gradient into grad. */
  weightedCrossEntropy(z: number, labels: number, weights: number, grad: number, T: number, B: number, C: number): number;
  layerNormForward(x: number, gamma: number, beta: number, y: number, xhat: number, rstd: number, R: number, H: number, eps: number): void;
  layerNormBackward(
    dy: number,
    xhat: number,
    rstd: number,
    gamma: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    R: number,
    H: number,
  ): void;
  /** End of the module's static data (bytes). */
  staticEnd(): number;
}

/** Byte offset of the kernels' scratch vector (assembly/mlp_kernels.ts: SCRATCH). */
const SCRATCH_BYTE = 2048;

/** `gemm` accumulator initialisation: zero, a bias row, or a matrix with C's row stride. */
export const INIT_ZERO = 0;
export const INIT_BIAS = 1;
export const INIT_MATRIX = 2;

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

let instance: KernelExports | null | undefined;
let instanceVariant: SimdKernelVariant | null = null;
let loadError: string | null = null;

function wasmApi(): WasmApi {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm == null) throw new Error('WebAssembly is not available');
  return wasm;
}

/** Which build of the kernels: 'relaxed' (relaxed SIMD, fused multiply-add) or 'plain' (SIMD only). */
export type SimdKernelVariant = 'relaxed' | 'plain';

/** The smallest module using f32x4.relaxed_madd: (func (param v128 v128 v128) (result v128)). */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 0xfd, 0x85, 0x02,
  11,
]);

interface NodeProcess {
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

function nodeProcess(): NodeProcess | null {
  return (globalThis as { process?: NodeProcess }).process ?? null;
}

let relaxedSupport: boolean | undefined;

/**
 * Whether this runtime runs relaxed SIMD. In Node, when it does not at first, sets V8's
 * --experimental-wasm-relaxed-simd (node:v8 setFlagsFromString; process-wide, so worker threads see
 * it too) and checks again. False when SII_RELAXED_SIMD=0.
 */
export function relaxedSimdSupported(): boolean {
  if (relaxedSupport !== undefined) return relaxedSupport;
  const proc = nodeProcess();
  relaxedSupport = false;
  if (proc?.env?.SII_RELAXED_SIMD === '0') return false;
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm == null) return false;
  try {
    relaxedSupport = wasm.validate(RELAXED_PROBE);
    if (!relaxedSupport && typeof proc?.getBuiltinModule === 'function') {
      const v8 = proc.getBuiltinModule('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
      v8?.setFlagsFromString?.('--experimental-wasm-relaxed-simd');
      relaxedSupport = wasm.validate(RELAXED_PROBE);
    }
  } catch {
    relaxedSupport = false;
  }
  return relaxedSupport;
}

function kernelBytes(wasm: WasmApi, variant: SimdKernelVariant): Uint8Array {
  const bytes = decodeBase64(variant === 'relaxed' ? KERNELS_RELAXED_WASM_BASE64 : KERNELS_WASM_BASE64);
  if (!wasm.validate(bytes)) {
    throw new Error(
      variant === 'relaxed' ? 'this runtime does not support relaxed WebAssembly SIMD' : 'this runtime does not support WebAssembly SIMD',
    );
  }
  return bytes;
}

function preferredVariant(): SimdKernelVariant {
  return relaxedSimdSupported() ? 'relaxed' : 'plain';
}

function instantiate(wasm: WasmApi, module: object): KernelExports {
  const k = new wasm.Instance(module, {}).exports as KernelExports;
  // The kernels' scratch vector sits at 2 KiB, above their static data and below the arena.
  if (k.staticEnd() > SCRATCH_BYTE) throw new Error(`kernel static data ends at ${k.staticEnd()}, above the scratch vector`);
  return k;
}

/**
 * The kernels, or null when this runtime cannot run them (no WebAssembly, or no 128-bit SIMD);
 * `simdKernelsUnavailableReason()` then says why. Compiles synchronously on first use unless
 * {@link loadSimdKernels} ran before (`initBackend` calls it).
 */
export function simdKernels(): KernelExports | null {
  if (instance !== undefined) return instance;
  try {
    const wasm = wasmApi();
    const variant = preferredVariant();
    instance = instantiate(wasm, new wasm.Module(kernelBytes(wasm, variant)));
    instanceVariant = variant;
  } catch (err) {
    loadError = (err as Error).message;
    instance = null;
  }
  return instance;
}

/**
 * Compile the kernels asynchronously (browsers limit synchronous compilation on the main thread);
 * resolves to whether they are available.
 */
export async function loadSimdKernels(): Promise<boolean> {
  if (instance !== undefined) return instance != null;
  try {
    const wasm = wasmApi();
    const variant = preferredVariant();
    const module = await wasm.compile(kernelBytes(wasm, variant));
    if (instance === undefined) {
      instance = instantiate(wasm, module);
      instanceVariant = variant;
    }
  } catch (err) {
    loadError = (err as Error).message;
    instance ??= null;
  }
  return instance != null;
}

export function simdKernelsUnavailableReason(): string | null {
  simdKernels();
  return loadError;
}

/** The build of the kernels this thread runs ({@link simdKernels}), or null when none loads. */
export function simdKernelVariant(): SimdKernelVariant | null {
  simdKernels();
  return instanceVariant;
}

/**
 * A separate instance of one build of the kernels, with its own memory (tests and benchmarks compare
 * the builds); throws when this runtime cannot run it.
 */
export function createSimdKernels(variant: SimdKernelVariant): KernelExports {
  if (variant === 'relaxed') relaxedSimdSupported();
  const wasm = wasmApi();
  return instantiate(wasm, new wasm.Module(kernelBytes(wasm, variant)));
}

const PAGE = 65536;
/** The arena starts above the module's own (tiny) static data. */
const ARENA_BASE = PAGE;

/**
 * Bump allocator over the kernels' memory: `alloc` hands out 16-byte-aligned float buffers (with 16
 * bytes of slack after each), `reset` frees everything. Allocations are deterministic: the same
 * sequence of sizes after a reset yields the same pointers (the rollout relies on this to find what
 * a forward pass left behind).
 */
export class Arena {
  private top = ARENA_BASE;
  private view: Float32Array;

  constructor(readonly k: KernelExports) {
    this.view = new Float32Array(k.memory.buffer);
  }

  reset(): void {
    this.top = ARENA_BASE;
  }

  /** A buffer of `floats` float32 values (not cleared); returns its byte pointer. */
  alloc(floats: number): number {
    const ptr = this.top;
    this.top += Math.ceil((floats * 4) / 16) * 16 + 16;
    const need = this.top - this.k.memory.buffer.byteLength;
    if (need > 0) {
      try {
        this.k.memory.grow(Math.ceil(need / PAGE));
      } catch (err) {
        const mb = Math.ceil(this.top / 2 ** 20);
        this.top = ptr;
        throw new RangeError(
          `fastRollout (simd engine): the rollout needs ${mb} MB of kernel memory, more than WebAssembly can give (${(err as Error).message}); use a smaller batch or more steps per call, or engine 'tfjs'`,
        );
      }
    }
    return ptr;
  }

  /** The whole memory as floats (refreshed after growth). */
  f32(): Float32Array {
    if (this.view.buffer !== this.k.memory.buffer) this.view = new Float32Array(this.k.memory.buffer);
    return this.view;
  }

  /** Copy `values` into the buffer at ptr. */
  write(ptr: number, values: ArrayLike<number>): void {
    this.f32().set(values, ptr >>> 2);
  }

  /** A copy of `floats` values at ptr. */
  read(ptr: number, floats: number): Float32Array {
    return this.f32().slice(ptr >>> 2, (ptr >>> 2) + floats);
  }

  /** The bytes in use (from the arena's base). */
  get used(): number {
    return this.top - ARENA_BASE;
  }
}

let arena: Arena | null = null;

/** The thread's one arena over the kernels' memory (null without SIMD kernels). */
export function simdArena(): Arena | null {
  const k = simdKernels();
  if (k == null) return null;
  arena ??= new Arena(k);
  return arena;
}
