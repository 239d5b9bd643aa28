/**
 * The authors split segments and recordings with scikit-learn's
 * `train_test_split(items, test_size=0.2, random_state=42)`. That call draws
 * `numpy.random.RandomState(42).permutation(n)`; the first ceil(0.2·n) indices are the test set and
 * the next n − ceil(0.2·n) the training set (both in permutation order). This module reproduces the
 * draw exactly: MT19937 seeded as numpy's legacy `RandomState(seed)` (init_genrand), and numpy's
 * legacy Fisher–Yates shuffle with masked rejection sampling of each index.
 */

const N = 624;
const M = 397;

/** MT19937 (Matsumoto & Nishimura) with init_genrand seeding, as numpy.random.RandomState(int). */
export class MersenneTwister {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer in [0, 2^32 − 1], got ${seed}`);
    }
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      // 1812433253 · prev + i (mod 2^32), split to stay exact in float64
      this.mt[i] = (((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i) >>> 0;
    }
  }

  /** Next 32-bit output (tempered). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
        mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform integer in [0, max] by masked rejection (numpy's legacy random_interval, max < 2^32). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (;;) {
      const v = (this.nextUint32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }
}

/** numpy.random.RandomState(seed).permutation(n). */
export function numpyPermutation(n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  const rng = new MersenneTwister(seed);
  const a = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i >= 1; i--) {
    const j = rng.interval(i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/**
 * Indices of scikit-learn's train_test_split(range(n), test_size, random_state=seed) (shuffled,
 * unstratified): test = the first ceil(test_size·n) of the permutation, train = the rest, both in
 * permutation order.
 */
export function sklearnTrainTestSplit(n: number, testSize: number, seed: number): { train: Int32Array; test: Int32Array } {
  if (!(testSize > 0 && testSize < 1)) throw new RangeError(`testSize must be in (0, 1), got ${testSize}`);
  const nTest = Math.ceil(testSize * n);
  const nTrain = n - nTest;
  if (nTrain < 1 || nTest < 1) throw new RangeError(`cannot split ${n} items with test_size ${testSize}: ${nTrain} train / ${nTest} test`);
  const perm = numpyPermutation(n, seed);
  return { test: perm.slice(0, nTest), train: perm.slice(nTest, nTest + nTrain) };
}
