// Whole-segment rollout kernels for small MLP fields (src/simd/small_field.ts): one hidden layer,
// at most 4 states. A call runs every step of a segment for every row of the batch — the stage
// combinations, both layers, the activation, and in the backward pass the adjoint, σ′ and the weight
// and bias gradients — so a training step is a handful of calls instead of thousands.
//
// Layout "lanes": the batch rows are the SIMD lanes. A matrix [R, w] is stored as [G][w][4] with
// G = ⌈R/4⌉ groups of 4 rows: feature f of the rows 4g … 4g+3 is one v128 at ((g·w + f) << 4). The
// state is padded to 4 features (zero weights beyond n), so a group's state, stage and adjoint are
// 4 vectors each and the field's widths need no blocking (a hidden unit is one vector per group).
// The products, stage combinations and adjoint use the general kernels' operations (assembly/
// mlp_kernels.ts) in the same order per element, and their activations — except elu, computed here
// with a shorter e^z (see `sfElu`). The weight and bias gradients are summed per pair of groups and
// lane over the steps (last first), then over the lanes and pairs.

import { activate, activationBackward } from './mlp_kernels';

/** acc + a·b, per lane (fused in the relaxed build, as mlp_kernels.ts's madd). */
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** The float at p[i], in every lane. */
@inline function splatAt(p: usize, i: i32): v128 {
  return v128.load32_splat(p + (<usize>i << 2));
}

/** Byte offset of vector `i` of a lanes buffer. */
@inline function vec(i: i32): usize {
  return <usize>i << 4;
}

/**
 * a = elu(z) = z > 0 ? z : e^z − 1 over `count` vectors (a may be z), as max(z, 0) + e^x − 1 with
 * x = min(z, 0) (clamped at −87): e^x = 2^n·2^f with n = round(x·log2 e) and 2^f (|f| <= 1/2) by a
 * degree-6 polynomial fitted for relative error (about 2e-9). Fewer operations than the general
 * kernels' e^x, whose range reduction keeps full relative accuracy for large |x|, which e^x − 1 does
 * not need (its error is absolute, about 1 ulp of 1).
 */
export function sfElu(z: usize, a: usize, count: i32): void {
  const lo = f32x4.splat(-87.0);
  const magic = f32x4.splat(12583039.0); // 1.5·2^23 + 127: adding it rounds to an integer n, n + 127 in the low bits
  const log2e = f32x4.splat(1.4426950408889634);
  const c6 = f32x4.splat(1.534581160354611e-4);
  const c5 = f32x4.splat(1.3399931216110128e-3);
  const c4 = f32x4.splat(9.618488958603748e-3);
  const c3 = f32x4.splat(5.550328776974874e-2);
  const c2 = f32x4.splat(2.4022646890620344e-1);
  const c1 = f32x4.splat(6.931472057372637e-1);
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0);
  const end = <usize>count << 4;
  for (let p: usize = 0; p < end; p += 16) {
    const zv = v128.load(z + p);
    const x = f32x4.pmin(f32x4.pmax(zv, lo), zero);
    const t = madd(magic, x, log2e);
    const f = madd(f32x4.sub(magic, t), x, log2e); // x·log2 e − n
    let q = madd(c5, c6, f);
    q = madd(c4, q, f);
    q = madd(c3, q, f);
    q = madd(c2, q, f);
    q = madd(c1, q, f);
    q = madd(one, q, f);
    const e = f32x4.mul(q, i32x4.shl(t, 23));
    v128.store(a + p, f32x4.add(f32x4.pmax(zv, zero), f32x4.sub(e, one)));
  }
}

/** The 4 vectors at p. */
@inline function store4(p: usize, v0: v128, v1: v128, v2: v128, v3: v128): void {
  v128.store(p, v0);
  v128.store(p, v1, 16);
  v128.store(p, v2, 32);
  v128.store(p, v3, 48);
}

/**
 * Forward pass of steps t0 … t1−1 for all G groups (G even: two groups per pass share every weight
 * load).
 *   W0: the state rows of the first layer transposed, [H, 4] (zero beyond n), then its input rows [m, H]; b0 [H];
 *   W1 [H, 4] (zero columns beyond n); b1 [4];
 *   tab: the tableau as floats, a [s, s] (times h) then b [s];
 *   X [G][4]: the state at t0 on entry, at t1 on return;
 *   U [T][G][m] inputs (absolute steps) or 0; Y [E][G][4], Z and A [E][G][H]: the stage inputs,
 *   pre-activations (Z = 0: not kept, σ′ from A) and activations of evaluation e = (t − t0)·s + i;
 *   out [T][G][4]: x_{t+1} at t (absolute), or 0; work: 8·s + 2·H vectors.
 */
export function sfForward(
  W0: usize, b0: usize, W1: usize, b1: usize, m: i32, H: i32, kind: i32, alpha: f32,
  tab: usize, s: i32, G: i32, t0: i32, t1: i32,
  X: usize, U: usize, Y: usize, Z: usize, A: usize, out: usize, work: usize,
): void {
  const Ks = work; // [s][2][4]
  const P = work + (<usize>s << 7); // [2][H]
  const tb = tab + (<usize>(s * s) << 2);
  const rowH = <usize>H << 4;
  for (let g = 0; g < G; g += 2) {
    const xg = X + (<usize>g << 6);
    let x0 = v128.load(xg);
    let x1 = v128.load(xg, 16);
    let x2 = v128.load(xg, 32);
    let x3 = v128.load(xg, 48);
    let x4 = v128.load(xg, 64);
    let x5 = v128.load(xg, 80);
    let x6 = v128.load(xg, 96);
    let x7 = v128.load(xg, 112);
    for (let t = t0; t < t1; t++) {
      if (m > 0) {
        // P = u_t·W_u + b_0 for both groups, shared by the stages
        const ut = U + vec((t * G + g) * m);
        const ub = ut + vec(m);
        for (let j = 0; j < H; j++) {
          let pa = splatAt(b0, j);
          let pb = pa;
          for (let c = 0; c < m; c++) {
            const w = splatAt(W0, (4 + c) * H + j);
            pa = madd(pa, v128.load(ut + vec(c)), w);
            pb = madd(pb, v128.load(ub + vec(c)), w);
          }
          v128.store(P + vec(j), pa);
          v128.store(P + rowH + vec(j), pb);
        }
      }
      for (let i = 0; i < s; i++) {
        const row = g * (t1 - t0) * s + 2 * ((t - t0) * s + i); // pair-major: a pair's evaluations are contiguous
        let y0 = x0;
        let y1 = x1;
        let y2 = x2;
        let y3 = x3;
        let y4 = x4;
        let y5 = x5;
        let y6 = x6;
        let y7 = x7;
        for (let j = 0; j < i; j++) {
          const c = load<f32>(tab + (<usize>(i * s + j) << 2));
          if (c != 0) {
            const cv = f32x4.splat(c);
            const kj = Ks + (<usize>j << 7);
            y0 = madd(y0, cv, v128.load(kj));
            y1 = madd(y1, cv, v128.load(kj, 16));
            y2 = madd(y2, cv, v128.load(kj, 32));
            y3 = madd(y3, cv, v128.load(kj, 48));
            y4 = madd(y4, cv, v128.load(kj, 64));
            y5 = madd(y5, cv, v128.load(kj, 80));
            y6 = madd(y6, cv, v128.load(kj, 96));
            y7 = madd(y7, cv, v128.load(kj, 112));
          }
        }
        const yp = Y + (<usize>row << 6);
        store4(yp, y0, y1, y2, y3);
        store4(yp + 64, y4, y5, y6, y7);
        const ap = A + <usize>row * rowH;
        const zp = Z != 0 ? Z + <usize>row * rowH : ap;
        // z = P (or b0) + Y·W0, both groups
        let wp = W0;
        let bp = b0;
        let pp = P;
        let zq = zp;
        for (let j = 0; j < H; j++) {
          let za = m > 0 ? v128.load(pp) : v128.load32_splat(bp);
          let zb = m > 0 ? v128.load(pp + rowH) : za;
          let w = v128.load32_splat(wp);
          za = madd(za, y0, w);
          zb = madd(zb, y4, w);
          w = v128.load32_splat(wp, 4);
          za = madd(za, y1, w);
          zb = madd(zb, y5, w);
          w = v128.load32_splat(wp, 8);
          za = madd(za, y2, w);
          zb = madd(zb, y6, w);
          w = v128.load32_splat(wp, 12);
          za = madd(za, y3, w);
          zb = madd(zb, y7, w);
          v128.store(zq, za);
          v128.store(zq + rowH, zb);
          wp += 16;
          bp += 4;
          pp += 16;
          zq += 16;
        }
        // both groups' rows are adjacent: one activation call over 2·H vectors
        if (kind == 1) sfElu(zp, ap, 2 * H);
        else activate(kind, zp, ap, H << 3, alpha);
        let k0 = splatAt(b1, 0);
        let k1 = splatAt(b1, 1);
        let k2 = splatAt(b1, 2);
        let k3 = splatAt(b1, 3);
        let k4 = k0;
        let k5 = k1;
        let k6 = k2;
        let k7 = k3;
        let aq = ap;
        let w1 = W1;
        for (let j = 0; j < H; j++) {
          const a = v128.load(aq);
          const b = v128.load(aq + rowH);
          let w = v128.load32_splat(w1);
          k0 = madd(k0, a, w);
          k4 = madd(k4, b, w);
          w = v128.load32_splat(w1, 4);
          k1 = madd(k1, a, w);
          k5 = madd(k5, b, w);
          w = v128.load32_splat(w1, 8);
          k2 = madd(k2, a, w);
          k6 = madd(k6, b, w);
          w = v128.load32_splat(w1, 12);
          k3 = madd(k3, a, w);
          k7 = madd(k7, b, w);
          aq += 16;
          w1 += 16;
        }
        const ki = Ks + (<usize>i << 7);
        store4(ki, k0, k1, k2, k3);
        store4(ki + 64, k4, k5, k6, k7);
      }
      for (let i = 0; i < s; i++) {
        const c = load<f32>(tb + (<usize>i << 2));
        if (c != 0) {
          const cv = f32x4.splat(c);
          const ki = Ks + (<usize>i << 7);
          x0 = madd(x0, cv, v128.load(ki));
          x1 = madd(x1, cv, v128.load(ki, 16));
          x2 = madd(x2, cv, v128.load(ki, 32));
          x3 = madd(x3, cv, v128.load(ki, 48));
          x4 = madd(x4, cv, v128.load(ki, 64));
          x5 = madd(x5, cv, v128.load(ki, 80));
          x6 = madd(x6, cv, v128.load(ki, 96));
          x7 = madd(x7, cv, v128.load(ki, 112));
        }
      }
      if (out != 0) {
        const op = out + (<usize>(t * G + g) << 6);
        store4(op, x0, x1, x2, x3);
        store4(op + 64, x4, x5, x6, x7);
      }
    }
    store4(xg, x0, x1, x2, x3);
    store4(xg + 64, x4, x5, x6, x7);
  }
}

/** Floats of the gradient accumulators of a pair of groups: W0's state rows and W1 [H][8], b0 [H], b1 [4], W0's input rows [m][H], all per lane. */
export function sfGradFloats(m: i32, H: i32): i32 {
  return (9 * H + 4 + m * H) << 2;
}

/** v + a·b for the 4 vectors at p and q (the adjoint's stage combinations). */
@inline function madd4(p: usize, c: v128, q: usize): void {
  v128.store(p, madd(v128.load(p), c, v128.load(q)));
  v128.store(p, madd(v128.load(p, 16), c, v128.load(q, 16)), 16);
  v128.store(p, madd(v128.load(p, 32), c, v128.load(q, 32)), 32);
  v128.store(p, madd(v128.load(p, 48), c, v128.load(q, 48)), 48);
}

/**
 * Backward pass of steps t1−1 … t0 for all G groups (G even, two per pass; after sfForward of the
 * same segment filled the tapes Y, Z, A): the adjoint of the steps and the weight and bias gradients.
 *   L [G][4]: λ = dLoss/dx_{t1} on entry, dLoss/dx_{t0} on return (dy of x_t added after step t when dy ≠ 0);
 *   dy [T][G][4]: the output gradient of x_{t+1} at t ('all'), or 0;
 *   dU [T][G][m]: the input gradients (written), or 0;
 *   grad [G/2][sfGradFloats(m, H)]: per pair of groups and lane, accumulated;
 *   work: 16·s + 4·H vectors. Other arguments as sfForward.
 */
export function sfBackward(
  W0: usize, W1: usize, m: i32, H: i32, kind: i32, alpha: f32,
  tab: usize, s: i32, G: i32, t0: i32, t1: i32,
  L: usize, U: usize, Y: usize, Z: usize, A: usize, dy: usize, dU: usize, grad: usize, work: usize,
): void {
  const dYs = work; // [s][2][4]
  const dKs = work + (<usize>s << 7); // [s][2][4]
  const dz = dKs + (<usize>s << 7); // [2][H]
  const S0 = dz + (<usize>H << 5); // [2][H]
  const tb = tab + (<usize>(s * s) << 2);
  const rowH = <usize>H << 4;
  const gBytes = <usize>sfGradFloats(m, H) << 2;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  for (let g = 0; g < G; g += 2) {
    // this pair's accumulators: W0 state rows and W1 per hidden unit [H][8], b0 [H], b1 [4], W0 input rows [m][H]
    const gw = grad + <usize>(g >> 1) * gBytes;
    const gb0 = gw + (<usize>(8 * H) << 4);
    const gb1 = gb0 + rowH;
    const gu = gb1 + 64;
    const lg = L + (<usize>g << 6); // λ of both groups, [2][4]
    for (let t = t1 - 1; t >= t0; t--) {
      if (m > 0) memory.fill(S0, 0, rowH << 1);
      let adjoint = 0; // bit i: stage i has an adjoint
      for (let i = s - 1; i >= 0; i--) {
        // dK_i = b_i λ + Σ_{l>i} a_li dY_l, both groups
        const dk = dKs + (<usize>i << 7);
        const bi = load<f32>(tb + (<usize>i << 2));
        let any = bi != 0;
        const bv = f32x4.splat(bi);
        for (let q: usize = 0; q < 128; q += 16) v128.store(dk + q, any ? madd(zero, bv, v128.load(lg + q)) : zero);
        for (let l = i + 1; l < s; l++) {
          const c = load<f32>(tab + (<usize>(l * s + i) << 2));
          if (c != 0 && (adjoint & (1 << l)) != 0) {
            const cv = f32x4.splat(c);
            madd4(dk, cv, dYs + (<usize>l << 7));
            madd4(dk + 64, cv, dYs + (<usize>l << 7) + 64);
            any = true;
          }
        }
        if (!any) continue;
        adjoint |= 1 << i;
        const k0 = v128.load(dk);
        const k1 = v128.load(dk, 16);
        const k2 = v128.load(dk, 32);
        const k3 = v128.load(dk, 48);
        const k4 = v128.load(dk, 64);
        const k5 = v128.load(dk, 80);
        const k6 = v128.load(dk, 96);
        const k7 = v128.load(dk, 112);
        const row = g * (t1 - t0) * s + 2 * ((t - t0) * s + i); // pair-major: a pair's evaluations are contiguous
        const ap = A + <usize>row * rowH;
        const zp = Z != 0 ? Z + <usize>row * rowH : ap;
        // dz = (dK·W1ᵀ) ⊙ σ′ (elu: σ′ from a = σ(z), 1 where a > 0 else a + 1; the others by the
        // general kernel after the loop); dW1 += a ⊗ dK
        const isElu = kind == 1;
        let w1 = W1;
        let aq = ap;
        let dq = dz;
        let gp = gw + 64;
        for (let j = 0; j < H; j++) {
          let w = v128.load32_splat(w1);
          let da = madd(zero, k0, w);
          let db = madd(zero, k4, w);
          w = v128.load32_splat(w1, 4);
          da = madd(da, k1, w);
          db = madd(db, k5, w);
          w = v128.load32_splat(w1, 8);
          da = madd(da, k2, w);
          db = madd(db, k6, w);
          w = v128.load32_splat(w1, 12);
          da = madd(da, k3, w);
          db = madd(db, k7, w);
          const a = v128.load(aq);
          const b = v128.load(aq + rowH);
          if (isElu) {
            // σ′ = 1 where a > 0, else a + 1: min(a, 0) + 1
            da = f32x4.mul(da, f32x4.add(f32x4.pmin(a, zero), one));
            db = f32x4.mul(db, f32x4.add(f32x4.pmin(b, zero), one));
          }
          v128.store(dq, da);
          v128.store(dq + rowH, db);
          v128.store(gp, madd(madd(v128.load(gp), a, k0), b, k4));
          v128.store(gp, madd(madd(v128.load(gp, 16), a, k1), b, k5), 16);
          v128.store(gp, madd(madd(v128.load(gp, 32), a, k2), b, k6), 32);
          v128.store(gp, madd(madd(v128.load(gp, 48), a, k3), b, k7), 48);
          w1 += 16;
          aq += 16;
          dq += 16;
          gp += 128;
        }
        if (!isElu) activationBackward(kind, dz, zp, ap, H << 3, alpha);
        // dY_i = dz·W0ᵀ (state rows); dW0 += Y ⊗ dz; db0 += dz
        const yp = Y + (<usize>row << 6);
        let d0 = zero;
        let d1 = zero;
        let d2 = zero;
        let d3 = zero;
        let d4 = zero;
        let d5 = zero;
        let d6 = zero;
        let d7 = zero;
        let w0 = W0;
        dq = dz;
        gp = gw;
        let bp = gb0;
        let sp = S0;
        for (let j = 0; j < H; j++) {
          const da = v128.load(dq);
          const db = v128.load(dq + rowH);
          let w = v128.load32_splat(w0);
          d0 = madd(d0, da, w);
          d4 = madd(d4, db, w);
          w = v128.load32_splat(w0, 4);
          d1 = madd(d1, da, w);
          d5 = madd(d5, db, w);
          w = v128.load32_splat(w0, 8);
          d2 = madd(d2, da, w);
          d6 = madd(d6, db, w);
          w = v128.load32_splat(w0, 12);
          d3 = madd(d3, da, w);
          d7 = madd(d7, db, w);
          w0 += 16;
          dq += 16;
        }
        {
          const y0 = v128.load(yp);
          const y1 = v128.load(yp, 16);
          const y2 = v128.load(yp, 32);
          const y3 = v128.load(yp, 48);
          const y4 = v128.load(yp, 64);
          const y5 = v128.load(yp, 80);
          const y6 = v128.load(yp, 96);
          const y7 = v128.load(yp, 112);
          dq = dz;
          for (let j = 0; j < H; j++) {
            const da = v128.load(dq);
            const db = v128.load(dq + rowH);
            v128.store(gp, madd(madd(v128.load(gp), y0, da), y4, db));
            v128.store(gp, madd(madd(v128.load(gp, 16), y1, da), y5, db), 16);
            v128.store(gp, madd(madd(v128.load(gp, 32), y2, da), y6, db), 32);
            v128.store(gp, madd(madd(v128.load(gp, 48), y3, da), y7, db), 48);
            v128.store(bp, f32x4.add(f32x4.add(v128.load(bp), da), db));
            if (m > 0) {
              v128.store(sp, f32x4.add(v128.load(sp), da));
              v128.store(sp + rowH, f32x4.add(v128.load(sp + rowH), db));
            }
            dq += 16;
            gp += 128;
            bp += 16;
            sp += 16;
          }
        }
        const di = dYs + (<usize>i << 7);
        store4(di, d0, d1, d2, d3);
        store4(di + 64, d4, d5, d6, d7);
        v128.store(gb1, f32x4.add(f32x4.add(v128.load(gb1), k0), k4));
        v128.store(gb1, f32x4.add(f32x4.add(v128.load(gb1, 16), k1), k5), 16);
        v128.store(gb1, f32x4.add(f32x4.add(v128.load(gb1, 32), k2), k6), 32);
        v128.store(gb1, f32x4.add(f32x4.add(v128.load(gb1, 48), k3), k7), 48);
      }
      // λ_t = λ_{t+1} + Σ_i dY_i
      for (let i = 0; i < s; i++) {
        if ((adjoint & (1 << i)) == 0) continue;
        const di = dYs + (<usize>i << 7);
        for (let q: usize = 0; q < 128; q += 16) v128.store(lg + q, f32x4.add(v128.load(lg + q), v128.load(di + q)));
      }
      if (m > 0) {
        // the input rows of W0 from the per-step sums of the first layer's dz, and the input gradients
        for (let h = 0; h < 2; h++) {
          const ut = U + vec((t * G + g + h) * m);
          const sh = S0 + <usize>h * rowH;
          for (let c = 0; c < m; c++) {
            const uc = v128.load(ut + vec(c));
            const gq = gu + <usize>c * rowH;
            let acc = zero;
            const wu = (4 + c) * H;
            for (let j = 0; j < H; j++) {
              const sj = v128.load(sh + vec(j));
              v128.store(gq + vec(j), madd(v128.load(gq + vec(j)), uc, sj));
              acc = madd(acc, sj, splatAt(W0, wu + j));
            }
            if (dU != 0) v128.store(dU + vec((t * G + g + h) * m + c), acc);
          }
        }
      }
      if (dy != 0 && t > 0) {
        const dp = dy + (<usize>((t - 1) * G + g) << 6);
        for (let q: usize = 0; q < 128; q += 16) v128.store(lg + q, f32x4.add(v128.load(lg + q), v128.load(dp + q)));
      }
    }
  }
}

/** out[i] = Σ_g Σ_lanes grad[g][i] for the `count` vectors of each of G groups (sfBackward's accumulators). */
export function sfSumGroups(grad: usize, G: i32, count: i32, out: usize): void {
  const gBytes = <usize>count << 4;
  for (let i = 0; i < count; i++) {
    let acc = f32x4.splat(0);
    let p = grad + vec(i);
    for (let g = 0; g < G; g++) {
      acc = f32x4.add(acc, v128.load(p));
      p += gBytes;
    }
    store<f32>(out + (<usize>i << 2), f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3)));
  }
}
