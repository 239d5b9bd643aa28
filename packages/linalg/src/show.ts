/**
 * How an error message shows an offending value, the one rule of every sii package: numbers, booleans
 * and null/undefined as `String` prints them (NaN, Infinity), strings quoted, arrays and typed arrays
 * by their first six entries, tensors (objects with a `shape` array and a `dtype`) by their shape,
 * functions by name, plain objects as JSON, class instances by class name; at most 200 characters.
 */
const MAX_ENTRIES = 6;
const MAX_CHARS = 200;

function isTensorLike(v: object): v is { shape: number[]; dtype: string } {
  const t = v as { shape?: unknown; dtype?: unknown };
  return Array.isArray(t.shape) && typeof t.dtype === 'string';
}

function entries(v: ArrayLike<unknown>): string {
  const shown = Array.from({ length: Math.min(v.length, MAX_ENTRIES) }, (_, i) => showValue(v[i]));
  return `[${shown.join(', ')}${v.length > MAX_ENTRIES ? ', …' : ''}]`;
}

function clip(text: string): string {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}

/** A value as an error message shows it (see the module comment). */
export function showValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v == null) return String(v);
  if (typeof v === 'string') return clip(JSON.stringify(v));
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
  if (isTensorLike(v)) return `Tensor[${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return clip(entries(v));
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return clip(`${v.constructor.name} ${entries(v as unknown as ArrayLike<number>)}`);
  try {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return `[object ${proto?.constructor?.name || 'Object'}]`;
    return clip(JSON.stringify(v) ?? '[object Object]');
  } catch {
    return '[object Object]'; // cyclic, or a getter that throws
  }
}
