// Float64 affine map of one row vector for the MLP forward pass of src/forward.ts, in WebAssembly
// SIMD (two float64 lanes). Compiled by scripts/build-wasm.mjs (AssemblyScript) into
// src/affine64_wasm.ts. Pointers are byte offsets into this module's memory, laid out by
// src/wasm64.ts.
//
// out_j = (((b_j + h_{i0}·W_{i0 j}) + h_{i1}·W_{i1 j}) + …) over the rows i0 < i1 < … with h_i ≠ 0:
// every output is a sum in the same order as the JavaScript loop of src/forward.ts, with IEEE
// products and sums (no fused multiply-add), so both give the same bits. The lanes hold two
// neighbouring outputs; sixteen (then eight, two, one) outputs stay in registers while the rows
// stream past.

/** Writes the indices of the nonzero entries of h [rows] to idx (i32) and returns their count. */
@inline function nonzeroRows(h: usize, rows: i32, idx: usize): i32 {
  let count = 0;
  for (let i = 0; i < rows; i++) {
    if (load<f64>(h + (<usize>i << 3)) != 0) {
      store<i32>(idx + (<usize>count << 2), i);
      count++;
    }
  }
  return count;
}

/** out [cols] = b [cols] + h [rows] · W [rows, cols] (row-major), skipping the rows with h_i = 0. */
export function affine(h: usize, rows: i32, w: usize, cols: i32, b: usize, out: usize, idx: usize): void {
  const count = nonzeroRows(h, rows, idx);
  const stride = <usize>cols << 3;
  let j = 0;
  // Sixteen outputs (eight accumulators) per pass: each output is one chain of dependent adds, and
  // eight independent chains keep the adder busy through its latency (four chains, as in the
  // eight-output pass, leave it idle half of the time).
  for (; j + 16 <= cols; j += 16) {
    const jo = <usize>j << 3;
    let a0 = v128.load(b + jo);
    let a1 = v128.load(b + jo, 16);
    let a2 = v128.load(b + jo, 32);
    let a3 = v128.load(b + jo, 48);
    let a4 = v128.load(b + jo, 64);
    let a5 = v128.load(b + jo, 80);
    let a6 = v128.load(b + jo, 96);
    let a7 = v128.load(b + jo, 112);
    for (let p = 0; p < count; p++) {
      const i = <usize>load<i32>(idx + (<usize>p << 2));
      const s = v128.load64_splat(h + (i << 3));
      const wp = w + i * stride + jo;
      a0 = f64x2.add(a0, f64x2.mul(s, v128.load(wp)));
      a1 = f64x2.add(a1, f64x2.mul(s, v128.load(wp, 16)));
      a2 = f64x2.add(a2, f64x2.mul(s, v128.load(wp, 32)));
      a3 = f64x2.add(a3, f64x2.mul(s, v128.load(wp, 48)));
      a4 = f64x2.add(a4, f64x2.mul(s, v128.load(wp, 64)));
      a5 = f64x2.add(a5, f64x2.mul(s, v128.load(wp, 80)));
      a6 = f64x2.add(a6, f64x2.mul(s, v128.load(wp, 96)));
      a7 = f64x2.add(a7, f64x2.mul(s, v128.load(wp, 112)));
    }
    v128.store(out + jo, a0);
    v128.store(out + jo, a1, 16);
    v128.store(out + jo, a2, 32);
    v128.store(out + jo, a3, 48);
    v128.store(out + jo, a4, 64);
    v128.store(out + jo, a5, 80);
    v128.store(out + jo, a6, 96);
    v128.store(out + jo, a7, 112);
  }
  for (; j + 8 <= cols; j += 8) {
    const jo = <usize>j << 3;
    let a0 = v128.load(b + jo);
    let a1 = v128.load(b + jo, 16);
    let a2 = v128.load(b + jo, 32);
    let a3 = v128.load(b + jo, 48);
    for (let p = 0; p < count; p++) {
      const i = <usize>load<i32>(idx + (<usize>p << 2));
      const s = v128.load64_splat(h + (i << 3));
      const wp = w + i * stride + jo;
      a0 = f64x2.add(a0, f64x2.mul(s, v128.load(wp)));
      a1 = f64x2.add(a1, f64x2.mul(s, v128.load(wp, 16)));
      a2 = f64x2.add(a2, f64x2.mul(s, v128.load(wp, 32)));
      a3 = f64x2.add(a3, f64x2.mul(s, v128.load(wp, 48)));
    }
    v128.store(out + jo, a0);
    v128.store(out + jo, a1, 16);
    v128.store(out + jo, a2, 32);
    v128.store(out + jo, a3, 48);
  }
  for (; j + 2 <= cols; j += 2) {
    const jo = <usize>j << 3;
    let a = v128.load(b + jo);
    for (let p = 0; p < count; p++) {
      const i = <usize>load<i32>(idx + (<usize>p << 2));
      a = f64x2.add(a, f64x2.mul(v128.load64_splat(h + (i << 3)), v128.load(w + i * stride + jo)));
    }
    v128.store(out + jo, a);
  }
  if (j < cols) {
    const jo = <usize>j << 3;
    let a = load<f64>(b + jo);
    for (let p = 0; p < count; p++) {
      const i = <usize>load<i32>(idx + (<usize>p << 2));
      a = a + load<f64>(h + (i << 3)) * load<f64>(w + i * stride + jo);
    }
    store<f64>(out + jo, a);
  }
}
