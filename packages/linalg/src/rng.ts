/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna) whose 128-bit state is filled by
 * splitmix32. Only 32-bit integer operations (Math.imul, >>> 0) are used, so a seed gives the same
 * numbers on every platform. The exact algorithms are documented in README.md.
 */

import { brandClass, hasBrand } from './brand.js';

/** A seed: a safe integer (any sign) or a string (hashed with FNV-1a over its UTF-8 bytes). */
export type RngSeed = number | string;

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

const GOLDEN = 0x9e3779b9;
const TWO_POW_32 = 4294967296;
const TWO_POW_M53 = 1 / 9007199254740992;

/** 32-bit FNV-1a hash of the UTF-8 bytes of `s` (offset basis 0x811c9dc5, prime 0x01000193). */
export function fnv1a32(s: string): number {
  const bytes = new TextEncoder().encode(s);
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32 output function: a bijective 32-bit mix (MurmurHash3-style finalizer). */
function mix32(z: number): number {
  z ^= z >>> 16;
  z = Math.imul(z, 0x21f0aaad);
  z ^= z >>> 15;
  z = Math.imul(z, 0x735a2d97);
  z ^= z >>> 15;
  return z >>> 0;
}

/**
 * splitmix32 generator: state ← state + 0x9e3779b9 (mod 2³²), output mix32(state). Returns a function
 * producing successive unsigned 32-bit outputs.
 */
export function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + GOLDEN) >>> 0;
    return mix32(state);
  };
}

/** Reduce a seed or stream id to 32 bits: integers → low word XOR mix32(high word); strings → FNV-1a. */
function seedKey(seed: RngSeed, what: string): number {
  if (typeof seed === 'string') return fnv1a32(seed);
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new RangeError(`Rng: ${what} must be a safe integer or a string, got ${String(seed)}`);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return hi === 0 ? lo : (lo ^ mix32(hi)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Seeded random number generator (xoshiro128**, seeded by splitmix32). */
export class Rng {
  // Private members are @internal: the build strips them from the .d.ts, so the Rng types of two copies of
  // @sii/linalg stay assignable to each other (TypeScript compares classes with private members nominally).
  /** @internal Initial state words; {@link fork} derives sub-streams from these, not from the current state. */
  private readonly origin: Uint32Array;
  /** @internal */
  private readonly s = new Uint32Array(4);
  /** @internal Second value of the last Marsaglia polar pair, returned by the next {@link normal} call. */
  private spare: number | undefined = undefined;

  /**
   * @param seed safe integer or string. Integer seeds in [0, 2³²) are used directly as the splitmix32
   *   seed; larger ones are folded to 32 bits; strings are hashed with FNV-1a (UTF-8).
   */
  constructor(seed: RngSeed) {
    const next = splitmix32(seedKey(seed, 'seed'));
    this.origin = new Uint32Array([next(), next(), next(), next()]);
    this.s.set(this.origin);
  }

  /** Build a generator directly from a 128-bit state (not all zero). */
  static fromState(state: ArrayLike<number>): Rng {
    if (state.length !== 4) throw new RangeError(`Rng.fromState: state must have 4 words, got ${state.length}`);
    const r = new Rng(0);
    const words = Uint32Array.from(state, (x) => x >>> 0);
    if (words.every((w) => w === 0)) throw new RangeError('Rng.fromState: state must not be all zero');
    r.origin.set(words);
    r.s.set(words);
    return r;
  }

  /** Copy of the current 128-bit state (s0..s3). */
  state(): Uint32Array {
    return Uint32Array.from(this.s);
  }

  /** Independent copy at the same position (including the cached normal). */
  clone(): Rng {
    const r = Rng.fromState(this.origin);
    r.s.set(this.s);
    r.spare = this.spare;
    return r;
  }

  /** Next raw unsigned 32-bit output of xoshiro128**. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits: (a >>> 5)·2²⁶ + (b >>> 6), scaled by 2⁻⁵³. */
  next(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * TWO_POW_M53;
  }

  /** Uniform double in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    checkRange(lo, hi, 'uniform');
    const x = lo + (hi - lo) * this.next();
    // Rounding can reach hi when hi − lo is not a power of two; keep the interval half-open.
    return x < hi ? x : lo;
  }

  /**
   * Normal deviate by the Marsaglia polar method. Each accepted pair (u, v) yields two deviates; the
   * second is cached and returned by the next call (the cache belongs to this generator's state).
   */
  normal(mean = 0, std = 1): number {
    if (!Number.isFinite(mean)) throw new RangeError(`normal: mean must be finite, got ${mean}`);
    if (!(std >= 0) || !Number.isFinite(std)) throw new RangeError(`normal: std must be finite and >= 0, got ${std}`);
    return mean + std * this.standardNormal();
  }

  /** @internal */
  private standardNormal(): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return z;
    }
    for (;;) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * f;
        return u * f;
      }
    }
  }

  /** True with probability p (p ∈ [0, 1]): next() < p. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}`);
    return this.next() < p;
  }

  /** Unbiased integer in 0..n−1 (1 ≤ n ≤ 2³²) by rejection of the top 2³² mod n raw outputs. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`int: n must be an integer in [1, 2^32], got ${n}`);
    }
    if (n === TWO_POW_32) return this.nextUint32();
    // Accept x < 2³² − (2³² mod n), which holds a whole number of copies of 0..n−1.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Random permutation of 0..n−1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new RangeError(`permutation: n must be a non-negative integer, got ${n}`);
    }
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }

  /** Shuffle in place (Fisher–Yates from the end: swap a[i] with a[int(i + 1)] for i = n−1..1). */
  shuffle<T>(a: T[] | TypedArray): void {
    const arr = a as unknown as { length: number; [i: number]: unknown };
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
  }

  /**
   * Independent sub-stream, a function of (seed, stream) only: the parent's position is irrelevant and
   * the parent is not advanced. Word i of the child's state is mix32(origin_i XOR mix32(key + (i+1)·φ)),
   * with φ = 0x9e3779b9 and key the 32-bit stream id (integers as seeds, strings by FNV-1a).
   */
  fork(stream: RngSeed): Rng {
    const key = seedKey(stream, 'stream');
    const words = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      const salt = mix32((key + Math.imul(i + 1, GOLDEN)) >>> 0);
      words[i] = mix32((this.origin[i] ^ salt) >>> 0);
    }
    if (words.every((w) => w === 0)) words[0] = 1;
    return Rng.fromState(words);
  }

  /** Fill `out` with uniform numbers in [lo, hi); returns `out`. */
  fillUniform(out: Float64Array, lo = 0, hi = 1): Float64Array {
    checkRange(lo, hi, 'fillUniform');
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** Fill `out` with normal deviates N(mean, std²); returns `out`. */
  fillNormal(out: Float64Array, mean = 0, std = 1): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }
}

function checkRange(lo: number, hi: number, fn: string): void {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new RangeError(`${fn}: need finite lo < hi, got lo=${lo}, hi=${hi}`);
  }
  // lo + (hi − lo)·u needs a finite width; an overflowing one returned lo every time
  if (!Number.isFinite(hi - lo)) throw new RangeError(`${fn}: hi − lo overflows, got lo=${lo}, hi=${hi}`);
}

/** Brand key of {@link Rng}: `instanceof Rng` and {@link isRng} accept an Rng from any copy of @sii/linalg. */
export const RNG_BRAND = 'sii.Rng';
brandClass(Rng, RNG_BRAND);

/** Whether `value` is an {@link Rng} from any copy of @sii/linalg (brand check, not `instanceof`). */
export function isRng(value: unknown): value is Rng {
  return hasBrand(value, RNG_BRAND);
}
