// Small numeric helpers shared by the packages' tests (test code only; packages import them as
// `@sii/vitest-preset/numbers`). Independent of every sii package, so a test can use them as reference.

/** Deterministic pseudo-random numbers in [-1, 1) (LCG, Numerical Recipes constants) for test data. */
export function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** ‖a − b‖₂ / ‖b‖₂ (denominator at least 1e-30). */
export function relErr(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/** max |a − b| / max(max |b|, 1e-3) over all entries. */
export function scaledErr(a, b) {
  let num = 0;
  let den = 1e-3;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** max |a_i|. */
export function maxAbs(a) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Σ a_i² / length. */
export function meanSquare(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s / a.length;
}

/** Whether two typed arrays (or other buffer views) hold the same bytes: bit-identical numbers. */
export function sameBytes(a, b) {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
