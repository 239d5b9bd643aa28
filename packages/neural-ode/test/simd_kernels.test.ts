/**
 * The WebAssembly SIMD kernels (assembly/mlp_kernels.ts) against float64 references, for both builds
 * (plain SIMD and relaxed SIMD with fused multiply-add): products for every block/remainder
 * combination, strides, initialisations, reduction blocks and packed panels; activations and
 * derivatives over a range of inputs; nothing written past a buffer's end; the embedded binaries
 * built from the source; which build loads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GELU_C, GELU_K, SELU_ALPHA, SELU_SCALE } from '@sii/mlp';
import {
  Arena,
  createSimdKernels,
  relaxedSimdSupported,
  type SimdKernelVariant,
  simdArena,
  simdKernelVariant,
} from '../src/simd/kernels.js';
import { SIMD_ACTIVATIONS, type SimdActivation } from '../src/simd/mlp_rollout.js';
import { lcg } from './helpers/ref64.js';

// Node 20 runs relaxed SIMD once V8's flag is set (kernels.ts sets it); both builds are tested.
const VARIANTS: SimdKernelVariant[] = relaxedSimdSupported() ? ['plain', 'relaxed'] : ['plain'];
const arenas = new Map<SimdKernelVariant, Arena>(VARIANTS.map((v) => [v, new Arena(createSimdKernels(v))]));
let arena = arenas.get('plain')!;
let k = arena.k;
function use(variant: SimdKernelVariant): void {
  arena = arenas.get(variant)!;
  k = arena.k;
}
const SENTINEL = 12345.5;

/** A buffer holding `values` followed by 8 sentinels (checked by `intact`). */
function put(values: ArrayLike<number>): number {
  const ptr = arena.alloc(values.length + 8);
  arena.write(ptr, values);
  arena.write(ptr + values.length * 4, new Array(8).fill(SENTINEL));
  return ptr;
}
function get(ptr: number, count: number): Float32Array {
  return arena.read(ptr, count);
}
function intact(ptr: number, count: number): boolean {
  return get(ptr + count * 4, 8).every((v) => v === SENTINEL);
}
const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

function randoms(r: () => number, count: number): number[] {
  return f32(Array.from({ length: count }, () => 2 * r() - 1));
}

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return e;
}

/**
 * Whether every |got − want| is within the float32 error bound of a sum of `terms` products,
 * 2·terms·2⁻²⁴·Σ|products| (recursive summation, in any order and blocking, with or without fusing).
 */
function withinSumBound(got: ArrayLike<number>, want: ArrayLike<number>, absSums: ArrayLike<number>, terms: number): string | null {
  const u = 2 ** -24;
  for (let i = 0; i < want.length; i++) {
    const tol = 2 * terms * u * absSums[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tol)) return `entry ${i}: ${got[i]} vs ${want[i]} (tolerance ${tol})`;
  }
  return null;
}

describe.each(VARIANTS)('SIMD kernels (%s build): products', (variant) => {
  it('gemm: C = init + A·W for all block/remainder shapes, strides and the three initialisations', () => {
    use(variant);
    const r = lcg(1);
    for (const rows of [1, 3, 4, 5, 9]) {
      for (const K of [1, 3, 8, 13]) {
        for (const N of [1, 3, 4, 7, 8, 12, 19]) {
          for (const init of [0, 1, 2]) {
            arena.reset();
            const lda = K + (rows % 2); // a row stride larger than K for odd row counts
            const ldc = N + (K % 2);
            const A = randoms(r, rows * lda);
            const W = randoms(r, K * N);
            const bias = randoms(r, N);
            const C0 = randoms(r, rows * ldc);
            const pa = put(A);
            const pw = put(W);
            const pb = put(bias);
            const pc = put(C0);
            k.gemm(pa, lda, pw, pc, ldc, rows, K, N, init, init === 1 ? pb : pc);
            const got = get(pc, rows * ldc);
            const want = C0.slice();
            for (let i = 0; i < rows; i++) {
              for (let j = 0; j < N; j++) {
                let acc = init === 0 ? 0 : init === 1 ? bias[j] : C0[i * ldc + j];
                for (let q = 0; q < K; q++) acc += A[i * lda + q] * W[q * N + j];
                want[i * ldc + j] = acc;
              }
            }
            expect(maxRelErr(got, want), `rows ${rows} K ${K} N ${N} init ${init}`).toBeLessThan(1e-6);
            expect(intact(pc, rows * ldc)).toBe(true);
          }
        }
      }
    }
  });

  it('gemm: reductions longer than one block (256) and wide rows (packed panels), all remainders', () => {
    use(variant);
    const r = lcg(11);
    for (const rows of [1, 4, 5, 11]) {
      for (const K of [255, 256, 257, 600]) {
        for (const N of [3, 12, 21]) {
          for (const init of [0, 1, 2]) {
            arena.reset();
            const lda = K + 1;
            const ldc = N + 1;
            const A = randoms(r, rows * lda);
            const W = randoms(r, K * N);
            const bias = randoms(r, N);
            const C0 = randoms(r, rows * ldc);
            const pa = put(A);
            const pw = put(W);
            const pb = put(bias);
            const pc = put(C0);
            k.gemm(pa, lda, pw, pc, ldc, rows, K, N, init, init === 1 ? pb : pc);
            const want = C0.slice();
            const sums = C0.map(Math.abs);
            for (let i = 0; i < rows; i++) {
              for (let j = 0; j < N; j++) {
                let acc = init === 0 ? 0 : init === 1 ? bias[j] : C0[i * ldc + j];
                let abs = Math.abs(acc);
                for (let q = 0; q < K; q++) {
                  acc += A[i * lda + q] * W[q * N + j];
                  abs += Math.abs(A[i * lda + q] * W[q * N + j]);
                }
                want[i * ldc + j] = acc;
                sums[i * ldc + j] = abs;
              }
            }
            expect(withinSumBound(get(pc, rows * ldc), want, sums, K + 1), `rows ${rows} K ${K} N ${N} init ${init}`).toBeNull();
            expect(intact(pc, rows * ldc)).toBe(true);
          }
        }
      }
    }
  });

  it('packPanels / packPanelsT: column panels of 8, then 4, K rows each; the last N mod 4 columns left out', () => {
    use(variant);
    const r = lcg(12);
    for (const [K, N] of [
      [3, 13],
      [5, 8],
      [6, 4],
      [2, 3],
      [9, 20],
    ] as const) {
      arena.reset();
      const M = randoms(r, K * N);
      // the layout by hand: panel of column j0 (width 8 or 4) holds M[k][j0 + q] at j0·K + k·width + q
      const want: number[] = [];
      for (let j0 = 0; j0 + 4 <= N; ) {
        const width = j0 + 8 <= N ? 8 : 4;
        for (let q = 0; q < K; q++) for (let c = 0; c < width; c++) want.push(M[q * N + j0 + c]);
        j0 += width;
      }
      expect(k.packedSize(K, N)).toBe(K * (N - (N % 4)));
      expect(want.length).toBe(k.packedSize(K, N));
      const size = k.packedSize(K, N);
      // M with a row stride N + 1, and Wᵀ = M stored as W [N, K] with a row stride K + 2
      const ldw = N + 1;
      const W = new Array(K * ldw).fill(0);
      for (let q = 0; q < K; q++) for (let j = 0; j < N; j++) W[q * ldw + j] = M[q * N + j];
      const ldt = K + 2;
      const WT = new Array(N * ldt).fill(0);
      for (let q = 0; q < K; q++) for (let j = 0; j < N; j++) WT[j * ldt + q] = M[q * N + j];
      const pw = put(W);
      const pwt = put(WT);
      const p1 = put(new Array(size).fill(0));
      const p2 = put(new Array(size).fill(0));
      k.packPanels(pw, ldw, K, N, p1);
      k.packPanelsT(pwt, ldt, K, N, p2);
      expect(Array.from(get(p1, size)), `packPanels K ${K} N ${N}`).toEqual(want);
      expect(Array.from(get(p2, size)), `packPanelsT K ${K} N ${N}`).toEqual(want);
      expect(intact(p1, size) && intact(p2, size)).toBe(true);
    }
  });

  it('gemmPacked: M packed (as W or as Wᵀ), all block/remainder shapes and initialisations; the bits of gemm', () => {
    use(variant);
    const r = lcg(13);
    for (const rows of [1, 3, 4, 5, 8, 9, 13, 20]) {
      for (const K of [1, 3, 4, 13, 130]) {
        for (const N of [1, 3, 4, 5, 8, 12, 13, 19]) {
          for (const transposed of [false, true]) {
            for (const init of [0, 1, 2]) {
              arena.reset();
              const lda = K + (rows % 2);
              const ldc = N + 1;
              const A = randoms(r, rows * lda);
              const M = randoms(r, K * N);
              const bias = randoms(r, N);
              const C0 = randoms(r, rows * ldc);
              // M in place: as W [K, N] (row stride N + 2) or as Wᵀ, W [N, K] (row stride K + 1)
              const ldw = transposed ? K + 1 : N + 2;
              const W = new Array((transposed ? N : K) * ldw).fill(0);
              for (let q = 0; q < K; q++) for (let j = 0; j < N; j++) W[transposed ? j * ldw + q : q * ldw + j] = M[q * N + j];
              const pa = put(A);
              const pw = put(W);
              const pm = put(M);
              const pb = put(bias);
              const pp = put(new Array(k.packedSize(K, N)).fill(0));
              if (transposed) k.packPanelsT(pw, ldw, K, N, pp);
              else k.packPanels(pw, ldw, K, N, pp);
              const pc = put(C0);
              const [sk, sj] = transposed ? [1, ldw] : [ldw, 1];
              k.gemmPacked(pa, lda, pp, pw, sk, sj, pc, ldc, rows, K, N, init, init === 1 ? pb : pc);
              const got = get(pc, rows * ldc);
              const want = C0.slice();
              const sums = C0.map(() => 0);
              for (let i = 0; i < rows; i++) {
                for (let j = 0; j < N; j++) {
                  let acc = init === 0 ? 0 : init === 1 ? bias[j] : C0[i * ldc + j];
                  let abs = Math.abs(acc);
                  for (let q = 0; q < K; q++) {
                    acc += A[i * lda + q] * M[q * N + j];
                    abs += Math.abs(A[i * lda + q] * M[q * N + j]);
                  }
                  want[i * ldc + j] = acc;
                  sums[i * ldc + j] = abs;
                }
              }
              const what = `rows ${rows} K ${K} N ${N} ${transposed ? 'Wᵀ' : 'W'} init ${init}`;
              expect(withinSumBound(got, want, sums, K + 1), what).toBeNull();
              expect(intact(pc, rows * ldc), what).toBe(true);
              // the same bits as gemm on M itself
              const pc2 = put(C0);
              k.gemm(pa, lda, pm, pc2, ldc, rows, K, N, init, init === 1 ? pb : pc2);
              expect(Array.from(got), what).toEqual(Array.from(get(pc2, rows * ldc)));
            }
          }
        }
      }
    }
  });

  it('gemmTN: G += Aᵀ·D for all block/remainder shapes, strides, row chunks and packed panels', () => {
    use(variant);
    const r = lcg(2);
    for (const R of [1, 5, 40, 300]) {
      // 300: chunks of 128 rows and a remainder; K ≥ 8 with N ≥ 16 take the packed path
      // N = 4 with K ≥ 16, K mod 4 = 0: computed as Gᵀ += Dᵀ·A
      for (const K of [1, 3, 4, 5, 9, 8, 13, 16, 20, 18]) {
        for (const N of [1, 3, 4, 7, 8, 12, 19, 16, 35]) {
          arena.reset();
          const lda = K + 1;
          const ldd = N + 2;
          const A = randoms(r, R * lda);
          const D = randoms(r, R * ldd);
          const G0 = randoms(r, K * N);
          const pa = put(A);
          const pd = put(D);
          const pg = put(G0);
          const work = k.gemmTNWork(K);
          const pw = put(new Array(work).fill(0));
          k.gemmTN(pa, lda, pd, ldd, pg, R, K, N, pw);
          expect(intact(pw, work), 'work buffer overrun').toBe(true);
          const want = G0.map((g, idx) => {
            const [q, j] = [Math.floor(idx / N), idx % N];
            let acc = g;
            for (let i = 0; i < R; i++) acc += A[i * lda + q] * D[i * ldd + j];
            return acc;
          });
          expect(maxRelErr(get(pg, K * N), want), `R ${R} K ${K} N ${N}`).toBeLessThan(2e-6);
          expect(intact(pg, K * N)).toBe(true);
        }
      }
    }
  });

  it('gemmTN with 4 columns (as Gᵀ += Dᵀ·A) gives the bits of the direct 4-column blocks', () => {
    use(variant);
    const r = lcg(14);
    for (const R of [7, 300]) {
      for (const K of [16, 36, 128]) {
        arena.reset();
        const A = randoms(r, R * K);
        const D5 = randoms(r, R * 5);
        const G5 = randoms(r, K * 5);
        const D4 = D5.filter((_, i) => i % 5 < 4);
        const G4 = G5.filter((_, i) => i % 5 < 4);
        const pa = put(A);
        const pd4 = put(D4);
        const pd5 = put(D5);
        const pg4 = put(G4);
        const pg5 = put(G5);
        const work = k.gemmTNWork(K);
        const pw = put(new Array(work).fill(0));
        k.gemmTN(pa, K, pd4, 4, pg4, R, K, 4, pw);
        expect(intact(pw, work) && intact(pg4, K * 4)).toBe(true);
        k.gemmTN(pa, K, pd5, 5, pg5, R, K, 5, pw); // 5 columns: 4-column blocks against A in place, then one
        const got = Array.from(get(pg4, K * 4));
        expect(got, `R ${R} K ${K}`).toEqual(Array.from(get(pg5, K * 5)).filter((_, i) => i % 5 < 4));
      }
    }
  });

  it('colSum (16-, 4- and 1-column passes), transpose, axpy, copy and zero, with counts that are not multiples of 4', () => {
    use(variant);
    const r = lcg(3);
    for (const [R, N] of [
      [1, 1],
      [3, 5],
      [17, 13],
      [9, 16],
      [5, 37],
    ] as const) {
      arena.reset();
      const D = randoms(r, R * (N + 1));
      const s0 = randoms(r, N);
      const pd = put(D);
      const ps = put(s0);
      k.colSum(pd, N + 1, R, N, ps);
      const want = s0.map((v, j) => D.reduce((acc, d, idx) => (idx % (N + 1) === j ? acc + d : acc), v));
      expect(maxRelErr(get(ps, N), want)).toBeLessThan(1e-6);
      expect(intact(ps, N)).toBe(true);
      const A = randoms(r, R * N);
      const pa = put(A);
      const pt = put(new Array(R * N).fill(0));
      k.transpose(pa, pt, R, N);
      const T = get(pt, R * N);
      for (let i = 0; i < R; i++) for (let j = 0; j < N; j++) expect(T[j * R + i]).toBe(A[i * N + j]);
      expect(intact(pt, R * N)).toBe(true);
      const count = R * N;
      const x = randoms(r, count);
      const y = randoms(r, count);
      const px = put(x);
      const py = put(y);
      k.axpy(py, px, 0.75, count);
      expect(
        maxRelErr(
          get(py, count),
          y.map((v, i) => v + 0.75 * x[i]),
        ),
      ).toBeLessThan(1e-7);
      expect(intact(py, count)).toBe(true);
      k.copy(py, px, count);
      expect(Array.from(get(py, count))).toEqual(x);
      k.zero(py, count);
      expect(get(py, count).every((v) => v === 0)).toBe(true);
      expect(intact(py, count)).toBe(true);
    }
  });
});

/** float64 references: σ(z) and σ′(z). */
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const REF: Record<SimdActivation, [(z: number, a: number) => number, (z: number, a: number) => number]> = {
  none: [(z) => z, () => 1],
  elu: [(z) => (z > 0 ? z : Math.expm1(z)), (z) => (z > 0 ? 1 : Math.exp(z))],
  relu: [(z) => Math.max(z, 0), (z) => (z > 0 ? 1 : 0)],
  leaky_relu: [(z, a) => (z > 0 ? z : a * z), (z, a) => (z > 0 ? 1 : a)],
  tanh: [Math.tanh, (z) => 1 - Math.tanh(z) ** 2],
  sigmoid: [sigmoid, (z) => sigmoid(z) * (1 - sigmoid(z))],
  silu: [(z) => z * sigmoid(z), (z) => sigmoid(z) * (1 + z * (1 - sigmoid(z)))],
  selu: [(z) => SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Math.expm1(z)), (z) => SELU_SCALE * (z > 0 ? 1 : SELU_ALPHA * Math.exp(z))],
  gelu: [
    (z) => 0.5 * z * (1 + Math.tanh(GELU_K * (z + GELU_C * z ** 3))),
    (z) => {
      const t = Math.tanh(GELU_K * (z + GELU_C * z ** 3));
      return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * z * z);
    },
  ],
};

describe.each(VARIANTS)('SIMD kernels (%s build): activations', (variant) => {
  // A dense sweep of [−12, 12], large magnitudes (saturation, exp range limits) and values near 0.
  const zs = f32([
    ...Array.from({ length: 963 }, (_, i) => -12 + (24 * i) / 962),
    -100,
    -87.5,
    -30,
    30,
    88.5,
    100,
    0,
    1e-6,
    -1e-6,
    1e-30,
    -3e-8,
  ]);
  for (const name of Object.keys(SIMD_ACTIVATIONS) as SimdActivation[]) {
    it(`${name}: σ and σ′ within float32 tolerance of float64, nothing written past the end`, () => {
      const [fRef, dRef] = REF[name];
      const alpha = 0.07;
      // GELU′ = ½(1 + t) + ½z(1 − t²)k(1 + 3cz²) cancels in float32 where t → ±1 (|z| ≈ 3…6):
      // absolute error up to ~2e-6 there, as in any float32 evaluation of that formula.
      const dTol = name === 'gelu' ? 5e-6 : 1e-6;
      use(variant);
      arena.reset();
      const pz = put(zs);
      const py = put(new Array(zs.length).fill(0));
      k.activate(SIMD_ACTIVATIONS[name], pz, py, zs.length, alpha);
      const y = get(py, zs.length);
      const g0 = randoms(lcg(4), zs.length);
      const pg = put(g0);
      k.activationBackward(SIMD_ACTIVATIONS[name], pg, pz, py, zs.length, alpha);
      const g = get(pg, zs.length);
      for (let i = 0; i < zs.length; i++) {
        const z = zs[i];
        const want = fRef(z, alpha);
        expect(Math.abs(y[i] - want), `σ(${z})`).toBeLessThanOrEqual(3e-7 * Math.max(1, Math.abs(want)));
        // σ′ from z (or from y where it suffices): compare g·σ′ with g·σ′ in float64.
        const dWant = g0[i] * dRef(z, alpha);
        expect(Math.abs(g[i] - dWant), `σ′(${z})`).toBeLessThanOrEqual(dTol * Math.max(1, Math.abs(dWant)));
      }
      expect(intact(py, zs.length) && intact(pg, zs.length)).toBe(true);
      // every count (the loop of four vectors, of one, the partial vector): each entry as in the long run
      for (let count = 1; count <= 70; count++) {
        const at = 37 + count;
        const pc = put(new Array(count).fill(0));
        k.activate(SIMD_ACTIVATIONS[name], pz + at * 4, pc, count, alpha);
        expect(Array.from(get(pc, count)), `count ${count}`).toEqual(Array.from(y.subarray(at, at + count)));
        expect(intact(pc, count)).toBe(true);
      }
      // in place (y = z), as the rollout uses it
      k.activate(SIMD_ACTIVATIONS[name], pz, pz, zs.length, alpha);
      expect(Array.from(get(pz, zs.length))).toEqual(Array.from(y));
    });
  }
});

describe('SIMD kernels: the builds', () => {
  it('this Node runs relaxed SIMD (after setting the V8 flag) and the rollout uses that build', () => {
    expect(relaxedSimdSupported()).toBe(true);
    expect(simdKernelVariant()).toBe('relaxed');
    expect(simdArena()).not.toBeNull();
  });

  it('the relaxed build fuses multiply-add on a CPU with FMA; the plain build rounds the product first', () => {
    // a = 1 + 2⁻¹³: a² = 1 + 2⁻¹² + 2⁻²⁶ rounds to 1 + 2⁻¹² in float32, so a² − (1 + 2⁻¹²) is 0
    // with a rounded product and 2⁻²⁶ with a fused one.
    const a = 1 + 2 ** -13;
    const c = -(1 + 2 ** -12);
    const result = (variant: SimdKernelVariant) => {
      use(variant);
      arena.reset();
      const pa = put([a]);
      const pw = put([a, a, a, a]);
      const pb = put([c, c, c, c]);
      const pc = put([0, 0, 0, 0]);
      k.gemm(pa, 1, pw, pc, 4, 1, 1, 4, 1, pb);
      return Array.from(get(pc, 4));
    };
    expect(result('plain')).toEqual([0, 0, 0, 0]);
    const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
    if (VARIANTS.includes('relaxed') && /^flags\s*:.*\bfma\b/m.test(cpuinfo))
      expect(result('relaxed')).toEqual([2 ** -26, 2 ** -26, 2 ** -26, 2 ** -26]);
  });

  it('src/simd/kernels_wasm.ts holds both compiled builds of assembly/mlp_kernels.ts', () => {
    const script = join(dirname(fileURLToPath(import.meta.url)), '../scripts/build-wasm.mjs');
    const out = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/matches/);
  }, 240_000); // two compilations by asc, slow on a busy machine
});
