// WebAssembly SIMD kernels of stride-1 3-D convolutions on channels-last tensors [N, D, H, W, C]
// and a training-mode BatchNorm over the rows of [M, C] (src/simd/conv3d.ts wraps them as tfjs ops).
// Float32, byte pointers into the module's memory, as mlp_kernels.ts (which re-exports this file).
// The convolution is direct: the input is zero-padded first (`pad3d`), then for every output row
// (n, d, h) and tap pair (a, b) the kw·Cin values under the kernel are one contiguous run of the
// padded row, so each output block is a small product with no index arithmetic in its inner loop.

/** acc + a·b per lane (fused where relaxed SIMD is enabled, as in mlp_kernels.ts). */
@inline function fma(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** The first `n` (1..3) lanes of v to p (a partial block of output channels). */
@inline function storePartial(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p + 4, f32x4.extract_lane(v, 1));
  if (n > 2) store<f32>(p + 8, f32x4.extract_lane(v, 2));
}

@inline function storeCols(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else storePartial(p, v, n);
}

/**
 * out [N, D + 2pd, H + 2ph, W + 2pw, C] = x [N, D, H, W, C] with zero padding. out must not alias x.
 */
export function pad3d(x: usize, N: i32, D: i32, H: i32, W: i32, C: i32, pd: i32, ph: i32, pw: i32, out: usize): void {
  const Dp = D + 2 * pd;
  const Hp = H + 2 * ph;
  const Wp = W + 2 * pw;
  memory.fill(out, 0, <usize>N * <usize>Dp * <usize>Hp * <usize>Wp * <usize>C * 4);
  const rowBytes = <usize>W * <usize>C * 4;
  for (let n = 0; n < N; n++)
    for (let d = 0; d < D; d++)
      for (let h = 0; h < H; h++) {
        const src = at(x, ((n * D + d) * H + h) * W * C);
        const dst = at(out, (((n * Dp + d + pd) * Hp + h + ph) * Wp + pw) * C);
        memory.copy(dst, src, rowBytes);
      }
}

/** out [kd, kh, kw, Co, Ci] = w [kd, kh, kw, Ci, Co] flipped in space (the input gradient's kernel). */
export function flipKernel(w: usize, kd: i32, kh: i32, kw: i32, Ci: i32, Co: i32, out: usize): void {
  const taps = kd * kh * kw;
  for (let t = 0; t < taps; t++) {
    const src = at(w, t * Ci * Co);
    const dst = at(out, (taps - 1 - t) * Co * Ci);
    for (let i = 0; i < Ci; i++) for (let o = 0; o < Co; o++) store<f32>(at(dst, o * Ci + i), load<f32>(at(src, i * Co + o)));
  }
}

/**
 * y [N, Do, Ho, Wo, Co] = (bias) + valid stride-1 convolution of the padded input xp [N, Dp, Hp, Wp, Ci]
 * with w [kd, kh, kw, Ci, Co]; Do = Dp − kd + 1 etc. bias: 0 for none, else [Co]. Blocks of 4 output
 * positions along w × 8 (then 4) output channels; the last partial channel block reads up to 3 floats
 * past the ends of w and bias (the TypeScript side leaves slack there) and stores only its own lanes.
 */
@inline function convValidBody(
  xp: usize,
  N: i32,
  Dp: i32,
  Hp: i32,
  Wp: i32,
  Ci: i32,
  w: usize,
  kd: i32,
  kh: i32,
  kw: i32,
  Co: i32,
  bias: usize,
  y: usize,
): void {
  const Do = Dp - kd + 1;
  const Ho = Hp - kh + 1;
  const Wo = Wp - kw + 1;
  const K = kw * Ci;
  const ciB = <usize>Ci << 2;
  const coB = <usize>Co << 2;
  for (let n = 0; n < N; n++)
    for (let d = 0; d < Do; d++)
      for (let h = 0; h < Ho; h++) {
        const yrow = at(y, ((n * Do + d) * Ho + h) * Wo * Co);
        let w0 = 0;
        for (; w0 + 4 <= Wo; w0 += 4) {
          let c0 = 0;
          for (; c0 + 8 <= Co; c0 += 8) {
            const b0 = bias ? v128.load(at(bias, c0)) : f32x4.splat(0);
            const b1 = bias ? v128.load(at(bias, c0 + 4)) : f32x4.splat(0);
            let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
            for (let a = 0; a < kd; a++)
              for (let b = 0; b < kh; b++) {
                let xr = at(xp, (((n * Dp + d + a) * Hp + h + b) * Wp + w0) * Ci);
                let wr = at(w, ((a * kh + b) * K) * Co + c0);
                for (let k = 0; k < K; k++) {
                  const v0 = v128.load(wr);
                  const v1 = v128.load(wr + 16);
                  const x0 = v128.load32_splat(xr);
                  const x1 = v128.load32_splat(xr + ciB);
                  const x2 = v128.load32_splat(xr + 2 * ciB);
                  const x3 = v128.load32_splat(xr + 3 * ciB);
                  a00 = fma(a00, x0, v0);
                  a01 = fma(a01, x0, v1);
                  a10 = fma(a10, x1, v0);
                  a11 = fma(a11, x1, v1);
                  a20 = fma(a20, x2, v0);
                  a21 = fma(a21, x2, v1);
                  a30 = fma(a30, x3, v0);
                  a31 = fma(a31, x3, v1);
                  xr += 4;
                  wr += coB;
                }
              }
            const o = at(yrow, w0 * Co + c0);
            v128.store(o, a00);
            v128.store(o + 16, a01);
            v128.store(o + coB, a10);
            v128.store(o + coB + 16, a11);
            v128.store(o + 2 * coB, a20);
            v128.store(o + 2 * coB + 16, a21);
            v128.store(o + 3 * coB, a30);
            v128.store(o + 3 * coB + 16, a31);
          }
          for (; c0 < Co; c0 += 4) {
            const cols = Co - c0;
            const b0 = bias ? v128.load(at(bias, c0)) : f32x4.splat(0);
            let a0 = b0, a1 = b0, a2 = b0, a3 = b0;
            for (let a = 0; a < kd; a++)
              for (let b = 0; b < kh; b++) {
                let xr = at(xp, (((n * Dp + d + a) * Hp + h + b) * Wp + w0) * Ci);
                let wr = at(w, ((a * kh + b) * K) * Co + c0);
                for (let k = 0; k < K; k++) {
                  const v0 = v128.load(wr);
                  a0 = fma(a0, v128.load32_splat(xr), v0);
                  a1 = fma(a1, v128.load32_splat(xr + ciB), v0);
                  a2 = fma(a2, v128.load32_splat(xr + 2 * ciB), v0);
                  a3 = fma(a3, v128.load32_splat(xr + 3 * ciB), v0);
                  xr += 4;
                  wr += coB;
                }
              }
            const o = at(yrow, w0 * Co + c0);
            storeCols(o, a0, cols);
            storeCols(o + coB, a1, cols);
            storeCols(o + 2 * coB, a2, cols);
            storeCols(o + 3 * coB, a3, cols);
          }
        }
        for (; w0 < Wo; w0++) {
          for (let c0 = 0; c0 < Co; c0 += 4) {
            const cols = Co - c0;
            let a0 = bias ? v128.load(at(bias, c0)) : f32x4.splat(0);
            for (let a = 0; a < kd; a++)
              for (let b = 0; b < kh; b++) {
                let xr = at(xp, (((n * Dp + d + a) * Hp + h + b) * Wp + w0) * Ci);
                let wr = at(w, ((a * kh + b) * K) * Co + c0);
                for (let k = 0; k < K; k++) {
                  a0 = fma(a0, v128.load32_splat(xr), v128.load(wr));
                  xr += 4;
                  wr += coB;
                }
              }
            storeCols(at(yrow, w0 * Co + c0), a0, cols);
          }
        }
      }
}

export function conv3dValid(
  xp: usize,
  N: i32,
  Dp: i32,
  Hp: i32,
  Wp: i32,
  Ci: i32,
  w: usize,
  kd: i32,
  kh: i32,
  kw: i32,
  Co: i32,
  bias: usize,
  y: usize,
): void {
  // Literal channel counts of the latent model inline into constant address offsets.
  if (Ci == 8 && Co == 8) convValidBody(xp, N, Dp, Hp, Wp, 8, w, kd, kh, kw, 8, bias, y);
  else if (Ci == 8 && Co == 16) convValidBody(xp, N, Dp, Hp, Wp, 8, w, kd, kh, kw, 16, bias, y);
  else if (Ci == 16 && Co == 16) convValidBody(xp, N, Dp, Hp, Wp, 16, w, kd, kh, kw, 16, bias, y);
  else if (Ci == 16 && Co == 8) convValidBody(xp, N, Dp, Hp, Wp, 16, w, kd, kh, kw, 8, bias, y);
  else convValidBody(xp, N, Dp, Hp, Wp, Ci, w, kd, kh, kw, Co, bias, y);
}

/**
 * dw [kd, kh, kw, Ci, Co] = Σ over output positions of xp[position + tap, ci]·dy[position, co]: the
 * kernel gradient of `conv3dValid` (overwritten, not accumulated). Blocks of 4 reduction rows
 * (k = c·Ci + ci inside a tap pair) × 8 (then 4) output channels, summed in registers over chunks of
 * output rows (so that a chunk's x and dy stay in cache while every block passes over them); dw's and
 * dy's last partial channel blocks read up to 7 floats past their ends. rows: N·Do·Ho i32 of scratch.
 */
@inline function filterGradBody(
  xp: usize,
  N: i32,
  Dp: i32,
  Hp: i32,
  Wp: i32,
  Ci: i32,
  dy: usize,
  Co: i32,
  kd: i32,
  kh: i32,
  kw: i32,
  dw: usize,
  rows: usize,
): void {
  const Do = Dp - kd + 1;
  const Ho = Hp - kh + 1;
  const Wo = Wp - kw + 1;
  const K = kw * Ci;
  const ciB = <usize>Ci << 2;
  const coB = <usize>Co << 2;
  const R = N * Do * Ho;
  // Byte offset into xp of every output row's (n, d, h) window corner (tap a = b = 0).
  let q = 0;
  for (let n = 0; n < N; n++)
    for (let d = 0; d < Do; d++)
      for (let h = 0; h < Ho; h++, q++) store<i32>(rows + (<usize>q << 2), ((n * Dp + d) * Hp + h) * Wp * Ci * 4);
  memory.fill(dw, 0, <usize>(kd * kh * K * Co) << 2);
  // Rows in chunks of ~256 positions (their x and dy stay in L1 while every block of dw sums them).
  const chunk = max(1, 256 / Wo);
  for (let r0 = 0; r0 < R; r0 += chunk) {
    const r1 = min(R, r0 + chunk);
    for (let a = 0; a < kd; a++)
      for (let b = 0; b < kh; b++) {
        const g = at(dw, (a * kh + b) * K * Co);
        const tap = <usize>((a * Hp + b) * Wp * Ci) << 2;
        let k0 = 0;
        for (; k0 + 4 <= K; k0 += 4) {
          for (let c0 = 0; c0 < Co; c0 += 8) {
            const cols = Co - c0;
            const o = at(g, k0 * Co + c0);
            // Partial column blocks load past their row (slack); only their own lanes are stored.
            let a00 = v128.load(o), a01 = v128.load(o + 16);
            let a10 = v128.load(o + coB), a11 = v128.load(o + coB + 16);
            let a20 = v128.load(o + 2 * coB), a21 = v128.load(o + 2 * coB + 16);
            let a30 = v128.load(o + 3 * coB), a31 = v128.load(o + 3 * coB + 16);
            for (let r = r0; r < r1; r++) {
              let xr = xp + <usize>load<i32>(rows + (<usize>r << 2)) + tap + (<usize>k0 << 2);
              let dr = at(dy, r * Wo * Co + c0);
              for (let w = 0; w < Wo; w++) {
                const xv = v128.load(xr);
                const d0 = v128.load(dr);
                const d1 = v128.load(dr + 16);
                const x0 = i32x4.shuffle(xv, xv, 0, 0, 0, 0);
                const x1 = i32x4.shuffle(xv, xv, 1, 1, 1, 1);
                const x2 = i32x4.shuffle(xv, xv, 2, 2, 2, 2);
                const x3 = i32x4.shuffle(xv, xv, 3, 3, 3, 3);
                a00 = fma(a00, x0, d0);
                a01 = fma(a01, x0, d1);
                a10 = fma(a10, x1, d0);
                a11 = fma(a11, x1, d1);
                a20 = fma(a20, x2, d0);
                a21 = fma(a21, x2, d1);
                a30 = fma(a30, x3, d0);
                a31 = fma(a31, x3, d1);
                xr += ciB;
                dr += coB;
              }
            }
            storeCols(o, a00, cols);
            storeCols(o + coB, a10, cols);
            storeCols(o + 2 * coB, a20, cols);
            storeCols(o + 3 * coB, a30, cols);
            if (cols > 4) {
              storeCols(o + 16, a01, cols - 4);
              storeCols(o + coB + 16, a11, cols - 4);
              storeCols(o + 2 * coB + 16, a21, cols - 4);
              storeCols(o + 3 * coB + 16, a31, cols - 4);
            }
          }
        }
        for (; k0 < K; k0++) {
          for (let c0 = 0; c0 < Co; c0 += 4) {
            const cols = Co - c0;
            const o = at(g, k0 * Co + c0);
            let acc = v128.load(o);
            for (let r = r0; r < r1; r++) {
              let xr = xp + <usize>load<i32>(rows + (<usize>r << 2)) + tap + (<usize>k0 << 2);
              let dr = at(dy, r * Wo * Co + c0);
              for (let w = 0; w < Wo; w++) {
                acc = fma(acc, v128.load32_splat(xr), v128.load(dr));
                xr += ciB;
                dr += coB;
              }
            }
            storeCols(o, acc, cols);
          }
        }
      }
  }
}

export function conv3dFilterGrad(
  xp: usize,
  N: i32,
  Dp: i32,
  Hp: i32,
  Wp: i32,
  Ci: i32,
  dy: usize,
  Co: i32,
  kd: i32,
  kh: i32,
  kw: i32,
  dw: usize,
  rows: usize,
): void {
  // Literal channel counts of the latent model inline into constant strides.
  if (Ci == 8 && Co == 8) filterGradBody(xp, N, Dp, Hp, Wp, 8, dy, 8, kd, kh, kw, dw, rows);
  else if (Ci == 8 && Co == 16) filterGradBody(xp, N, Dp, Hp, Wp, 8, dy, 16, kd, kh, kw, dw, rows);
  else if (Ci == 16 && Co == 16) filterGradBody(xp, N, Dp, Hp, Wp, 16, dy, 16, kd, kh, kw, dw, rows);
  else if (Ci == 16 && Co == 8) filterGradBody(xp, N, Dp, Hp, Wp, 16, dy, 8, kd, kh, kw, dw, rows);
  else filterGradBody(xp, N, Dp, Hp, Wp, Ci, dy, Co, kd, kh, kw, dw, rows);
}

/** The upper two lanes of a float32 vector as float64. */
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

@inline function sumLanes(a: v128, lane: i32): f64 {
  return lane == 0 ? f64x2.extract_lane(a, 0) : f64x2.extract_lane(a, 1);
}

/** Rows per float32 partial sum before it is added into a float64 total. */
const CHUNK = 64;

/**
 * Per-column sums over the rows of a [M, C], 4 columns at a time: s[c] = Σ_m a[m, c], or with
 * `center` != 0, Σ_m (a[m, c] − center[c])². Float32 partial sums over CHUNK rows, totals in float64
 * (written as float64 to s).
 */
function columnSums(a: usize, center: usize, M: i32, C: i32, s: usize): void {
  const rowB = <usize>C << 2;
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    let s0 = f64x2.splat(0), s1 = s0;
    let pa = at(a, c);
    const mu = center ? v128.load(at(center, c)) : f32x4.splat(0);
    for (let m0 = 0; m0 < M; m0 += CHUNK) {
      const m1 = min(M, m0 + CHUNK);
      let f = f32x4.splat(0);
      for (let m = m0; m < m1; m++) {
        const v = v128.load(pa);
        if (center) {
          const e = f32x4.sub(v, mu);
          f = fma(f, e, e);
        } else f = f32x4.add(f, v);
        pa += rowB;
      }
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(f));
      s1 = f64x2.add(s1, promoteHigh(f));
    }
    for (let j = 0; j < 4; j++) store<f64>(s + (<usize>(c + j) << 3), sumLanes(j < 2 ? s0 : s1, j & 1));
  }
  for (; c < C; c++) {
    let sc: f64 = 0;
    const mu = center ? load<f32>(at(center, c)) : 0;
    for (let m = 0; m < M; m++) {
      const v = load<f32>(at(a, m * C + c));
      if (center) {
        const e = <f64>(v - mu);
        sc += e * e;
      } else sc += <f64>v;
    }
    store<f64>(s + (<usize>c << 3), sc);
  }
}

function batchStats(z: usize, M: i32, C: i32, eps: f32, mean: usize, variance: usize, rstd: usize, work: usize): void {
  const s = work;
  const q = work + (<usize>C << 3);
  columnSums(z, 0, M, C, s);
  for (let c = 0; c < C; c++) store<f32>(at(mean, c), <f32>(load<f64>(s + (<usize>c << 3)) / <f64>M));
  columnSums(z, mean, M, C, q);
  for (let c = 0; c < C; c++) {
    const v = <f32>(load<f64>(q + (<usize>c << 3)) / <f64>M);
    store<f32>(at(variance, c), v);
    store<f32>(at(rstd, c), <f32>(1.0 / Math.sqrt(<f64>v + <f64>eps)));
  }
}

/**
 * Max pool over 2×2×2 windows (stride 2, floor) of x [N, D, H, W, C] → y [N, D/2, H/2, W/2, C], and
 * for every output the index into x of its window's first maximum (window order d, h, w), as i32.
 */
export function maxPool2(x: usize, N: i32, D: i32, H: i32, W: i32, C: i32, y: usize, arg: usize): void {
  const Do = D >> 1;
  const Ho = H >> 1;
  const Wo = W >> 1;
  const t1 = C;
  const t2 = W * C;
  const t3 = W * C + C;
  const t4 = H * W * C;
  const t5 = t4 + C;
  const t6 = t4 + W * C;
  const t7 = t6 + C;
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let d = 0; d < Do; d++)
      for (let h = 0; h < Ho; h++)
        for (let w = 0; w < Wo; w++) {
          const base = (((n * D + 2 * d) * H + 2 * h) * W + 2 * w) * C;
          let c = 0;
          for (; c + 4 <= C; c += 4, o += 4) {
            const i0 = base + c;
            const lanes = i32x4(i0, i0 + 1, i0 + 2, i0 + 3);
            let idx = lanes;
            let best = v128.load(at(x, i0));
            // Strictly greater: the first maximum keeps its index.
            for (let t = 1; t < 8; t++) {
              const off = t == 1 ? t1 : t == 2 ? t2 : t == 3 ? t3 : t == 4 ? t4 : t == 5 ? t5 : t == 6 ? t6 : t7;
              const v = v128.load(at(x, i0 + off));
              const m = f32x4.gt(v, best);
              best = v128.bitselect(v, best, m);
              idx = v128.bitselect(i32x4.add(lanes, i32x4.splat(off)), idx, m);
            }
            v128.store(at(y, o), best);
            v128.store(arg + (<usize>o << 2), idx);
          }
          for (; c < C; c++, o++) {
            const i = base + c;
            let k = i;
            if (load<f32>(at(x, i + t1)) > load<f32>(at(x, k))) k = i + t1;
            if (load<f32>(at(x, i + t2)) > load<f32>(at(x, k))) k = i + t2;
            if (load<f32>(at(x, i + t3)) > load<f32>(at(x, k))) k = i + t3;
            if (load<f32>(at(x, i + t4)) > load<f32>(at(x, k))) k = i + t4;
            if (load<f32>(at(x, i + t5)) > load<f32>(at(x, k))) k = i + t5;
            if (load<f32>(at(x, i + t6)) > load<f32>(at(x, k))) k = i + t6;
            if (load<f32>(at(x, i + t7)) > load<f32>(at(x, k))) k = i + t7;
            store<f32>(at(y, o), load<f32>(at(x, k)));
            store<i32>(arg + (<usize>o << 2), k);
          }
        }
}

/** dx [count] = 0, then dx[arg[o]] += dy[o] for the `outputs` values of dy (the max pool's gradient). */
export function scatterAdd(dy: usize, arg: usize, outputs: i32, dx: usize, count: i32): void {
  memory.fill(dx, 0, <usize>count << 2);
  for (let o = 0; o < outputs; o++) {
    const p = at(dx, load<i32>(arg + (<usize>o << 2)));
    store<f32>(p, load<f32>(p) + load<f32>(at(dy, o)));
  }
}

/**
 * Depth-to-space with a bias: x [N, D, H, W, kd·kh·kw·C] (last axis ordered kd, kh, kw, C) →
 * y [N, kd·D, kh·H, kw·W, C] + bias [C] (bias 0: none). `inverse`: y [N, kd·D, kh·H, kw·W, C] → x
 * (the gradient's reshuffle; no bias).
 */
export function depthToSpace(src: usize, N: i32, D: i32, H: i32, W: i32, kd: i32, kh: i32, kw: i32, C: i32, bias: usize, dst: usize, inverse: i32): void {
  let q = 0;
  for (let n = 0; n < N; n++)
    for (let d = 0; d < D; d++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++)
          for (let a = 0; a < kd; a++)
            for (let b = 0; b < kh; b++)
              for (let c = 0; c < kw; c++, q += C) {
                const o = (((n * D * kd + d * kd + a) * H * kh + h * kh + b) * W * kw + w * kw + c) * C;
                const from = inverse ? at(src, o) : at(src, q);
                const to = inverse ? at(dst, q) : at(dst, o);
                let j = 0;
                for (; j + 4 <= C; j += 4) {
                  let v = v128.load(from + (<usize>j << 2));
                  if (bias) v = f32x4.add(v, v128.load(at(bias, j)));
                  v128.store(to + (<usize>j << 2), v);
                }
                for (; j < C; j++) store<f32>(to + (<usize>j << 2), load<f32>(from + (<usize>j << 2)) + (bias ? load<f32>(at(bias, j)) : 0));
              }
}

/** out [C] = column sums of a [M, C] (accumulated in float64, rounded once); work: 2·C floats of scratch. */
export function columnSumsF32(a: usize, M: i32, C: i32, out: usize, work: usize): void {
  columnSums(a, 0, M, C, work);
  for (let c = 0; c < C; c++) store<f32>(at(out, c), <f32>load<f64>(work + (<usize>c << 3)));
}

// ---------------------------------------------------------------------------------------------
// BatchNorm + SiLU fused (one pass forward after the statistics, one pass backward plus the dz pass)

/** e^x (float32, Cephes expf's polynomial on x − n·ln2, 2^n from the exponent bits; x clamped to [−87, 88]). */
@inline function vexpf(x0: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const magic = f32x4.splat(12583039.0); // 1.5·2^23 + 127: the low mantissa bits of t hold n + 127
  const t = fma(magic, x, f32x4.splat(1.4426950408889634));
  const n = f32x4.sub(t, magic);
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = fma(f32x4.splat(1.3981999507e-3), p, r);
  p = fma(f32x4.splat(8.3334519073e-3), p, r);
  p = fma(f32x4.splat(4.1665795894e-2), p, r);
  p = fma(f32x4.splat(1.6666665459e-1), p, r);
  p = fma(f32x4.splat(5.0000001201e-1), p, r);
  const y = f32x4.add(fma(r, p, f32x4.mul(r, r)), f32x4.splat(1.0));
  return f32x4.mul(y, i32x4.shl(t, 23));
}

@inline function vsigmoidf(u: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), vexpf(f32x4.neg(u))));
}

/** dy·SiLU′(u) for u = xhat·gamma + beta: dy·s·(1 + u·(1 − s)), s = σ(u). */
@inline function siluBack(dy: v128, xh: v128, ga: v128, be: v128): v128 {
  const u = f32x4.add(f32x4.mul(xh, ga), be);
  const s = vsigmoidf(u);
  return f32x4.mul(dy, f32x4.mul(s, fma(f32x4.splat(1.0), u, f32x4.sub(f32x4.splat(1.0), s))));
}

/** gamma·(z − mean)·rstd + beta for the column block of 4 at byte offset cb (each lane as the scalar path rounds). */
@inline function normAt(z: v128, cb: usize, mean: usize, rstd: usize, gamma: usize, beta: usize): v128 {
  return f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(z, v128.load(mean + cb)), v128.load(rstd + cb)), v128.load(gamma + cb)), v128.load(beta + cb));
}

/**
 * y = act(gamma·xhat + beta), xhat = (z − mean)·rstd, for z [M, C] (act 1: SiLU, 0: none), given the
 * statistics (`batchNormStats`). Row-major (z is read once, from the start of a row to its end): four
 * rows per iteration, columns 4 at a time (their exp chains overlap); the rest of a row scalar.
 */
export function batchNormActForward(z: usize, M: i32, C: i32, gamma: usize, beta: usize, mean: usize, rstd: usize, act: i32, y: usize): void {
  const rowB = <usize>C << 2;
  const blockB = <usize>(C >> 2) << 4; // bytes of a row's 4-column blocks
  let m = 0;
  if (act && blockB > 0) {
    for (; m + 4 <= M; m += 4) {
      const r = <usize>m * rowB;
      for (let cb: usize = 0; cb < blockB; cb += 16) {
        const p = r + cb;
        const u0 = normAt(v128.load(z + p), cb, mean, rstd, gamma, beta);
        const u1 = normAt(v128.load(z + p + rowB), cb, mean, rstd, gamma, beta);
        const u2 = normAt(v128.load(z + p + 2 * rowB), cb, mean, rstd, gamma, beta);
        const u3 = normAt(v128.load(z + p + 3 * rowB), cb, mean, rstd, gamma, beta);
        v128.store(y + p, f32x4.mul(u0, vsigmoidf(u0)));
        v128.store(y + p + rowB, f32x4.mul(u1, vsigmoidf(u1)));
        v128.store(y + p + 2 * rowB, f32x4.mul(u2, vsigmoidf(u2)));
        v128.store(y + p + 3 * rowB, f32x4.mul(u3, vsigmoidf(u3)));
      }
    }
  }
  for (; m < M; m++) {
    const r = <usize>m * rowB;
    for (let cb: usize = 0; cb < blockB; cb += 16) {
      const u = normAt(v128.load(z + r + cb), cb, mean, rstd, gamma, beta);
      v128.store(y + r + cb, act ? f32x4.mul(u, vsigmoidf(u)) : u);
    }
  }
  const c4 = <i32>(blockB >> 2);
  if (c4 == C) return;
  for (let m = 0; m < M; m++) {
    const row = <usize>m * <usize>C;
    for (let c = c4; c < C; c++) {
      const p = (row + <usize>c) << 2;
      const u = (load<f32>(z + p) - load<f32>(at(mean, c))) * load<f32>(at(rstd, c)) * load<f32>(at(gamma, c)) + load<f32>(at(beta, c));
      store<f32>(y + p, act ? u / (1 + Mathf.exp(-u)) : u);
    }
  }
}

/** Statistics only: mean, biased variance and rstd of z [M, C] (float64 sums); work: 4·C floats. */
export function batchNormStats(z: usize, M: i32, C: i32, eps: f32, mean: usize, variance: usize, rstd: usize, work: usize): void {
  batchStats(z, M, C, eps, mean, variance, rstd, work);
}

/**
 * Backward of `batchNormActForward` (training statistics): du = dy·act′(u) with u recomputed from z,
 * dgamma = Σ du·xhat, dbeta = Σ du (float64, per column), dz = rstd·gamma·(du − dbeta/M − xhat·dgamma/M)
 * written over dy. Two row-major passes (z and dy are each read twice): du and the sums, four rows per
 * iteration, then dz. Each column's sum runs down the rows in order: float32 partial sums over CHUNK
 * rows (kept in `work`), added into float64 totals. work: 9·C floats of scratch (coefficients 3·C,
 * float32 partials 2·C, float64 totals 4·C).
 */
export function batchNormActBackward(
  dy: usize,
  z: usize,
  M: i32,
  C: i32,
  gamma: usize,
  beta: usize,
  mean: usize,
  rstd: usize,
  act: i32,
  dgamma: usize,
  dbeta: usize,
  work: usize,
): void {
  const rowB = <usize>C << 2;
  const blockB = <usize>(C >> 2) << 4; // bytes of a row's 4-column blocks
  const coef = work;
  const fb = work + 3 * rowB; // float32 partial Σ du, per column
  const fg = fb + rowB; // float32 partial Σ du·xhat
  const tb = fg + rowB; // float64 totals (C each)
  const tg = tb + 2 * rowB;
  for (let c = 0; c < C; c++) {
    store<f64>(tb + (<usize>c << 3), 0);
    store<f64>(tg + (<usize>c << 3), 0);
  }
  for (let m0 = 0; m0 < M; m0 += CHUNK) {
    const m1 = min(M, m0 + CHUNK);
    for (let cb: usize = 0; cb < blockB; cb += 16) {
      v128.store(fb + cb, f32x4.splat(0));
      v128.store(fg + cb, f32x4.splat(0));
    }
    let m = m0;
    if (act) {
      for (; m + 4 <= m1; m += 4) {
        const r = <usize>m * rowB;
        for (let cb: usize = 0; cb < blockB; cb += 16) {
          const p = r + cb;
          const mu = v128.load(mean + cb);
          const rs = v128.load(rstd + cb);
          const ga = v128.load(gamma + cb);
          const be = v128.load(beta + cb);
          const xh0 = f32x4.mul(f32x4.sub(v128.load(z + p), mu), rs);
          const xh1 = f32x4.mul(f32x4.sub(v128.load(z + p + rowB), mu), rs);
          const xh2 = f32x4.mul(f32x4.sub(v128.load(z + p + 2 * rowB), mu), rs);
          const xh3 = f32x4.mul(f32x4.sub(v128.load(z + p + 3 * rowB), mu), rs);
          const du0 = siluBack(v128.load(dy + p), xh0, ga, be);
          const du1 = siluBack(v128.load(dy + p + rowB), xh1, ga, be);
          const du2 = siluBack(v128.load(dy + p + 2 * rowB), xh2, ga, be);
          const du3 = siluBack(v128.load(dy + p + 3 * rowB), xh3, ga, be);
          v128.store(dy + p, du0);
          v128.store(dy + p + rowB, du1);
          v128.store(dy + p + 2 * rowB, du2);
          v128.store(dy + p + 3 * rowB, du3);
          v128.store(fb + cb, f32x4.add(f32x4.add(f32x4.add(f32x4.add(v128.load(fb + cb), du0), du1), du2), du3));
          v128.store(fg + cb, fma(fma(fma(fma(v128.load(fg + cb), du0, xh0), du1, xh1), du2, xh2), du3, xh3));
        }
      }
    }
    for (; m < m1; m++) {
      const r = <usize>m * rowB;
      for (let cb: usize = 0; cb < blockB; cb += 16) {
        const xh = f32x4.mul(f32x4.sub(v128.load(z + r + cb), v128.load(mean + cb)), v128.load(rstd + cb));
        let du = v128.load(dy + r + cb);
        if (act) {
          du = siluBack(du, xh, v128.load(gamma + cb), v128.load(beta + cb));
          v128.store(dy + r + cb, du);
        }
        v128.store(fb + cb, f32x4.add(v128.load(fb + cb), du));
        v128.store(fg + cb, fma(v128.load(fg + cb), du, xh));
      }
    }
    for (let cb: usize = 0; cb < blockB; cb += 16) {
      const b = v128.load(fb + cb);
      const g = v128.load(fg + cb);
      const t = cb << 1; // float64 byte offset of the block's first column
      v128.store(tb + t, f64x2.add(v128.load(tb + t), f64x2.promote_low_f32x4(b)));
      v128.store(tb + t + 16, f64x2.add(v128.load(tb + t + 16), promoteHigh(b)));
      v128.store(tg + t, f64x2.add(v128.load(tg + t), f64x2.promote_low_f32x4(g)));
      v128.store(tg + t + 16, f64x2.add(v128.load(tg + t + 16), promoteHigh(g)));
    }
  }
  // The columns past the last block of 4: float64 sums straight down the rows.
  for (let c = <i32>(blockB >> 2); c < C; c++) {
    const mu = load<f32>(at(mean, c));
    const rs = load<f32>(at(rstd, c));
    const ga = load<f32>(at(gamma, c));
    const be = load<f32>(at(beta, c));
    let sb: f64 = 0;
    let sg: f64 = 0;
    for (let m = 0; m < M; m++) {
      const p = (<usize>m * <usize>C + <usize>c) << 2;
      const xh = (load<f32>(z + p) - mu) * rs;
      let du = load<f32>(dy + p);
      if (act) {
        const u = xh * ga + be;
        const s: f32 = 1 / (1 + Mathf.exp(-u));
        du = du * (s * (1 + u * (1 - s)));
        store<f32>(dy + p, du);
      }
      sb += <f64>du;
      sg += <f64>du * <f64>xh;
    }
    store<f64>(tb + (<usize>c << 3), sb);
    store<f64>(tg + (<usize>c << 3), sg);
  }
  for (let c = 0; c < C; c++) {
    const b = load<f64>(tb + (<usize>c << 3));
    const g = load<f64>(tg + (<usize>c << 3));
    store<f32>(at(dbeta, c), <f32>b);
    store<f32>(at(dgamma, c), <f32>g);
    store<f32>(at(coef, c), <f32>(<f64>load<f32>(at(rstd, c)) * <f64>load<f32>(at(gamma, c))));
    store<f32>(at(coef, C + c), <f32>(b / <f64>M));
    store<f32>(at(coef, 2 * C + c), <f32>(g / <f64>M));
  }
  // dz = coef0·(du − coef1 − xhat·coef2), xhat recomputed.
  for (let m = 0; m < M; m++) {
    const row = <usize>m * <usize>C;
    let k = 0;
    for (; k + 4 <= C; k += 4) {
      const p = (row + <usize>k) << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(z + p), v128.load(at(mean, k))), v128.load(at(rstd, k)));
      const t = f32x4.sub(f32x4.sub(v128.load(dy + p), v128.load(at(coef, C + k))), f32x4.mul(xh, v128.load(at(coef, 2 * C + k))));
      v128.store(dy + p, f32x4.mul(t, v128.load(at(coef, k))));
    }
    for (; k < C; k++) {
      const p = (row + <usize>k) << 2;
      const xh = (load<f32>(z + p) - load<f32>(at(mean, k))) * load<f32>(at(rstd, k));
      const t = load<f32>(dy + p) - load<f32>(at(coef, C + k)) - xh * load<f32>(at(coef, 2 * C + k));
      store<f32>(dy + p, t * load<f32>(at(coef, k)));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GroupNorm + affine + ReLU (the latent decoder's entry; small tensors: scalar, float64 inside)

/**
 * Per sample n and group g of x [N, S, C] (G groups of C/G channels): mean and r = 1/√(biased
 * variance + eps) over the S positions and the group's channels, float64, into mean and rstd [N·G].
 */
export function groupNormStats(x: usize, N: i32, S: i32, C: i32, G: i32, eps: f64, mean: usize, rstd: usize): void {
  const cg = C / G;
  const count = <f64>S * <f64>cg;
  for (let n = 0; n < N; n++)
    for (let g = 0; g < G; g++) {
      let sum: f64 = 0;
      for (let s = 0; s < S; s++) {
        const row = at(x, (n * S + s) * C + g * cg);
        for (let j = 0; j < cg; j++) sum += <f64>load<f32>(row + (<usize>j << 2));
      }
      const m = sum / count;
      let sq: f64 = 0;
      for (let s = 0; s < S; s++) {
        const row = at(x, (n * S + s) * C + g * cg);
        for (let j = 0; j < cg; j++) {
          const e = <f64>load<f32>(row + (<usize>j << 2)) - m;
          sq += e * e;
        }
      }
      store<f64>(mean + (<usize>(n * G + g) << 3), m);
      store<f64>(rstd + (<usize>(n * G + g) << 3), 1.0 / Math.sqrt(sq / count + eps));
    }
}

/** Channel c's group statistics of sample n into m and rc [C] (float64). */
@inline function sampleGroupStats(n: i32, C: i32, G: i32, mean: usize, rstd: usize, m: usize, rc: usize): void {
  const cg = C / G;
  for (let c = 0; c < C; c++) {
    const k = <usize>(n * G + c / cg) << 3;
    store<f64>(m + (<usize>c << 3), load<f64>(mean + k));
    store<f64>(rc + (<usize>c << 3), load<f64>(rstd + k));
  }
}

/** y = max(0, γ·x̂ + β), x̂ = (x − mean)·r (float64, rounded once). work: 4·C floats. */
export function groupNormReluForward(x: usize, N: i32, S: i32, C: i32, G: i32, gamma: usize, beta: usize, mean: usize, rstd: usize, work: usize, y: usize): void {
  const m = work;
  const rc = work + (<usize>C << 3);
  for (let n = 0; n < N; n++) {
    sampleGroupStats(n, C, G, mean, rstd, m, rc);
    for (let s = 0; s < S; s++) {
      const row = <usize>((n * S + s) * C) << 2;
      for (let c = 0; c < C; c++) {
        const xh = gnXhat(x + row, c, m, rc);
        const u = <f64>load<f32>(at(gamma, c)) * xh + <f64>load<f32>(at(beta, c));
        store<f32>(y + row + (<usize>c << 2), <f32>(u > 0 ? u : 0));
      }
    }
  }
}

/** x̂ of channel c in the row at xrow, from its group's statistics m and rc [C] (float64). */
@inline function gnXhat(xrow: usize, c: i32, m: usize, rc: usize): f64 {
  const o = <usize>c << 3;
  return (<f64>load<f32>(xrow + (<usize>c << 2)) - load<f64>(m + o)) * load<f64>(rc + o);
}

/** du = dy·[γ·x̂ + β > 0] of channel c in the row at dyrow. */
@inline function gnDu(dyrow: usize, c: i32, ga: f64, xh: f64, beta: usize): f64 {
  return ga * xh + <f64>load<f32>(at(beta, c)) > 0 ? <f64>load<f32>(dyrow + (<usize>c << 2)) : 0;
}

/**
 * Backward of `groupNormReluForward` for dy: du = dy·[u > 0], dγ = Σ du·x̂, dβ = Σ du (float64),
 * dx = r·(du·γ − mean(du·γ) − x̂·mean(du·γ·x̂)), means per sample and group. work: 12·C floats.
 */
export function groupNormReluBackward(
  dy: usize,
  x: usize,
  N: i32,
  S: i32,
  C: i32,
  G: i32,
  gamma: usize,
  beta: usize,
  mean: usize,
  rstd: usize,
  dgamma: usize,
  dbeta: usize,
  work: usize,
  dx: usize,
): void {
  const cB = <usize>C << 3;
  const m = work;
  const rc = m + cB;
  const s1 = rc + cB; // Σ du·γ per channel of the sample, then its group's mean
  const s2 = s1 + cB; // Σ du·γ·x̂, then its group's mean
  const tg = s2 + cB; // dγ, dβ totals (float64)
  const tb = tg + cB;
  const cg = C / G;
  const count = <f64>S * <f64>cg;
  memory.fill(tg, 0, 2 * cB);
  for (let n = 0; n < N; n++) {
    sampleGroupStats(n, C, G, mean, rstd, m, rc);
    memory.fill(s1, 0, 2 * cB);
    for (let s = 0; s < S; s++) {
      const row = <usize>((n * S + s) * C) << 2;
      for (let c = 0; c < C; c++) {
        const o = <usize>c << 3;
        const ga = <f64>load<f32>(at(gamma, c));
        const xh = gnXhat(x + row, c, m, rc);
        const du = gnDu(dy + row, c, ga, xh, beta);
        store<f64>(tg + o, load<f64>(tg + o) + du * xh);
        store<f64>(tb + o, load<f64>(tb + o) + du);
        store<f64>(s1 + o, load<f64>(s1 + o) + du * ga);
        store<f64>(s2 + o, load<f64>(s2 + o) + du * ga * xh);
      }
    }
    for (let g = 0; g < G; g++) {
      let a: f64 = 0;
      let b: f64 = 0;
      for (let j = g * cg; j < (g + 1) * cg; j++) {
        a += load<f64>(s1 + (<usize>j << 3));
        b += load<f64>(s2 + (<usize>j << 3));
      }
      for (let j = g * cg; j < (g + 1) * cg; j++) {
        store<f64>(s1 + (<usize>j << 3), a / count);
        store<f64>(s2 + (<usize>j << 3), b / count);
      }
    }
    for (let s = 0; s < S; s++) {
      const row = <usize>((n * S + s) * C) << 2;
      for (let c = 0; c < C; c++) {
        const o = <usize>c << 3;
        const ga = <f64>load<f32>(at(gamma, c));
        const xh = gnXhat(x + row, c, m, rc);
        const du = gnDu(dy + row, c, ga, xh, beta);
        store<f32>(dx + row + (<usize>c << 2), <f32>(load<f64>(rc + o) * (du * ga - load<f64>(s1 + o) - xh * load<f64>(s2 + o))));
      }
    }
  }
  for (let c = 0; c < C; c++) {
    store<f32>(at(dgamma, c), <f32>load<f64>(tg + (<usize>c << 3)));
    store<f32>(at(dbeta, c), <f32>load<f64>(tb + (<usize>c << 3)));
  }
}
