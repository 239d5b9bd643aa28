/** A complex number `re + i·im` (plain object, float64). */
export interface Complex {
  re: number;
  im: number;
}

/** Make a complex number; `im` defaults to 0. */
export function complex(re: number, im = 0): Complex {
  return { re, im };
}

export function cadd(a: Complex, b: Complex): Complex {
  return { re: a.re + b.re, im: a.im + b.im };
}

export function csub(a: Complex, b: Complex): Complex {
  return { re: a.re - b.re, im: a.im - b.im };
}

export function cmul(a: Complex, b: Complex): Complex {
  return { re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re };
}

/** a / b by Smith's algorithm (avoids overflow/underflow of |b|²). Division by 0 gives non-finite parts. */
export function cdiv(a: Complex, b: Complex): Complex {
  if (b.im === 0) return { re: a.re / b.re, im: a.im / b.re };
  if (Math.abs(b.re) >= Math.abs(b.im)) {
    const r = b.im / b.re;
    const d = b.re + b.im * r;
    return { re: (a.re + a.im * r) / d, im: (a.im - a.re * r) / d };
  }
  const r = b.re / b.im;
  const d = b.re * r + b.im;
  return { re: (a.re * r + a.im) / d, im: (a.im * r - a.re) / d };
}

export function cscale(a: Complex, s: number): Complex {
  return { re: a.re * s, im: a.im * s };
}

export function cneg(a: Complex): Complex {
  return { re: -a.re, im: -a.im };
}

export function cconj(a: Complex): Complex {
  return { re: a.re, im: -a.im };
}

/** |a| computed without overflow (Math.hypot). */
export function cabs(a: Complex): number {
  return Math.hypot(a.re, a.im);
}

/**
 * Principal argument in (−π, π]. The sign of a zero imaginary part is ignored, so every negative real
 * number has argument +π (e.g. `cneg(complex(2))`, whose imaginary part is −0).
 */
export function carg(a: Complex): number {
  return Math.atan2(a.im === 0 ? 0 : a.im, a.re);
}

/** e^a = e^re (cos im + i sin im). */
export function cexp(a: Complex): Complex {
  const m = Math.exp(a.re);
  if (a.im === 0) return { re: m, im: 0 };
  return { re: m * Math.cos(a.im), im: m * Math.sin(a.im) };
}

/** Principal logarithm Log a = ln|a| + i·Arg a (Log 0 = −∞ + 0i). */
export function clog(a: Complex): Complex {
  return { re: Math.log(cabs(a)), im: carg(a) };
}

/** Integer power by binary powering (exact for small Gaussian integers). */
function cpowInt(a: Complex, p: number): Complex {
  let result: Complex = { re: 1, im: 0 };
  let base = a;
  let k = Math.abs(p);
  while (k > 0) {
    if (k & 1) result = cmul(result, base);
    base = cmul(base, base);
    k >>>= 1;
  }
  return p < 0 ? cdiv({ re: 1, im: 0 }, result) : result;
}

/**
 * Principal power a^p = exp(p·Log a) for a real exponent p. Integer exponents |p| ≤ 64 use repeated
 * multiplication (single-valued, more accurate). 0^0 = 1, 0^p = 0 for p > 0 and +∞ for p < 0.
 */
export function cpow(a: Complex, p: number): Complex {
  if (!Number.isFinite(p)) throw new RangeError(`cpow: exponent p must be finite, got ${p}`);
  if (p === 0) return { re: 1, im: 0 };
  if (a.re === 0 && a.im === 0) return p > 0 ? { re: 0, im: 0 } : { re: Number.POSITIVE_INFINITY, im: 0 };
  if (Number.isInteger(p) && Math.abs(p) <= 64) return cpowInt(a, p);
  // |a|^p · e^{i p Arg a}
  const r = cabs(a) ** p;
  const t = p * carg(a);
  return { re: r * Math.cos(t), im: r * Math.sin(t) };
}

/**
 * Principal n-th root |a|^{1/n} e^{i Arg(a)/n} (n a positive integer), i.e. the root with argument in
 * (−π/n, π/n]. For a positive real a the result is real; for a negative real a, croot(a, n) has
 * argument π/n (the sign of a zero imaginary part is ignored, see {@link carg}).
 */
export function croot(a: Complex, n: number): Complex {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`croot: n must be a positive integer, got ${n}`);
  if (n === 1) return { re: a.re, im: a.im };
  const r = cabs(a);
  if (r === 0) return { re: 0, im: 0 };
  const t = carg(a);
  const m = n === 2 ? Math.sqrt(r) : n === 3 ? Math.cbrt(r) : r ** (1 / n);
  if (t === 0) return { re: m, im: 0 };
  return { re: m * Math.cos(t / n), im: m * Math.sin(t / n) };
}

/** True when `c` is a (non-empty) array of `Complex` objects rather than numbers. */
export function isComplexArray(c: ArrayLike<number> | readonly Complex[]): c is readonly Complex[] {
  return c.length > 0 && typeof c[0] === 'object' && c[0] !== null;
}

/**
 * Evaluate p(z) = Σ_k c_k z^k by Horner's rule; coefficients ascending (c_0 first), real or complex.
 * An empty coefficient list is the zero polynomial.
 */
export function cpolyval(coeffsAscending: ArrayLike<number> | readonly Complex[], z: Complex): Complex {
  const c = coeffsAscending;
  let re = 0;
  let im = 0;
  if (isComplexArray(c)) {
    for (let k = c.length - 1; k >= 0; k--) {
      const t = re * z.re - im * z.im + c[k].re;
      im = re * z.im + im * z.re + c[k].im;
      re = t;
    }
  } else {
    for (let k = c.length - 1; k >= 0; k--) {
      const t = re * z.re - im * z.im + c[k];
      im = re * z.im + im * z.re;
      re = t;
    }
  }
  return { re, im };
}
