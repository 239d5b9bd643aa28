import { describe, expect, it } from 'vitest';
import {
  type Complex,
  cabs,
  cadd,
  carg,
  cconj,
  cdiv,
  cexp,
  clog,
  cmul,
  cneg,
  complex,
  cpolyval,
  cpow,
  croot,
  cscale,
  csub,
} from '../src/index.js';

function close(a: Complex, b: Complex, tol = 1e-14): void {
  expect(Math.hypot(a.re - b.re, a.im - b.im)).toBeLessThanOrEqual(tol * Math.max(1, cabs(b)));
}

describe('complex arithmetic', () => {
  it('basic operations follow the field rules', () => {
    const a = complex(3, -2);
    const b = complex(-1.5, 4);
    expect(complex(2)).toEqual({ re: 2, im: 0 });
    expect(cadd(a, b)).toEqual({ re: 1.5, im: 2 });
    expect(csub(a, b)).toEqual({ re: 4.5, im: -6 });
    // (3 − 2i)(−1.5 + 4i) = −4.5 + 12i + 3i + 8 = 3.5 + 15i
    expect(cmul(a, b)).toEqual({ re: 3.5, im: 15 });
    expect(cmul(complex(0, 1), complex(0, 1))).toEqual({ re: -1, im: 0 });
    expect(cscale(a, 2)).toEqual({ re: 6, im: -4 });
    expect(cneg(a)).toEqual({ re: -3, im: 2 });
    expect(cconj(a)).toEqual({ re: 3, im: 2 });
    close(cdiv(cmul(a, b), b), a);
    // 1 / i = −i
    close(cdiv(complex(1), complex(0, 1)), complex(0, -1));
    expect(cabs(complex(3, 4))).toBe(5);
  });

  it('division and modulus do not overflow for huge parts (Smith)', () => {
    const big = complex(1e300, 1e300);
    close(cdiv(big, big), complex(1), 1e-15);
    close(cdiv(complex(1e300, -1e300), complex(0, 1e300)), complex(-1, -1), 1e-15);
    expect(cabs(big) / 1e300).toBeCloseTo(Math.SQRT2, 14);
  });

  it('exp, log and arg satisfy Euler and the principal branch', () => {
    close(cexp(complex(0, Math.PI)), complex(-1), 1e-15);
    close(cexp(complex(1, Math.PI / 2)), complex(0, Math.E), 1e-15);
    expect(carg(complex(-1, 0))).toBe(Math.PI);
    expect(carg(complex(-1, -0))).toBe(Math.PI); // sign of zero ignored
    expect(carg(complex(0, -2))).toBe(-Math.PI / 2);
    close(clog(complex(-1)), complex(0, Math.PI));
    for (const z of [complex(0.3, 2.9), complex(-4, -3.1), complex(10, 0.001)]) close(clog(cexp(z)), z, 1e-14);
    expect(clog(complex(0)).re).toBe(Number.NEGATIVE_INFINITY);
  });

  it('principal powers and roots', () => {
    const s = Math.SQRT1_2;
    close(cpow(complex(0, 1), 0.5), complex(s, s));
    close(cpow(complex(-4), 0.5), complex(0, 2));
    expect(cpow(complex(0, 1), 2)).toEqual({ re: -1, im: 0 }); // integer exponent: exact
    expect(cpow(complex(1, 1), 4)).toEqual({ re: -4, im: 0 });
    close(cpow(complex(2, 0), -2), complex(0.25));
    expect(cpow(complex(0), 2.5)).toEqual({ re: 0, im: 0 });
    expect(cpow(complex(0), 0)).toEqual({ re: 1, im: 0 });
    // ∛(−8) = 1 + i√3 (principal), also when −8 is produced by negation (imaginary part −0)
    close(croot(complex(-8), 3), complex(1, Math.sqrt(3)));
    close(croot(cneg(complex(8)), 3), complex(1, Math.sqrt(3)));
    expect(croot(complex(16), 4)).toEqual({ re: 2, im: 0 });
    // root^n recovers a, and the argument lies in (−π/n, π/n]
    for (const z of [complex(0.3, -2.2), complex(-5, 0.1), complex(-5, -0.1)]) {
      for (const n of [2, 3, 5]) {
        const r = croot(z, n);
        close(cpow(r, n), z, 1e-14);
        expect(Math.abs(carg(r))).toBeLessThanOrEqual(Math.PI / n + 1e-15);
      }
    }
    close(cpow(complex(-5, 0.1), 1 / 3), croot(complex(-5, 0.1), 3), 1e-15);
  });

  it('Horner evaluation with real and complex coefficients matches the product form', () => {
    // p(z) = (z − 1)(z − i)(z + 2) expanded: z³ + (1 − i)z² + (−2 − i)z + 2i  → ascending
    const c = [complex(0, 2), complex(-2, -1), complex(1, -1), complex(1)];
    const z = complex(0.7, -1.3);
    const prod = cmul(cmul(csub(z, complex(1)), csub(z, complex(0, 1))), cadd(z, complex(2)));
    close(cpolyval(c, z), prod, 1e-14);
    expect(cabs(cpolyval(c, complex(0, 1)))).toBeLessThan(1e-15);
    // real coefficients 1 + z² at z = i is 0; at z = 2 − i: 1 + 3 − 4i
    expect(cpolyval([1, 0, 1], complex(0, 1))).toEqual({ re: 0, im: 0 });
    close(cpolyval(new Float64Array([1, 0, 1]), complex(2, -1)), complex(4, -4));
    expect(cpolyval([], complex(3))).toEqual({ re: 0, im: 0 });
  });

  it('rejects bad exponents and root orders', () => {
    expect(() => croot(complex(1), 0)).toThrow(/n must be a positive integer, got 0/);
    expect(() => croot(complex(1), 2.5)).toThrow(/got 2.5/);
    expect(() => cpow(complex(1), Number.NaN)).toThrow(/exponent p must be finite/);
  });
});
