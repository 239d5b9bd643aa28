// Parsing and formatting of complex numbers typed by the user: "-2", "-1+3i", "-0.5-2.5i", "4i", "-i".

import type { Point } from './plot.js';

const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?`;
const FULL = new RegExp(String.raw`^([+-]?${NUMBER})?(?:([+-])(${NUMBER})?\*?i)?$|^([+-]?)(${NUMBER})?\*?i$`, 'i');

/** Parse one complex number; throws an Error naming the text when it is not one (or not finite). */
export function parseComplex(text: string): Point {
  const z = parseComplexParts(text);
  if (!Number.isFinite(z.re) || !Number.isFinite(z.im)) throw new Error(`pole: "${text.trim()}" is not finite`);
  return z;
}

function parseComplexParts(text: string): Point {
  const s = text.replace(/\s+/g, '').replace(/−/g, '-').replace(/j/gi, 'i');
  if (s === '') throw new Error(`pole: empty entry`);
  const m = FULL.exec(s);
  if (!m) throw new Error(`pole: cannot read "${text}" as a complex number (examples: -2, -1+3i, 4i)`);
  if (m[4] !== undefined || m[5] !== undefined) {
    // Pure imaginary: "[sign][number]i"
    const sign = m[4] === '-' ? -1 : 1;
    return { re: 0, im: sign * (m[5] !== undefined ? Number(m[5]) : 1) };
  }
  const re = m[1] !== undefined ? Number(m[1]) : 0;
  if (m[2] === undefined) {
    if (m[1] === undefined) throw new Error(`pole: cannot read "${text}" as a complex number`);
    return { re, im: 0 };
  }
  const mag = m[3] !== undefined ? Number(m[3]) : 1;
  return { re, im: m[2] === '-' ? -mag : mag };
}

/** Parse a comma- or semicolon-separated list of complex numbers. */
export function parseComplexList(text: string): Point[] {
  return text
    .split(/[,;\n]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map(parseComplex);
}

export function complexToInput(z: Point): string {
  const r = (x: number) => Number(x.toPrecision(4)).toString();
  if (Math.abs(z.im) < 1e-12) return r(z.re);
  return `${r(z.re)}${z.im < 0 ? '-' : '+'}${r(Math.abs(z.im))}i`;
}
