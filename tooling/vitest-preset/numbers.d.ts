/** Deterministic pseudo-random numbers in [-1, 1) (LCG) for test data. */
export declare function lcg(seed: number): () => number;
/** ‖a − b‖₂ / ‖b‖₂ (denominator at least 1e-30). */
export declare function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number;
/** max |a − b| / max(max |b|, 1e-3) over all entries. */
export declare function scaledErr(a: ArrayLike<number>, b: ArrayLike<number>): number;
/** max |a_i|. */
export declare function maxAbs(a: ArrayLike<number>): number;
/** Σ a_i² / length. */
export declare function meanSquare(a: ArrayLike<number>): number;
/** Whether two typed arrays (or other buffer views) hold the same bytes: bit-identical numbers. */
export declare function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean;
