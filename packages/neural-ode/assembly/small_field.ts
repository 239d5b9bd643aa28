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
// with a shorter e^z (see `elu`). The weight and bias gradients are summed per group and lane over
// the steps (last first), then over the lanes and groups.

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
 * a = elu(z) = z > 0 ? z : e^z − 1 over `count` vectors (a may be z), e^z for z <= 0 as 2^n·2^f with
 * n = round(z·log2 e) and 2^f (|f| <= 1/2) by its degree-7 Taylor polynomial (relative error < 1e-8). Fewer
 * operations than the general kernels' e^x, whose range reduction keeps full relative accuracy for
 * large |z|, which e^z − 1 does not need (its error is absolute, at most ~1 ulp of 1).
 */
function elu(z: usize, a: usize, count: i32): void {
  const lo = f32x4.splat(-87.0);
  const magic = f32x4.splat(12583039.0); // 1.5·2^23 + 127
  const log2e = f32x4.splat(1.4426950408889634);
  const c7 = f32x4.splat(1.525273380405984e-5);
  const c6 = f32x4.splat(1.5403530393381606e-4);
  const c5 = f32x4.splat(1.3333558146428443e-3);
  const c4 = f32x4.splat(9.618129107628477e-3);
  const c3 = f32x4.splat(5.550410866482158e-2);
  const c2 = f32x4.splat(2.402265069591007e-1);
  const c1 = f32x4.splat(6.931471805599453e-1);
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0);
  const end = <usize>count << 4;
  for (let p: usize = 0; p < end; p += 16) {
    const zv = v128.load(z + p);
    const x = f32x4.pmax(zv, lo);
    const t = madd(magic, x, log2e);
    const f = madd(f32x4.sub(magic, t), x, log2e); // z·log2 e − n
    let q = madd(c6, c7, f);
    q = madd(c5, q, f);
    q = madd(c4, q, f);
    q = madd(c3, q, f);
    q = madd(c2, q, f);
    q = madd(c1, q, f);
    q = madd(one, q, f);
    const e = f32x4.mul(q, i32x4.shl(t, 23));
    v128.store(a + p, v128.bitselect(zv, f32x4.sub(e, one), f32x4.gt(zv, zero)));
  }
}

/**
 * Forward pass of steps t0 … t1−1 for all G groups.
 *   W0: the state rows of the first layer transposed, [H, 4] (zero beyond n), then its input rows [m, H]; b0 [H];
 *   W1 [H, 4] (zero columns beyond n); b1 [4];
 *   tab: the tableau as floats, a [s, s] (times h) then b [s];
 *   X [G][4]: the state at t0 on entry, at t1 on return;
 *   U [T][G][m] inputs (absolute steps) or 0; Y [E][G][4], Z and A [E][G][H]: the stage inputs,
 *   pre-activations (Z = 0: not kept, σ′ from A) and activations of evaluation e = (t − t0)·s + i;
 *   out [T][G][4]: x_{t+1} at t (absolute), or 0; work: s·4 + H vectors.
 */
export function sfForward(
  W0: usize, b0: usize, W1: usize, b1: usize, m: i32, H: i32, kind: i32, alpha: f32,
  tab: usize, s: i32, G: i32, t0: i32, t1: i32,
  X: usize, U: usize, Y: usize, Z: usize, A: usize, out: usize, work: usize,
): void {
  const Ks = work;
  const P = work + (<usize>s << 6);
  const tb = tab + (<usize>(s * s) << 2);
  const rowH = <usize>H << 4;
  for (let g = 0; g < G; g++) {
    const xg = X + (<usize>g << 6);
    let x0 = v128.load(xg);
    let x1 = v128.load(xg, 16);
    let x2 = v128.load(xg, 32);
    let x3 = v128.load(xg, 48);
    for (let t = t0; t < t1; t++) {
      if (m > 0) {
        // P = u_t·W_u + b_0, shared by the stages
        const ut = U + vec((t * G + g) * m);
        for (let j = 0; j < H; j++) {
          let acc = splatAt(b0, j);
          for (let c = 0; c < m; c++) acc = madd(acc, v128.load(ut + vec(c)), splatAt(W0, (4 + c) * H + j));
          v128.store(P + vec(j), acc);
        }
      }
      for (let i = 0; i < s; i++) {
        const row = ((t - t0) * s + i) * G + g;
        let y0 = x0;
        let y1 = x1;
        let y2 = x2;
        let y3 = x3;
        for (let j = 0; j < i; j++) {
          const c = load<f32>(tab + (<usize>(i * s + j) << 2));
          if (c != 0) {
            const cv = f32x4.splat(c);
            const kj = Ks + (<usize>j << 6);
            y0 = madd(y0, cv, v128.load(kj));
            y1 = madd(y1, cv, v128.load(kj, 16));
            y2 = madd(y2, cv, v128.load(kj, 32));
            y3 = madd(y3, cv, v128.load(kj, 48));
          }
        }
        const yp = Y + (<usize>row << 6);
        v128.store(yp, y0);
        v128.store(yp, y1, 16);
        v128.store(yp, y2, 32);
        v128.store(yp, y3, 48);
        const ap = A + <usize>row * rowH;
        const zp = Z != 0 ? Z + <usize>row * rowH : ap;
        let wp = W0;
        let bp = b0;
        let pp = P;
        let zq = zp;
        for (let j = 0; j < H; j++) {
          let z = m > 0 ? v128.load(pp) : v128.load32_splat(bp);
          z = madd(z, y0, v128.load32_splat(wp));
          z = madd(z, y1, v128.load32_splat(wp, 4));
          z = madd(z, y2, v128.load32_splat(wp, 8));
          z = madd(z, y3, v128.load32_splat(wp, 12));
          v128.store(zq, z);
          wp += 16;
          bp += 4;
          pp += 16;
          zq += 16;
        }
        if (kind == 1) elu(zp, ap, H);
        else activate(kind, zp, ap, H << 2, alpha);
        let k0 = splatAt(b1, 0);
        let k1 = splatAt(b1, 1);
        let k2 = splatAt(b1, 2);
        let k3 = splatAt(b1, 3);
        let aq = ap;
        let w = W1;
        for (let j = 0; j < H; j++) {
          const a = v128.load(aq);
          k0 = madd(k0, a, v128.load32_splat(w));
          k1 = madd(k1, a, v128.load32_splat(w, 4));
          k2 = madd(k2, a, v128.load32_splat(w, 8));
          k3 = madd(k3, a, v128.load32_splat(w, 12));
          aq += 16;
          w += 16;
        }
        const ki = Ks + (<usize>i << 6);
        v128.store(ki, k0);
        v128.store(ki, k1, 16);
        v128.store(ki, k2, 32);
        v128.store(ki, k3, 48);
      }
      for (let i = 0; i < s; i++) {
        const c = load<f32>(tb + (<usize>i << 2));
        if (c != 0) {
          const cv = f32x4.splat(c);
          const ki = Ks + (<usize>i << 6);
          x0 = madd(x0, cv, v128.load(ki));
          x1 = madd(x1, cv, v128.load(ki, 16));
          x2 = madd(x2, cv, v128.load(ki, 32));
          x3 = madd(x3, cv, v128.load(ki, 48));
        }
      }
      if (out != 0) {
        const op = out + (<usize>(t * G + g) << 6);
        v128.store(op, x0);
        v128.store(op, x1, 16);
        v128.store(op, x2, 32);
        v128.store(op, x3, 48);
      }
    }
    v128.store(xg, x0);
    v128.store(xg, x1, 16);
    v128.store(xg, x2, 32);
    v128.store(xg, x3, 48);
  }
}

/**
 * One hidden unit's share of the gradients, per lane: dW0 (state rows) += Y ⊗ dz and dW1 += a ⊗ dK
 * at gp ([8] vectors), db0 += dz at bp, and the per-step sum of dz at sp (with inputs).
 */
@inline function grads(gp: usize, bp: usize, sp: usize, m: i32, a: v128, k0: v128, k1: v128, k2: v128, k3: v128, d: v128, y0: v128, y1: v128, y2: v128, y3: v128): void {
  v128.store(gp, madd(v128.load(gp), y0, d));
  v128.store(gp, madd(v128.load(gp, 16), y1, d), 16);
  v128.store(gp, madd(v128.load(gp, 32), y2, d), 32);
  v128.store(gp, madd(v128.load(gp, 48), y3, d), 48);
  v128.store(gp, madd(v128.load(gp, 64), a, k0), 64);
  v128.store(gp, madd(v128.load(gp, 80), a, k1), 80);
  v128.store(gp, madd(v128.load(gp, 96), a, k2), 96);
  v128.store(gp, madd(v128.load(gp, 112), a, k3), 112);
  v128.store(bp, f32x4.add(v128.load(bp), d));
  if (m > 0) v128.store(sp, f32x4.add(v128.load(sp), d));
}

/** Floats of the gradient accumulators of one group: W0's state rows and W1 [H][4], b0 [H], b1 [4], W0's input rows [m][H], all per lane. */
export function sfGradFloats(m: i32, H: i32): i32 {
  return (9 * H + 4 + m * H) << 2;
}

/**
 * Backward pass of steps t1−1 … t0 for all G groups (after sfForward of the same segment filled the
 * tapes Y, Z, A): the adjoint of the steps and the weight and bias gradients.
 *   L [G][4]: λ = dLoss/dx_{t1} on entry, dLoss/dx_{t0} on return (dy of x_t added after step t when dy ≠ 0);
 *   dy [T][G][4]: the output gradient of x_{t+1} at t ('all'), or 0;
 *   dU [T][G][m]: the input gradients (written), or 0;
 *   grad [G][sfGradFloats(m, H)]: per-group, per-lane sums, accumulated;
 *   work: s·4 + 2·H vectors. Other arguments as sfForward.
 */
export function sfBackward(
  W0: usize, W1: usize, m: i32, H: i32, kind: i32, alpha: f32,
  tab: usize, s: i32, G: i32, t0: i32, t1: i32,
  L: usize, U: usize, Y: usize, Z: usize, A: usize, dy: usize, dU: usize, grad: usize, work: usize,
): void {
  const dYs = work;
  const dz = work + (<usize>s << 6);
  const S0 = dz + (<usize>H << 4);
  const tb = tab + (<usize>(s * s) << 2);
  const rowH = <usize>H << 4;
  const gBytes = <usize>sfGradFloats(m, H) << 2;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  for (let g = 0; g < G; g++) {
    // this group's accumulators: W0 state rows and W1 interleaved per hidden unit [H][8], b0 [H], b1 [4], W0 input rows [m][H]
    const gw = grad + <usize>g * gBytes;
    const gb0 = gw + (<usize>(8 * H) << 4);
    const gb1 = gb0 + rowH;
    const gu = gb1 + 64;
    const lg = L + (<usize>g << 6);
    let l0 = v128.load(lg);
    let l1 = v128.load(lg, 16);
    let l2 = v128.load(lg, 32);
    let l3 = v128.load(lg, 48);
    for (let t = t1 - 1; t >= t0; t--) {
      if (m > 0) memory.fill(S0, 0, rowH);
      let adjoint = 0; // bit i: stage i has an adjoint
      for (let i = s - 1; i >= 0; i--) {
        // dK_i = b_i λ + Σ_{l>i} a_li dY_l
        const bi = load<f32>(tb + (<usize>i << 2));
        let any = bi != 0;
        let k0 = zero;
        let k1 = zero;
        let k2 = zero;
        let k3 = zero;
        if (any) {
          const bv = f32x4.splat(bi);
          k0 = madd(zero, bv, l0);
          k1 = madd(zero, bv, l1);
          k2 = madd(zero, bv, l2);
          k3 = madd(zero, bv, l3);
        }
        for (let l = i + 1; l < s; l++) {
          const c = load<f32>(tab + (<usize>(l * s + i) << 2));
          if (c != 0 && (adjoint & (1 << l)) != 0) {
            const cv = f32x4.splat(c);
            const dl = dYs + (<usize>l << 6);
            k0 = madd(k0, cv, v128.load(dl));
            k1 = madd(k1, cv, v128.load(dl, 16));
            k2 = madd(k2, cv, v128.load(dl, 32));
            k3 = madd(k3, cv, v128.load(dl, 48));
            any = true;
          }
        }
        if (!any) continue;
        adjoint |= 1 << i;
        const row = ((t - t0) * s + i) * G + g;
        const ap = A + <usize>row * rowH;
        const zp = Z != 0 ? Z + <usize>row * rowH : ap;
        const yp = Y + (<usize>row << 6);
        const y0 = v128.load(yp);
        const y1 = v128.load(yp, 16);
        const y2 = v128.load(yp, 32);
        const y3 = v128.load(yp, 48);
        let d0 = zero;
        let d1 = zero;
        let d2 = zero;
        let d3 = zero;
        let w1 = W1;
        let w0 = W0;
        let aq = ap;
        let gp = gw;
        let bp = gb0;
        let sp = S0;
        if (kind == 1) {
          // elu, one pass: σ′ from a = σ(z) (1 where a > 0, else a + 1)
          for (let j = 0; j < H; j++) {
            let d = madd(zero, k0, v128.load32_splat(w1));
            d = madd(d, k1, v128.load32_splat(w1, 4));
            d = madd(d, k2, v128.load32_splat(w1, 8));
            d = madd(d, k3, v128.load32_splat(w1, 12));
            const a = v128.load(aq);
            d = f32x4.mul(d, v128.bitselect(one, f32x4.add(a, one), f32x4.gt(a, zero)));
            grads(gp, bp, sp, m, a, k0, k1, k2, k3, d, y0, y1, y2, y3);
            d0 = madd(d0, d, v128.load32_splat(w0));
            d1 = madd(d1, d, v128.load32_splat(w0, 4));
            d2 = madd(d2, d, v128.load32_splat(w0, 8));
            d3 = madd(d3, d, v128.load32_splat(w0, 12));
            w1 += 16;
            w0 += 16;
            aq += 16;
            gp += 128;
            bp += 16;
            sp += 16;
          }
        } else {
          // dz = dK·W1ᵀ, then ⊙ σ′ by the general kernel, then the rest
          let dq = dz;
          for (let j = 0; j < H; j++) {
            let d = madd(zero, k0, v128.load32_splat(w1));
            d = madd(d, k1, v128.load32_splat(w1, 4));
            d = madd(d, k2, v128.load32_splat(w1, 8));
            d = madd(d, k3, v128.load32_splat(w1, 12));
            v128.store(dq, d);
            w1 += 16;
            dq += 16;
          }
          activationBackward(kind, dz, zp, ap, H << 2, alpha);
          dq = dz;
          for (let j = 0; j < H; j++) {
            const d = v128.load(dq);
            grads(gp, bp, sp, m, v128.load(aq), k0, k1, k2, k3, d, y0, y1, y2, y3);
            d0 = madd(d0, d, v128.load32_splat(w0));
            d1 = madd(d1, d, v128.load32_splat(w0, 4));
            d2 = madd(d2, d, v128.load32_splat(w0, 8));
            d3 = madd(d3, d, v128.load32_splat(w0, 12));
            w0 += 16;
            aq += 16;
            dq += 16;
            gp += 128;
            bp += 16;
            sp += 16;
          }
        }
        const di = dYs + (<usize>i << 6);
        v128.store(di, d0);
        v128.store(di, d1, 16);
        v128.store(di, d2, 32);
        v128.store(di, d3, 48);
        v128.store(gb1, f32x4.add(v128.load(gb1), k0));
        v128.store(gb1, f32x4.add(v128.load(gb1, 16), k1), 16);
        v128.store(gb1, f32x4.add(v128.load(gb1, 32), k2), 32);
        v128.store(gb1, f32x4.add(v128.load(gb1, 48), k3), 48);
      }
      // λ_t = λ_{t+1} + Σ_i dY_i
      for (let i = 0; i < s; i++) {
        if ((adjoint & (1 << i)) == 0) continue;
        const di = dYs + (<usize>i << 6);
        l0 = f32x4.add(l0, v128.load(di));
        l1 = f32x4.add(l1, v128.load(di, 16));
        l2 = f32x4.add(l2, v128.load(di, 32));
        l3 = f32x4.add(l3, v128.load(di, 48));
      }
      if (m > 0) {
        // the input rows of W0 from the per-step sum of the first layer's dz, and the input gradient
        const ut = U + vec((t * G + g) * m);
        for (let c = 0; c < m; c++) {
          const uc = v128.load(ut + vec(c));
          const gp = gu + <usize>c * rowH;
          let acc = zero;
          const wu = (4 + c) * H;
          for (let j = 0; j < H; j++) {
            const sj = v128.load(S0 + vec(j));
            v128.store(gp + vec(j), madd(v128.load(gp + vec(j)), uc, sj));
            acc = madd(acc, sj, splatAt(W0, wu + j));
          }
          if (dU != 0) v128.store(dU + vec((t * G + g) * m + c), acc);
        }
      }
      if (dy != 0 && t > 0) {
        const dp = dy + (<usize>((t - 1) * G + g) << 6);
        l0 = f32x4.add(l0, v128.load(dp));
        l1 = f32x4.add(l1, v128.load(dp, 16));
        l2 = f32x4.add(l2, v128.load(dp, 32));
        l3 = f32x4.add(l3, v128.load(dp, 48));
      }
    }
    v128.store(lg, l0);
    v128.store(lg, l1, 16);
    v128.store(lg, l2, 32);
    v128.store(lg, l3, 48);
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
