// WebAssembly SIMD kernels for the MLP rollout (src/simd/): dense products, activations and their
// derivatives, small vector updates. Compiled by scripts/build-wasm.mjs (AssemblyScript, 128-bit
// SIMD) into src/simd/kernels_wasm.ts. Everything is float32, row-major, addressed by byte pointers
// into this module's own memory, which the TypeScript side lays out (src/simd/kernels.ts: Arena).
// Built twice: with relaxed SIMD enabled, every multiply-add below is f32x4.relaxed_madd (one fused
// multiply-add instruction where the hardware has one, rounding once), else a multiply and an add.

// ---------------------------------------------------------------------------------------------
// Dense products

/** acc + a·b, per lane. */
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

@inline function off(row: i32, ld: i32, col: i32): usize {
  return (<usize>row * <usize>ld + <usize>col) << 2;
}

/** Initial value of an accumulator: 0 (init 0), a bias row (init 1) or a matrix entry (init 2). */
@inline function initV(init: i32, src: usize, ld: i32, row: i32, col: i32): v128 {
  if (init == 0) return f32x4.splat(0);
  if (init == 1) return v128.load(src + (<usize>col << 2));
  return v128.load(src + off(row, ld, col));
}

@inline function initS(init: i32, src: usize, ld: i32, row: i32, col: i32): f32 {
  if (init == 0) return 0;
  if (init == 1) return load<f32>(src + (<usize>col << 2));
  return load<f32>(src + off(row, ld, col));
}

/**
 * Rows of W per block of the reduction dimension: a packed 8-column panel of a block (KC × 8 floats,
 * 8 KiB) stays in L1 while every row block of A uses it, whatever the layer width.
 */
const KC = 256;
/** Where a packed panel goes: KC × 8 floats at 4 KiB, above the scratch vector, below the arena. */
const PANEL: usize = 4096;

/**
 * C = init + A·W for A [rows, K] (row stride lda), W [K, N] (contiguous), C [rows, N] (row stride
 * ldc). init 0: zero; 1: bias row src [N]; 2: matrix src [rows, N] with row stride ldc (src may be c).
 * The reduction dimension in blocks of KC (the blocks after the first accumulate onto C).
 */
export function gemm(a: usize, lda: i32, w: usize, c: usize, ldc: i32, rows: i32, K: i32, N: i32, init: i32, src: usize): void {
  if (K <= KC) {
    gemmBlock(a, lda, w, N, c, ldc, rows, K, N, init, src);
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const first = k0 == 0;
    gemmBlock(a + (<usize>k0 << 2), lda, w + off(k0, N, 0), N, c, ldc, rows, kc, N, first ? init : 2, first ? src : c);
  }
}

/** Copy `width` columns of W [K, ·] (row stride ldw) from column j to PANEL as K × width, contiguous. */
@inline function packPanel(w: usize, ldw: i32, j: i32, K: i32, width: i32): void {
  let from = w + (<usize>j << 2);
  const step = <usize>ldw << 2;
  let to = PANEL;
  for (let k = 0; k < K; k++) {
    v128.store(to, v128.load(from));
    if (width == 8) v128.store(to, v128.load(from, 16), 16);
    from += step;
    to += <usize>width << 2;
  }
}

/**
 * One block of `gemm` (K ≤ KC, W with row stride ldw). Register blocks of 4 rows × 8 columns; column
 * panels outside, rows inside. With more than one row block, each panel of W is first packed into a
 * contiguous K × 8 copy (rows of W of a wide layer lie 4 KiB apart and would evict each other from L1).
 */
function gemmBlock(a: usize, lda: i32, w: usize, ldw: i32, c: usize, ldc: i32, rows: i32, K: i32, N: i32, init: i32, src: usize): void {
  const aStep = <usize>lda << 2;
  const cStep = <usize>ldc << 2;
  const pack = rows > 4;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    let panel = w + (<usize>j << 2);
    let wStep = <usize>ldw << 2;
    if (pack) {
      packPanel(w, ldw, j, K, 8);
      panel = PANEL;
      wStep = 32;
    }
    let i = 0;
    for (; i + 4 <= rows; i += 4) {
      let c00 = initV(init, src, ldc, i, j);
      let c01 = initV(init, src, ldc, i, j + 4);
      let c10 = initV(init, src, ldc, i + 1, j);
      let c11 = initV(init, src, ldc, i + 1, j + 4);
      let c20 = initV(init, src, ldc, i + 2, j);
      let c21 = initV(init, src, ldc, i + 2, j + 4);
      let c30 = initV(init, src, ldc, i + 3, j);
      let c31 = initV(init, src, ldc, i + 3, j + 4);
      let wp = panel;
      let ap = a + off(i, lda, 0);
      for (let k = 0; k < K; k++) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        let s = v128.load32_splat(ap);
        c00 = madd(c00, s, w0);
        c01 = madd(c01, s, w1);
        s = v128.load32_splat(ap + aStep);
        c10 = madd(c10, s, w0);
        c11 = madd(c11, s, w1);
        s = v128.load32_splat(ap + 2 * aStep);
        c20 = madd(c20, s, w0);
        c21 = madd(c21, s, w1);
        s = v128.load32_splat(ap + 3 * aStep);
        c30 = madd(c30, s, w0);
        c31 = madd(c31, s, w1);
        wp += wStep;
        ap += 4;
      }
      const cp = c + off(i, ldc, j);
      v128.store(cp, c00);
      v128.store(cp, c01, 16);
      v128.store(cp + cStep, c10);
      v128.store(cp + cStep, c11, 16);
      v128.store(cp + 2 * cStep, c20);
      v128.store(cp + 2 * cStep, c21, 16);
      v128.store(cp + 3 * cStep, c30);
      v128.store(cp + 3 * cStep, c31, 16);
    }
    for (; i < rows; i++) {
      let c0 = initV(init, src, ldc, i, j);
      let c1 = initV(init, src, ldc, i, j + 4);
      let wp = panel;
      let ap = a + off(i, lda, 0);
      for (let k = 0; k < K; k++) {
        const s = v128.load32_splat(ap);
        c0 = madd(c0, s, v128.load(wp));
        c1 = madd(c1, s, v128.load(wp, 16));
        wp += wStep;
        ap += 4;
      }
      v128.store(c + off(i, ldc, j), c0);
      v128.store(c + off(i, ldc, j), c1, 16);
    }
  }
  for (; j + 4 <= N; j += 4) {
    let panel = w + (<usize>j << 2);
    let wStep = <usize>ldw << 2;
    if (pack) {
      packPanel(w, ldw, j, K, 4);
      panel = PANEL;
      wStep = 16;
    }
    let i = 0;
    for (; i + 4 <= rows; i += 4) {
      let c0 = initV(init, src, ldc, i, j);
      let c1 = initV(init, src, ldc, i + 1, j);
      let c2 = initV(init, src, ldc, i + 2, j);
      let c3 = initV(init, src, ldc, i + 3, j);
      let wp = panel;
      let ap = a + off(i, lda, 0);
      for (let k = 0; k < K; k++) {
        const w0 = v128.load(wp);
        c0 = madd(c0, v128.load32_splat(ap), w0);
        c1 = madd(c1, v128.load32_splat(ap + aStep), w0);
        c2 = madd(c2, v128.load32_splat(ap + 2 * aStep), w0);
        c3 = madd(c3, v128.load32_splat(ap + 3 * aStep), w0);
        wp += wStep;
        ap += 4;
      }
      v128.store(c + off(i, ldc, j), c0);
      v128.store(c + off(i + 1, ldc, j), c1);
      v128.store(c + off(i + 2, ldc, j), c2);
      v128.store(c + off(i + 3, ldc, j), c3);
    }
    for (; i < rows; i++) {
      let c0 = initV(init, src, ldc, i, j);
      let wp = panel;
      let ap = a + off(i, lda, 0);
      for (let k = 0; k < K; k++) {
        c0 = madd(c0, v128.load32_splat(ap), v128.load(wp));
        wp += wStep;
        ap += 4;
      }
      v128.store(c + off(i, ldc, j), c0);
    }
  }
  for (; j < N; j++) {
    for (let i = 0; i < rows; i++) {
      let acc = initS(init, src, ldc, i, j);
      for (let k = 0; k < K; k++) acc += load<f32>(a + off(i, lda, k)) * load<f32>(w + off(k, ldw, j));
      store<f32>(c + off(i, ldc, j), acc);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Products against packed weights (the rollout packs each layer once per pass, forward and
// transposed for the backward pass)
//
// Packed layout of a matrix M [K, N]: its columns in panels of 8, then (when N mod 8 ≥ 4) one of 4,
// each panel K rows of 8 (4) floats, contiguous: the panel of column j (a multiple of 8, or N & ~7
// for the 4-panel) starts at float j·K. Columns from N & ~3 on are not packed (products read them in
// place). Size: K·(N & ~3) floats.

/** Floats of the packed copy of a [K, N] matrix. */
export function packedSize(K: i32, N: i32): i32 {
  return K * (N & ~3);
}

/** Pack M = W [K, N] (row stride ldw) into dst. */
export function packPanels(w: usize, ldw: i32, K: i32, N: i32, dst: usize): void {
  const step = <usize>ldw << 2;
  let to = dst;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    let from = w + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      v128.store(to, v128.load(from));
      v128.store(to, v128.load(from, 16), 16);
      from += step;
      to += 32;
    }
  }
  if (j + 4 <= N) {
    let from = w + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      v128.store(to, v128.load(from));
      from += step;
      to += 16;
    }
  }
}

/** Rows i..i+3 of W (row stride `step` bytes) at columns k..k+3, transposed, stored as 4 rows of the panel at `to` (row stride `width` floats). */
@inline function transpose4(from: usize, step: usize, to: usize, width: usize): void {
  const r0 = v128.load(from);
  const r1 = v128.load(from + step);
  const r2 = v128.load(from + 2 * step);
  const r3 = v128.load(from + 3 * step);
  const lo01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const lo23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const hi01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const hi23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  const rowBytes = width << 2;
  v128.store(to, i32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
  v128.store(to + rowBytes, i32x4.shuffle(lo01, lo23, 2, 3, 6, 7));
  v128.store(to + 2 * rowBytes, i32x4.shuffle(hi01, hi23, 0, 1, 4, 5));
  v128.store(to + 3 * rowBytes, i32x4.shuffle(hi01, hi23, 2, 3, 6, 7));
}

/** Pack M = Wᵀ [K, N] for W [N, K] (row stride ldw): M[k, j] = W[j, k]. */
export function packPanelsT(w: usize, ldw: i32, K: i32, N: i32, dst: usize): void {
  const step = <usize>ldw << 2;
  const K4 = K & ~3;
  let to = dst;
  let j = 0;
  for (; j + 4 <= N; ) {
    const width: i32 = j + 8 <= N ? 8 : 4;
    for (let h = 0; h < width; h += 4) {
      const rows = w + off(j + h, ldw, 0);
      const panel = to + (<usize>h << 2);
      let k = 0;
      for (; k < K4; k += 4) transpose4(rows + (<usize>k << 2), step, panel + off(k, width, 0), <usize>width);
      for (; k < K; k++) {
        for (let q = 0; q < 4; q++) store<f32>(panel + off(k, width, q), load<f32>(rows + off(q, ldw, k)));
      }
    }
    to += off(K, width, 0);
    j += width;
  }
}

/**
 * C = init + M·… as `gemm`, with M [K, N] packed (`packPanels`/`packPanelsT` at p) and its unpacked
 * columns (from N & ~3) read in place at w: entry (k, j) at float k·sk + j·sj (W: sk = ldw, sj = 1;
 * Wᵀ: sk = 1, sj = ldw). Every entry of C sums init and its K products in order k = 0, 1, …, as `gemm`
 * does (the same bits). Register blocks of 4 rows × 8 columns (5 × 8 measured slower: V8 spills),
 * 8 × 4 in the 4-panel.
 */
export function gemmPacked(
  a: usize, lda: i32, p: usize, w: usize, sk: i32, sj: i32, c: usize, ldc: i32, rows: i32, K: i32, N: i32, init: i32, src: usize,
): void {
  const aStep = <usize>lda << 2;
  const cStep = <usize>ldc << 2;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const panel = p + (<usize>j * <usize>K << 2);
    let i = 0;
    for (; i + 4 <= rows; i += 4) {
      let c00 = initV(init, src, ldc, i, j);
      let c01 = initV(init, src, ldc, i, j + 4);
      let c10 = initV(init, src, ldc, i + 1, j);
      let c11 = initV(init, src, ldc, i + 1, j + 4);
      let c20 = initV(init, src, ldc, i + 2, j);
      let c21 = initV(init, src, ldc, i + 2, j + 4);
      let c30 = initV(init, src, ldc, i + 3, j);
      let c31 = initV(init, src, ldc, i + 3, j + 4);
      let wp = panel;
      let ap = a + off(i, lda, 0);
      const end = wp + (<usize>K << 5);
      while (wp < end) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        let s = v128.load32_splat(ap);
        c00 = madd(c00, s, w0);
        c01 = madd(c01, s, w1);
        s = v128.load32_splat(ap + aStep);
        c10 = madd(c10, s, w0);
        c11 = madd(c11, s, w1);
        s = v128.load32_splat(ap + 2 * aStep);
        c20 = madd(c20, s, w0);
        c21 = madd(c21, s, w1);
        s = v128.load32_splat(ap + 3 * aStep);
        c30 = madd(c30, s, w0);
        c31 = madd(c31, s, w1);
        wp += 32;
        ap += 4;
      }
      const cp = c + off(i, ldc, j);
      v128.store(cp, c00);
      v128.store(cp, c01, 16);
      v128.store(cp + cStep, c10);
      v128.store(cp + cStep, c11, 16);
      v128.store(cp + 2 * cStep, c20);
      v128.store(cp + 2 * cStep, c21, 16);
      v128.store(cp + 3 * cStep, c30);
      v128.store(cp + 3 * cStep, c31, 16);
    }
    for (; i < rows; i++) {
      let c0 = initV(init, src, ldc, i, j);
      let c1 = initV(init, src, ldc, i, j + 4);
      let wp = panel;
      let ap = a + off(i, lda, 0);
      const end = wp + (<usize>K << 5);
      while (wp < end) {
        const s = v128.load32_splat(ap);
        c0 = madd(c0, s, v128.load(wp));
        c1 = madd(c1, s, v128.load(wp, 16));
        wp += 32;
        ap += 4;
      }
      v128.store(c + off(i, ldc, j), c0);
      v128.store(c + off(i, ldc, j), c1, 16);
    }
  }
  if (j + 4 <= N) {
    const panel = p + (<usize>j * <usize>K << 2);
    let i = 0;
    for (; i + 8 <= rows; i += 8) {
      let c0 = initV(init, src, ldc, i, j);
      let c1 = initV(init, src, ldc, i + 1, j);
      let c2 = initV(init, src, ldc, i + 2, j);
      let c3 = initV(init, src, ldc, i + 3, j);
      let c4 = initV(init, src, ldc, i + 4, j);
      let c5 = initV(init, src, ldc, i + 5, j);
      let c6 = initV(init, src, ldc, i + 6, j);
      let c7 = initV(init, src, ldc, i + 7, j);
      let wp = panel;
      let ap = a + off(i, lda, 0);
      const end = wp + (<usize>K << 4);
      while (wp < end) {
        const w0 = v128.load(wp);
        c0 = madd(c0, v128.load32_splat(ap), w0);
        c1 = madd(c1, v128.load32_splat(ap + aStep), w0);
        c2 = madd(c2, v128.load32_splat(ap + 2 * aStep), w0);
        c3 = madd(c3, v128.load32_splat(ap + 3 * aStep), w0);
        c4 = madd(c4, v128.load32_splat(ap + 4 * aStep), w0);
        c5 = madd(c5, v128.load32_splat(ap + 5 * aStep), w0);
        c6 = madd(c6, v128.load32_splat(ap + 6 * aStep), w0);
        c7 = madd(c7, v128.load32_splat(ap + 7 * aStep), w0);
        wp += 16;
        ap += 4;
      }
      const cp = c + off(i, ldc, j);
      v128.store(cp, c0);
      v128.store(cp + cStep, c1);
      v128.store(cp + 2 * cStep, c2);
      v128.store(cp + 3 * cStep, c3);
      v128.store(cp + 4 * cStep, c4);
      v128.store(cp + 5 * cStep, c5);
      v128.store(cp + 6 * cStep, c6);
      v128.store(cp + 7 * cStep, c7);
    }
    if (i + 4 <= rows) {
      let c0 = initV(init, src, ldc, i, j);
      let c1 = initV(init, src, ldc, i + 1, j);
      let c2 = initV(init, src, ldc, i + 2, j);
      let c3 = initV(init, src, ldc, i + 3, j);
      let wp = panel;
      let ap = a + off(i, lda, 0);
      const end = wp + (<usize>K << 4);
      while (wp < end) {
        const w0 = v128.load(wp);
        c0 = madd(c0, v128.load32_splat(ap), w0);
        c1 = madd(c1, v128.load32_splat(ap + aStep), w0);
        c2 = madd(c2, v128.load32_splat(ap + 2 * aStep), w0);
        c3 = madd(c3, v128.load32_splat(ap + 3 * aStep), w0);
        wp += 16;
        ap += 4;
      }
      const cp = c + off(i, ldc, j);
      v128.store(cp, c0);
      v128.store(cp + cStep, c1);
      v128.store(cp + 2 * cStep, c2);
      v128.store(cp + 3 * cStep, c3);
      i += 4;
    }
    for (; i < rows; i++) {
      let c0 = initV(init, src, ldc, i, j);
      let wp = panel;
      let ap = a + off(i, lda, 0);
      const end = wp + (<usize>K << 4);
      while (wp < end) {
        c0 = madd(c0, v128.load32_splat(ap), v128.load(wp));
        wp += 16;
        ap += 4;
      }
      v128.store(c + off(i, ldc, j), c0);
    }
    j += 4;
  }
  const kStep = <usize>sk << 2;
  for (; j < N; j++) {
    for (let i = 0; i < rows; i++) {
      let acc = initS(init, src, ldc, i, j);
      let ap = a + off(i, lda, 0);
      let wp = w + (<usize>j * <usize>sj << 2);
      for (let k = 0; k < K; k++) {
        acc += load<f32>(ap) * load<f32>(wp);
        ap += 4;
        wp += kStep;
      }
      store<f32>(c + off(i, ldc, j), acc);
    }
  }
}

/**
 * Most rows of A and D per pass of `gemmTN` (both chunks stay in L1/L2 while every block of G uses
 * them): 64 while G has at most 2^18 entries (measured 2–4 % faster than 128 on 200–3,200 rows and
 * widths 32–512), 128 above (each pass reads and writes all of G, which no longer fits in L2).
 */
const TN_ROWS = 128;
const TN_ROWS_SMALL_G = 64;

/** Floats of the work buffer `gemmTN` needs for a reduction over K columns of A. */
export function gemmTNWork(K: i32): i32 {
  return TN_ROWS * K;
}

/**
 * G += Aᵀ·D for A [R, K] (row stride lda), D [R, N] (row stride ldd), G [K, N] (contiguous): the
 * weight gradient of a layer from its inputs and pre-activation gradients, all rows at once, in
 * chunks of TN_ROWS rows. `work` holds gemmTNWork(K) floats (the packed chunk of A).
 */
export function gemmTN(a: usize, lda: i32, d: usize, ldd: i32, g: usize, R: i32, K: i32, N: i32, work: usize): void {
  if (N == 4 && K >= 16 && (K & 3) == 0) {
    // A narrow layer's gradient (4 columns): as Gᵀ += Dᵀ·A, whose blocks are 4 × 8 instead of 4 × 4
    // against strided rows of A; Gᵀ in `work` (4K floats), the rest of it for that product. Every
    // entry is the same sum in the same order, all in vector lanes both ways: the same bits.
    const gt = work;
    transpose(g, gt, K, 4);
    gemmTN(d, ldd, a, lda, gt, R, 4, K, work + (<usize>K << 4));
    transpose(gt, g, 4, K);
    return;
  }
  // Chunks of equal size (400 rows: 4 × 100 rather than 3 × 128 + 16, whose short last chunk pays the
  // loads and stores of G for few rows). Each entry of G still sums its rows in order r = 0, 1, …
  // (stored and reloaded exactly between chunks): the split does not change a bit.
  const most = K * N <= 1 << 18 ? TN_ROWS_SMALL_G : TN_ROWS;
  const chunks = (R + most - 1) / most;
  const per = chunks > 0 ? (R + chunks - 1) / chunks : 0;
  for (let r0 = 0; r0 < R; r0 += per) {
    const rows = min(per, R - r0);
    gemmTNChunk(a + off(r0, lda, 0), lda, d + off(r0, ldd, 0), ldd, g, rows, K, N, work);
  }
}

/**
 * One chunk of `gemmTN`, register blocks of 4 rows of G × 8 columns. For all but narrow products the
 * chunk's A is first packed as [K/4][R][4] into `work` and each 8-column panel of D into PANEL, so the
 * inner loop reads both contiguously (rows of a wide layer lie 4 KiB apart and evict each other from
 * L1); the remainders (K mod 4 rows, N mod 8 columns of G) read A and D in place.
 */
function gemmTNChunk(a: usize, lda: i32, d: usize, ldd: i32, g: usize, R: i32, K: i32, N: i32, work: usize): void {
  const K4 = K & ~3;
  const N8 = N & ~7;
  if (K4 < 8 || N8 < 16) {
    gemmTNDirect(a, lda, d, ldd, g, R, 0, K, 0, N, N);
    return;
  }
  const aStep = <usize>lda << 2;
  let to = work;
  for (let k = 0; k < K4; k += 4) {
    let from = a + (<usize>k << 2);
    for (let r = 0; r < R; r++) {
      v128.store(to, v128.load(from));
      from += aStep;
      to += 16;
    }
  }
  const gStep = <usize>N << 2;
  const blockBytes = <usize>R << 4;
  for (let j = 0; j < N8; j += 8) {
    packPanel(d, ldd, j, R, 8);
    let ab = work;
    for (let k = 0; k < K4; k += 4) {
      const gp = g + off(k, N, j);
      let c00 = v128.load(gp);
      let c01 = v128.load(gp, 16);
      let c10 = v128.load(gp + gStep);
      let c11 = v128.load(gp + gStep, 16);
      let c20 = v128.load(gp + 2 * gStep);
      let c21 = v128.load(gp + 2 * gStep, 16);
      let c30 = v128.load(gp + 3 * gStep);
      let c31 = v128.load(gp + 3 * gStep, 16);
      let ap = ab;
      let dp = PANEL;
      for (let r = 0; r < R; r++) {
        const d0 = v128.load(dp);
        const d1 = v128.load(dp, 16);
        let s = v128.load32_splat(ap);
        c00 = madd(c00, s, d0);
        c01 = madd(c01, s, d1);
        s = v128.load32_splat(ap, 4);
        c10 = madd(c10, s, d0);
        c11 = madd(c11, s, d1);
        s = v128.load32_splat(ap, 8);
        c20 = madd(c20, s, d0);
        c21 = madd(c21, s, d1);
        s = v128.load32_splat(ap, 12);
        c30 = madd(c30, s, d0);
        c31 = madd(c31, s, d1);
        ap += 16;
        dp += 32;
      }
      v128.store(gp, c00);
      v128.store(gp, c01, 16);
      v128.store(gp + gStep, c10);
      v128.store(gp + gStep, c11, 16);
      v128.store(gp + 2 * gStep, c20);
      v128.store(gp + 2 * gStep, c21, 16);
      v128.store(gp + 3 * gStep, c30);
      v128.store(gp + 3 * gStep, c31, 16);
      ab += blockBytes;
    }
  }
  gemmTNDirect(a, lda, d, ldd, g, R, 0, K, N8, N, N);
  gemmTNDirect(a, lda, d, ldd, g, R, K4, K, 0, N8, N);
}

/** G[k0:k1, j0:j1] += (Aᵀ·D)[k0:k1, j0:j1] over R rows (G has N columns), reading A and D in place. */
function gemmTNDirect(a: usize, lda: i32, d: usize, ldd: i32, g: usize, R: i32, k0: i32, k1: i32, j0: i32, j1: i32, N: i32): void {
  const aStep = <usize>lda << 2;
  const dStep = <usize>ldd << 2;
  const gStep = <usize>N << 2;
  let k = k0;
  for (; k + 4 <= k1; k += 4) {
    let j = j0;
    for (; j + 8 <= j1; j += 8) {
      const gp = g + off(k, N, j);
      let c00 = v128.load(gp);
      let c01 = v128.load(gp, 16);
      let c10 = v128.load(gp + gStep);
      let c11 = v128.load(gp + gStep, 16);
      let c20 = v128.load(gp + 2 * gStep);
      let c21 = v128.load(gp + 2 * gStep, 16);
      let c30 = v128.load(gp + 3 * gStep);
      let c31 = v128.load(gp + 3 * gStep, 16);
      let ap = a + (<usize>k << 2);
      let dp = d + (<usize>j << 2);
      for (let r = 0; r < R; r++) {
        const d0 = v128.load(dp);
        const d1 = v128.load(dp, 16);
        let s = v128.load32_splat(ap);
        c00 = madd(c00, s, d0);
        c01 = madd(c01, s, d1);
        s = v128.load32_splat(ap, 4);
        c10 = madd(c10, s, d0);
        c11 = madd(c11, s, d1);
        s = v128.load32_splat(ap, 8);
        c20 = madd(c20, s, d0);
        c21 = madd(c21, s, d1);
        s = v128.load32_splat(ap, 12);
        c30 = madd(c30, s, d0);
        c31 = madd(c31, s, d1);
        ap += aStep;
        dp += dStep;
      }
      v128.store(gp, c00);
      v128.store(gp, c01, 16);
      v128.store(gp + gStep, c10);
      v128.store(gp + gStep, c11, 16);
      v128.store(gp + 2 * gStep, c20);
      v128.store(gp + 2 * gStep, c21, 16);
      v128.store(gp + 3 * gStep, c30);
      v128.store(gp + 3 * gStep, c31, 16);
    }
    for (; j + 4 <= j1; j += 4) {
      const gp = g + off(k, N, j);
      let c0 = v128.load(gp);
      let c1 = v128.load(gp + gStep);
      let c2 = v128.load(gp + 2 * gStep);
      let c3 = v128.load(gp + 3 * gStep);
      let ap = a + (<usize>k << 2);
      let dp = d + (<usize>j << 2);
      for (let r = 0; r < R; r++) {
        const d0 = v128.load(dp);
        c0 = madd(c0, v128.load32_splat(ap), d0);
        c1 = madd(c1, v128.load32_splat(ap, 4), d0);
        c2 = madd(c2, v128.load32_splat(ap, 8), d0);
        c3 = madd(c3, v128.load32_splat(ap, 12), d0);
        ap += aStep;
        dp += dStep;
      }
      v128.store(gp, c0);
      v128.store(gp + gStep, c1);
      v128.store(gp + 2 * gStep, c2);
      v128.store(gp + 3 * gStep, c3);
    }
    for (; j < j1; j++) {
      for (let kk = k; kk < k + 4; kk++) {
        let acc = load<f32>(g + off(kk, N, j));
        for (let r = 0; r < R; r++) acc += load<f32>(a + off(r, lda, kk)) * load<f32>(d + off(r, ldd, j));
        store<f32>(g + off(kk, N, j), acc);
      }
    }
  }
  for (; k < k1; k++) {
    let j = j0;
    for (; j + 8 <= j1; j += 8) {
      const gp = g + off(k, N, j);
      let c0 = v128.load(gp);
      let c1 = v128.load(gp, 16);
      let ap = a + (<usize>k << 2);
      let dp = d + (<usize>j << 2);
      for (let r = 0; r < R; r++) {
        const s = v128.load32_splat(ap);
        c0 = madd(c0, s, v128.load(dp));
        c1 = madd(c1, s, v128.load(dp, 16));
        ap += aStep;
        dp += dStep;
      }
      v128.store(gp, c0);
      v128.store(gp, c1, 16);
    }
    for (; j + 4 <= j1; j += 4) {
      const gp = g + off(k, N, j);
      let c0 = v128.load(gp);
      let ap = a + (<usize>k << 2);
      let dp = d + (<usize>j << 2);
      for (let r = 0; r < R; r++) {
        c0 = madd(c0, v128.load32_splat(ap), v128.load(dp));
        ap += aStep;
        dp += dStep;
      }
      v128.store(gp, c0);
    }
    for (; j < j1; j++) {
      let acc = load<f32>(g + off(k, N, j));
      for (let r = 0; r < R; r++) acc += load<f32>(a + off(r, lda, k)) * load<f32>(d + off(r, ldd, j));
      store<f32>(g + off(k, N, j), acc);
    }
  }
}

/**
 * s += column sums of D [R, N] (row stride ldd): a bias gradient. 16 columns per pass (four
 * independent sums; one would wait on the adder's latency), each column summed over the rows in order.
 */
export function colSum(d: usize, ldd: i32, R: i32, N: i32, s: usize): void {
  const dStep = <usize>ldd << 2;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    const sp = s + (<usize>j << 2);
    let a0 = v128.load(sp);
    let a1 = v128.load(sp, 16);
    let a2 = v128.load(sp, 32);
    let a3 = v128.load(sp, 48);
    let dp = d + (<usize>j << 2);
    for (let r = 0; r < R; r++) {
      a0 = f32x4.add(a0, v128.load(dp));
      a1 = f32x4.add(a1, v128.load(dp, 16));
      a2 = f32x4.add(a2, v128.load(dp, 32));
      a3 = f32x4.add(a3, v128.load(dp, 48));
      dp += dStep;
    }
    v128.store(sp, a0);
    v128.store(sp, a1, 16);
    v128.store(sp, a2, 32);
    v128.store(sp, a3, 48);
  }
  for (; j + 4 <= N; j += 4) {
    let acc = v128.load(s + (<usize>j << 2));
    let dp = d + (<usize>j << 2);
    for (let r = 0; r < R; r++) {
      acc = f32x4.add(acc, v128.load(dp));
      dp += dStep;
    }
    v128.store(s + (<usize>j << 2), acc);
  }
  for (; j < N; j++) {
    let acc = load<f32>(s + (<usize>j << 2));
    for (let r = 0; r < R; r++) acc += load<f32>(d + off(r, ldd, j));
    store<f32>(s + (<usize>j << 2), acc);
  }
}

/** B = Aᵀ for A [rows, cols] (contiguous). */
export function transpose(a: usize, b: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) store<f32>(b + off(j, rows, i), load<f32>(a + off(i, cols, j)));
  }
}

// ---------------------------------------------------------------------------------------------
// Small vector updates (solver stages)

/** y += alpha·x over count floats. */
export function axpy(y: usize, x: usize, alpha: f32, count: i32): void {
  const av = f32x4.splat(alpha);
  let p: usize = 0;
  const end = <usize>count << 2;
  for (; p + 16 <= end; p += 16) v128.store(y + p, madd(v128.load(y + p), av, v128.load(x + p)));
  for (; p < end; p += 4) store<f32>(y + p, load<f32>(y + p) + alpha * load<f32>(x + p));
}

/** dst = src over count floats. */
export function copy(dst: usize, src: usize, count: i32): void {
  memory.copy(dst, src, <usize>count << 2);
}

/** dst = 0 over count floats. */
export function zero(dst: usize, count: i32): void {
  memory.fill(dst, 0, <usize>count << 2);
}

// ---------------------------------------------------------------------------------------------
// Activations. Kinds: 0 none, 1 elu, 2 relu, 3 leaky_relu, 4 tanh, 5 sigmoid, 6 silu, 7 selu,
// 8 gelu (tanh approximation). The TypeScript side maps names to these numbers.

const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;
const GELU_K: f32 = 0.7978845608028654; // √(2/π)
const GELU_C: f32 = 0.044715;

// Constants of the activations, one table read with broadcast loads (K(i)). Measured no faster or
// slower than v128 constants here; what made the activation loops fast was one loop per kind.
const CONSTS = memory.data<f32>([
  -87.0, 88.0, 12583039.0, 1.4426950408889634, 0.693359375, -2.12194440e-4,
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
  1.0, 2.0, 0.5, SELU_ALPHA, SELU_SCALE, SELU_SCALE * SELU_ALPHA, GELU_K, GELU_C, 3 * GELU_C,
]);
const C_EXP_LO = 0;
const C_EXP_HI = 1;
const C_MAGIC = 2;
const C_LOG2E = 3;
const C_LN2_HI = 4;
const C_LN2_LO = 5;
const C_P0 = 6;
const C_ONE = 12;
const C_TWO = 13;
const C_HALF = 14;
const C_SELU_ALPHA = 15;
const C_SELU_SCALE = 16;
const C_SELU_SA = 17;
const C_GELU_K = 18;
const C_GELU_C = 19;
const C_GELU_3C = 20;

@inline function K(i: i32): v128 {
  return v128.load32_splat(CONSTS + (<usize>i << 2));
}

/** The end of the module's static data (must stay below the scratch vector and the arena). */
export function staticEnd(): usize {
  return __heap_base;
}

/**
 * e^x to about 2 ulp: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two for an exact product),
 * e^r by a degree-7 polynomial (Cephes expf coefficients), 2^n built in the exponent bits. n is
 * rounded by adding 1.5·2^23 + 127 (the float's low mantissa bits then hold n + 127, which a shift
 * moves into the exponent field): no float-to-int conversion, which WASM SIMD makes costly.
 */
@inline function vexp(x0: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, K(C_EXP_LO)), K(C_EXP_HI));
  const magic = K(C_MAGIC);
  const t = madd(magic, x, K(C_LOG2E));
  const n = f32x4.sub(t, magic); // round(x·log2 e)
  let r = f32x4.sub(x, f32x4.mul(n, K(C_LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, K(C_LN2_LO)));
  let p = K(C_P0);
  p = madd(K(C_P0 + 1), p, r);
  p = madd(K(C_P0 + 2), p, r);
  p = madd(K(C_P0 + 3), p, r);
  p = madd(K(C_P0 + 4), p, r);
  p = madd(K(C_P0 + 5), p, r);
  const y = f32x4.add(madd(r, p, f32x4.mul(r, r)), K(C_ONE));
  return f32x4.mul(y, i32x4.shl(t, 23));
}

/** tanh z = sign(z)·(1 − 2/(e^{2|z|} + 1)). */
@inline function vtanh(z: v128): v128 {
  const e = vexp(f32x4.mul(f32x4.abs(z), K(C_TWO)));
  const t = f32x4.sub(K(C_ONE), f32x4.div(K(C_TWO), f32x4.add(e, K(C_ONE))));
  return v128.bitselect(f32x4.neg(t), t, f32x4.lt(z, f32x4.splat(0)));
}

@inline function vsigmoid(z: v128): v128 {
  return f32x4.div(K(C_ONE), f32x4.add(K(C_ONE), vexp(f32x4.neg(z))));
}

@inline function vact(kind: i32, z: v128, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  const pos = f32x4.gt(z, zero);
  switch (kind) {
    case 1:
      return v128.bitselect(z, f32x4.sub(vexp(z), K(C_ONE)), pos);
    case 2:
      return f32x4.pmax(z, zero);
    case 3:
      return v128.bitselect(z, f32x4.mul(z, f32x4.splat(alpha)), pos);
    case 4:
      return vtanh(z);
    case 5:
      return vsigmoid(z);
    case 6:
      return f32x4.mul(z, vsigmoid(z));
    case 7: {
      const neg = f32x4.mul(f32x4.sub(vexp(z), K(C_ONE)), K(C_SELU_ALPHA));
      return f32x4.mul(v128.bitselect(z, neg, pos), K(C_SELU_SCALE));
    }
    case 8: {
      const z3 = f32x4.mul(f32x4.mul(z, z), z);
      const t = vtanh(f32x4.mul(madd(z, z3, K(C_GELU_C)), K(C_GELU_K)));
      return f32x4.mul(f32x4.mul(z, K(C_HALF)), f32x4.add(t, K(C_ONE)));
    }
    default:
      return z;
  }
}

/** σ′(z) given z and y = σ(z); for the piecewise ones g·σ′ is formed by the caller's multiply. */
@inline function vgrad(kind: i32, z: v128, y: v128, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  const pos = f32x4.gt(z, zero);
  switch (kind) {
    case 1:
      return v128.bitselect(K(C_ONE), f32x4.add(y, K(C_ONE)), pos);
    case 2:
      return v128.and(K(C_ONE), pos);
    case 3:
      return v128.bitselect(K(C_ONE), f32x4.splat(alpha), pos);
    case 4:
      return f32x4.sub(K(C_ONE), f32x4.mul(y, y));
    case 5:
      return f32x4.mul(y, f32x4.sub(K(C_ONE), y));
    case 6: {
      const s = vsigmoid(z);
      return f32x4.mul(s, madd(K(C_ONE), z, f32x4.sub(K(C_ONE), s)));
    }
    case 7:
      return v128.bitselect(K(C_SELU_SCALE), f32x4.add(y, K(C_SELU_SA)), pos);
    case 8: {
      const z2 = f32x4.mul(z, z);
      const t = vtanh(f32x4.mul(madd(z, f32x4.mul(z2, z), K(C_GELU_C)), K(C_GELU_K)));
      const du = f32x4.mul(madd(K(C_ONE), z2, K(C_GELU_3C)), K(C_GELU_K));
      const half = K(C_HALF);
      return madd(f32x4.mul(half, f32x4.add(K(C_ONE), t)), f32x4.mul(f32x4.mul(half, z), f32x4.sub(K(C_ONE), f32x4.mul(t, t))), du);
    }
    default:
      return K(C_ONE);
  }
}

/** 48 bytes above the static data and below PANEL and the arena (src/simd/kernels.ts starts it at 64 KiB) for the last partial vector. */
const SCRATCH: usize = 2048;

@inline function stage(dst: usize, src: usize, from: usize, to: usize): void {
  v128.store(dst, f32x4.splat(0));
  for (let q = from; q < to; q += 4) store<f32>(dst + q - from, load<f32>(src + q));
}

/** The main loop of `activate` for one kind; inlined with a literal kind, its switch folds away. */
@inline function activateLoop(kind: i32, z: usize, y: usize, main: usize, alpha: f32): void {
  let p: usize = 0;
  // four vectors per iteration: their exp chains (latency-bound one at a time) overlap
  const main4 = main & ~(<usize>63);
  for (; p < main4; p += 64) {
    const a = vact(kind, v128.load(z + p), alpha);
    const b = vact(kind, v128.load(z + p, 16), alpha);
    const c = vact(kind, v128.load(z + p, 32), alpha);
    const d = vact(kind, v128.load(z + p, 48), alpha);
    v128.store(y + p, a);
    v128.store(y + p, b, 16);
    v128.store(y + p, c, 32);
    v128.store(y + p, d, 48);
  }
  for (; p < main; p += 16) v128.store(y + p, vact(kind, v128.load(z + p), alpha));
}

/** The main loop of `activationBackward` for one kind (as `activateLoop`). */
@inline function backwardLoop(kind: i32, g: usize, z: usize, y: usize, main: usize, alpha: f32): void {
  for (let p: usize = 0; p < main; p += 16) {
    v128.store(g + p, f32x4.mul(v128.load(g + p), vgrad(kind, v128.load(z + p), v128.load(y + p), alpha)));
  }
}

/**
 * y = σ(z) over count floats (y may be z). One loop per activation (a switch inside the loop costs
 * more than the arithmetic); the last partial vector goes through a zero-padded scratch vector.
 */
export function activate(kind: i32, z: usize, y: usize, count: i32, alpha: f32): void {
  const end = <usize>count << 2;
  const main = end & ~(<usize>15);
  switch (kind) {
    case 1: activateLoop(1, z, y, main, alpha); break;
    case 2: activateLoop(2, z, y, main, alpha); break;
    case 3: activateLoop(3, z, y, main, alpha); break;
    case 4: activateLoop(4, z, y, main, alpha); break;
    case 5: activateLoop(5, z, y, main, alpha); break;
    case 6: activateLoop(6, z, y, main, alpha); break;
    case 7: activateLoop(7, z, y, main, alpha); break;
    case 8: activateLoop(8, z, y, main, alpha); break;
    default:
      if (y != z) memory.copy(y, z, main);
  }
  if (main < end) {
    stage(SCRATCH, z, main, end);
    activate(kind, SCRATCH, SCRATCH, 4, alpha);
    for (let q = main; q < end; q += 4) store<f32>(y + q, load<f32>(SCRATCH + q - main));
  }
}

/** g ⊙= σ′(z) over count floats, with y = σ(z) (one loop per activation, as `activate`). */
export function activationBackward(kind: i32, g: usize, z: usize, y: usize, count: i32, alpha: f32): void {
  if (kind < 1 || kind > 8) return; // linear: σ′ = 1
  const end = <usize>count << 2;
  const main = end & ~(<usize>15);
  switch (kind) {
    case 1: backwardLoop(1, g, z, y, main, alpha); break;
    case 2: backwardLoop(2, g, z, y, main, alpha); break;
    case 3: backwardLoop(3, g, z, y, main, alpha); break;
    case 4: backwardLoop(4, g, z, y, main, alpha); break;
    case 5: backwardLoop(5, g, z, y, main, alpha); break;
    case 6: backwardLoop(6, g, z, y, main, alpha); break;
    case 7: backwardLoop(7, g, z, y, main, alpha); break;
    default: backwardLoop(8, g, z, y, main, alpha);
  }
  if (main < end) {
    stage(SCRATCH, g, main, end);
    stage(SCRATCH + 16, z, main, end);
    stage(SCRATCH + 32, y, main, end);
    activationBackward(kind, SCRATCH, SCRATCH + 16, SCRATCH + 32, 4, alpha);
    for (let q = main; q < end; q += 4) store<f32>(g + q, load<f32>(SCRATCH + q - main));
  }
}

// ---------------------------------------------------------------------------------------------
// Training step over flat float32 buffers: loss, global norm, optimizer update (src/simd/optimizer.ts)

/** Σ x² over count floats, accumulated in float64. */
export function sumSquares(x: usize, count: i32): f64 {
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  const end = <usize>count << 2;
  const main = end & ~(<usize>15);
  for (let p: usize = 0; p < main; p += 16) {
    const v = v128.load(x + p);
    const sq = f32x4.mul(v, v);
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(sq));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(sq, sq, 2, 3, 0, 1)));
  }
  let s = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
  for (let p = main; p < end; p += 4) {
    const v = load<f32>(x + p);
    s += <f64>(v * v);
  }
  return s;
}

/**
 * The mean squared error's pieces: grad = scale·(pred − target) (scale = 2/count gives the gradient
 * of the mean) and the returned Σ (pred − target)², accumulated in float64.
 */
export function squaredError(pred: usize, target: usize, grad: usize, count: i32, scale: f32): f64 {
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  const sv = f32x4.splat(scale);
  const end = <usize>count << 2;
  const main = end & ~(<usize>15);
  for (let p: usize = 0; p < main; p += 16) {
    const d = f32x4.sub(v128.load(pred + p), v128.load(target + p));
    v128.store(grad + p, f32x4.mul(d, sv));
    const sq = f32x4.mul(d, d);
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(sq));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(sq, sq, 2, 3, 0, 1)));
  }
  let s = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
  for (let p = main; p < end; p += 4) {
    const d = load<f32>(pred + p) - load<f32>(target + p);
    store<f32>(grad + p, d * scale);
    s += <f64>(d * d);
  }
  return s;
}

/**
 * One Adam/NAdam update (torch's rules) over count parameters, the gradient scaled by gscale (the
 * global-norm clipping factor): g ← gscale·g, m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
 * θ ← θ − (cg·g + cm·m) / (√(v·ibc2) + ε), with ibc2 = 1/(1 − β2^t) and the step's cg, cm. 1 − β1
 * and 1 − β2 come from the caller (formed in float64: in float32, 1 − 0.999 is off by 1.3e-5).
 * Plain multiplies and adds in both builds (no fused multiply-add), in the order of @sii/train's tfjs
 * ops, so that the update rounds exactly as the tfjs reference does.
 */
export function momentStep(
  theta: usize, g: usize, m: usize, v: usize, count: i32,
  gscale: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, ibc2: f32, eps: f32, cg: f32, cm: f32,
): void {
  const end = <usize>count << 2;
  const main = end & ~(<usize>15);
  const gs = f32x4.splat(gscale);
  const b1 = f32x4.splat(beta1);
  const b1c = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2);
  const b2c = f32x4.splat(oneMinusBeta2);
  const ib = f32x4.splat(ibc2);
  const ev = f32x4.splat(eps);
  const cgv = f32x4.splat(cg);
  const cmv = f32x4.splat(cm);
  let p: usize = 0;
  const main2 = main & ~(<usize>31);
  for (; p < main2; p += 32) {
    const q = p + 16;
    const gv = f32x4.mul(v128.load(g + p), gs);
    const gw = f32x4.mul(v128.load(g + q), gs);
    const mv = f32x4.add(f32x4.mul(v128.load(m + p), b1), f32x4.mul(gv, b1c));
    const mw = f32x4.add(f32x4.mul(v128.load(m + q), b1), f32x4.mul(gw, b1c));
    const vv = f32x4.add(f32x4.mul(v128.load(v + p), b2), f32x4.mul(f32x4.mul(gv, gv), b2c));
    const vw = f32x4.add(f32x4.mul(v128.load(v + q), b2), f32x4.mul(f32x4.mul(gw, gw), b2c));
    v128.store(m + p, mv);
    v128.store(m + q, mw);
    v128.store(v + p, vv);
    v128.store(v + q, vw);
    const dv = f32x4.add(f32x4.sqrt(f32x4.mul(vv, ib)), ev);
    const dw = f32x4.add(f32x4.sqrt(f32x4.mul(vw, ib)), ev);
    const nv = f32x4.add(f32x4.mul(gv, cgv), f32x4.mul(mv, cmv));
    const nw = f32x4.add(f32x4.mul(gw, cgv), f32x4.mul(mw, cmv));
    v128.store(theta + p, f32x4.sub(v128.load(theta + p), f32x4.div(nv, dv)));
    v128.store(theta + q, f32x4.sub(v128.load(theta + q), f32x4.div(nw, dw)));
  }
  for (; p < main; p += 16) {
    const gv = f32x4.mul(v128.load(g + p), gs);
    const mv = f32x4.add(f32x4.mul(v128.load(m + p), b1), f32x4.mul(gv, b1c));
    const vv = f32x4.add(f32x4.mul(v128.load(v + p), b2), f32x4.mul(f32x4.mul(gv, gv), b2c));
    v128.store(m + p, mv);
    v128.store(v + p, vv);
    const denom = f32x4.add(f32x4.sqrt(f32x4.mul(vv, ib)), ev);
    const num = f32x4.add(f32x4.mul(gv, cgv), f32x4.mul(mv, cmv));
    v128.store(theta + p, f32x4.sub(v128.load(theta + p), f32x4.div(num, denom)));
  }
  for (let p = main; p < end; p += 4) {
    const gv = load<f32>(g + p) * gscale;
    const mv = load<f32>(m + p) * beta1 + gv * oneMinusBeta1;
    const vv = load<f32>(v + p) * beta2 + gv * gv * oneMinusBeta2;
    store<f32>(m + p, mv);
    store<f32>(v + p, vv);
    const denom = Mathf.sqrt(vv * ibc2) + eps;
    store<f32>(theta + p, load<f32>(theta + p) - (gv * cg + mv * cm) / denom);
  }
}

/**
 * ln x for a positive normal f64 to about 1 ulp, without AssemblyScript's Math.log (its tables would
 * push the static data past the scratch vector): x = 2^e·m with m ∈ [√½, √2), ln m = 2·atanh(t) with
 * t = (m − 1)/(m + 1), |t| ≤ 0.172, by its series to t^25 (the next term is below 1e-19).
 */
function log64(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const t = (m - 1) / (m + 1);
  const t2 = t * t;
  let p: f64 = 1.0 / 25;
  for (let k = 23; k >= 1; k -= 2) p = p * t2 + 1.0 / <f64>k;
  return 2 * t * p + <f64>e * 0.6931471805599453;
}

/** Largest lane of v. */
@inline function hmax(v: v128): f32 {
  const a = f32x4.pmax(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  const b = f32x4.pmax(a, i32x4.shuffle(a, a, 1, 0, 3, 2));
  return f32x4.extract_lane(b, 0);
}

/**
 * Weighted softmax cross-entropy of logits z [T, B, C] (contiguous) against labels [B] (i32 class
 * indices, the same at every step) with one weight per step, weights [T]:
 * returns Σ_s weights[s] · Σ_b (lse(z[s, b, :]) − z[s, b, label_b]) (float64 sum), and writes its
 * gradient with respect to z, grad[s, b, c] = weights[s] · (softmax(z[s, b, :])_c − [c = label_b]).
 * One pass per row: the row's maximum m, e_c = exp(z_c − m) into grad with their sum S, then
 * lse = m + log S (numerically stable) and grad scaled by weights[s]/S. grad may not alias z.
 */
export function weightedCrossEntropy(z: usize, labels: usize, weights: usize, grad: usize, T: i32, B: i32, C: i32): f64 {
  const rowBytes = <usize>C << 2;
  const main = rowBytes & ~(<usize>15);
  let total: f64 = 0;
  for (let s = 0; s < T; s++) {
    const w = load<f32>(weights + (<usize>s << 2));
    let acc: f64 = 0;
    for (let b = 0; b < B; b++) {
      const row = (<usize>s * <usize>B + <usize>b) * rowBytes;
      const zr = z + row;
      const gr = grad + row;
      // maximum (the partial vector's lanes padded with the first logit)
      let mv = f32x4.splat(load<f32>(zr));
      for (let p: usize = 0; p < main; p += 16) mv = f32x4.pmax(mv, v128.load(zr + p));
      let m = hmax(mv);
      for (let p = main; p < rowBytes; p += 4) m = max(m, load<f32>(zr + p));
      // e_c = exp(z_c − m) and their sum
      const ms = f32x4.splat(m);
      let sv = f32x4.splat(0);
      for (let p: usize = 0; p < main; p += 16) {
        const e = vexp(f32x4.sub(v128.load(zr + p), ms));
        v128.store(gr + p, e);
        sv = f32x4.add(sv, e);
      }
      let S: f32 = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
      for (let p = main; p < rowBytes; p += 4) {
        const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(zr + p) - m)), 0);
        store<f32>(gr + p, e);
        S += e;
      }
      // grad = w·e/S − w·onehot; loss_row = lse − z_label
      const label = load<i32>(labels + (<usize>b << 2));
      const lp: usize = <usize>label << 2;
      const f = w / S;
      const fv = f32x4.splat(f);
      for (let p: usize = 0; p < main; p += 16) v128.store(gr + p, f32x4.mul(v128.load(gr + p), fv));
      for (let p = main; p < rowBytes; p += 4) store<f32>(gr + p, load<f32>(gr + p) * f);
      store<f32>(gr + lp, load<f32>(gr + lp) - w);
      acc += <f64>m + log64(<f64>S) - <f64>load<f32>(zr + lp);
    }
    total += <f64>w * acc;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// LayerNorm over the rows of a [R, H] matrix (torch.nn.LayerNorm: biased variance, ε inside the root)

/** Σ of the H floats at p (4 lanes, then the remainder). */
@inline function rowSum(p: usize, main: usize, bytes: usize): f32 {
  let acc = f32x4.splat(0);
  for (let q: usize = 0; q < main; q += 16) acc = f32x4.add(acc, v128.load(p + q));
  let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (let q = main; q < bytes; q += 4) s += load<f32>(p + q);
  return s;
}

/**
 * y = x̂·γ + β with x̂ = (x − mean)/σ, σ = √(var + eps) per row of x [R, H]; writes x̂ [R, H] and
 * 1/σ [R] for the backward pass. Two passes over each row (mean, then the centred squares).
 */
export function layerNormForward(x: usize, gamma: usize, beta: usize, y: usize, xhat: usize, rstd: usize, R: i32, H: i32, eps: f32): void {
  const bytes = <usize>H << 2;
  const main = bytes & ~(<usize>15);
  const invH: f32 = 1 / <f32>H;
  for (let r = 0; r < R; r++) {
    const o = <usize>r * bytes;
    const xr = x + o;
    const mean = rowSum(xr, main, bytes) * invH;
    const mv = f32x4.splat(mean);
    let acc = f32x4.splat(0);
    for (let q: usize = 0; q < main; q += 16) {
      const c = f32x4.sub(v128.load(xr + q), mv);
      acc = madd(acc, c, c);
    }
    let sq: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (let q = main; q < bytes; q += 4) {
      const c = load<f32>(xr + q) - mean;
      sq += c * c;
    }
    const rs: f32 = 1 / Mathf.sqrt(sq * invH + eps);
    store<f32>(rstd + (<usize>r << 2), rs);
    const rv = f32x4.splat(rs);
    const hr = xhat + o;
    const yr = y + o;
    for (let q: usize = 0; q < main; q += 16) {
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + q), mv), rv);
      v128.store(hr + q, xh);
      v128.store(yr + q, madd(v128.load(beta + q), xh, v128.load(gamma + q)));
    }
    for (let q = main; q < bytes; q += 4) {
      const xh = (load<f32>(xr + q) - mean) * rs;
      store<f32>(hr + q, xh);
      store<f32>(yr + q, xh * load<f32>(gamma + q) + load<f32>(beta + q));
    }
  }
}

/**
 * The gradient of `layerNormForward` from dy [R, H], x̂ and 1/σ: dγ += Σ_rows dy·x̂, dβ += Σ_rows dy,
 * and with g = dy·γ per row, dx = (g − mean(g) − x̂·mean(g·x̂))/σ.
 */
export function layerNormBackward(dy: usize, xhat: usize, rstd: usize, gamma: usize, dx: usize, dgamma: usize, dbeta: usize, R: i32, H: i32): void {
  const bytes = <usize>H << 2;
  const main = bytes & ~(<usize>15);
  const invH: f32 = 1 / <f32>H;
  for (let r = 0; r < R; r++) {
    const o = <usize>r * bytes;
    const dr = dy + o;
    const hr = xhat + o;
    let av = f32x4.splat(0);
    let bv = f32x4.splat(0);
    for (let q: usize = 0; q < main; q += 16) {
      const d = v128.load(dr + q);
      const xh = v128.load(hr + q);
      v128.store(dgamma + q, madd(v128.load(dgamma + q), d, xh));
      v128.store(dbeta + q, f32x4.add(v128.load(dbeta + q), d));
      const g = f32x4.mul(d, v128.load(gamma + q));
      av = f32x4.add(av, g);
      bv = madd(bv, g, xh);
    }
    let a: f32 = f32x4.extract_lane(av, 0) + f32x4.extract_lane(av, 1) + f32x4.extract_lane(av, 2) + f32x4.extract_lane(av, 3);
    let b: f32 = f32x4.extract_lane(bv, 0) + f32x4.extract_lane(bv, 1) + f32x4.extract_lane(bv, 2) + f32x4.extract_lane(bv, 3);
    for (let q = main; q < bytes; q += 4) {
      const d = load<f32>(dr + q);
      const xh = load<f32>(hr + q);
      store<f32>(dgamma + q, load<f32>(dgamma + q) + d * xh);
      store<f32>(dbeta + q, load<f32>(dbeta + q) + d);
      const g = d * load<f32>(gamma + q);
      a += g;
      b += g * xh;
    }
    a *= invH;
    b *= invH;
    const rs = load<f32>(rstd + (<usize>r << 2));
    const avv = f32x4.splat(a);
    const bvv = f32x4.splat(b);
    const rv = f32x4.splat(rs);
    const xr = dx + o;
    for (let q: usize = 0; q < main; q += 16) {
      const g = f32x4.mul(v128.load(dr + q), v128.load(gamma + q));
      const t = f32x4.sub(f32x4.sub(g, avv), f32x4.mul(v128.load(hr + q), bvv));
      v128.store(xr + q, f32x4.mul(t, rv));
    }
    for (let q = main; q < bytes; q += 4) {
      const g = load<f32>(dr + q) * load<f32>(gamma + q);
      store<f32>(xr + q, (g - a - load<f32>(hr + q) * b) * rs);
    }
  }
}
export * from './conv_kernels';

// Whole-segment kernels for small fields (one hidden layer, at most 4 states).
export * from './small_field';
