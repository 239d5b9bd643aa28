/**
 * Strict decimal numbers for flags and text files. `Number()` alone accepts '' (0), '0x10' (16),
 * '0b11' (3), ' ' (0) and '1e999' (Infinity); here only plain decimal notation with an optional
 * exponent is a number, and it must be finite.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The finite number written in decimal notation in `text` (surrounding blanks allowed), else null. */
export function decimalOrNull(text: string): number | null {
  const t = text.trim();
  if (!DECIMAL.test(t)) return null;
  const x = Number(t);
  return Number.isFinite(x) ? x : null;
}

/** Like decimalOrNull, but throws a RangeError naming `where` and the text. */
export function parseDecimal(text: string, where: string): number {
  const x = decimalOrNull(text);
  if (x === null) throw new RangeError(`${where}: expected a finite decimal number, got ${JSON.stringify(text)}`);
  return x;
}
