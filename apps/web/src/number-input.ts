// Numbers typed into the forms: strict parsing with stated limits, and a message naming the field and
// the value. An <input type="number"> reports text it cannot read ("NaN", "1e", "--1") as value "" with
// validity.badInput, and Number("") is 0: without this check an lr of "NaN" silently trained with lr 0.

export interface NumberLimits {
  /** Field name shown in messages, e.g. 'learning rate'. */
  label: string;
  min: number;
  max: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** min itself is not allowed (e.g. a learning rate or a step h must be > 0). */
  minExclusive?: boolean;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

function range(l: NumberLimits): string {
  if (l.integer) return `a whole number from ${l.min} to ${l.max}`;
  return `a number ${l.minExclusive ? '>' : '≥'} ${l.min} and ≤ ${l.max}`;
}

/**
 * Read one field: `text` must be a plain finite decimal number (no NaN, Infinity, hex or empty text)
 * within the limits. `badInput` is the input element's validity.badInput (text the browser could not
 * read as a number). Throws a RangeError naming the field, the value and the allowed range.
 */
export function readNumber(text: string, limits: NumberLimits, badInput = false): number {
  const t = text.trim();
  const want = `enter ${range(limits)}`;
  if (badInput) return fail(`${limits.label}: the text typed is not a number; ${want}`);
  if (t === '') return fail(`${limits.label}: empty; ${want}`);
  if (!DECIMAL.test(t)) return fail(`${limits.label}: "${t}" is not a number; ${want}`);
  const v = Number(t);
  if (!Number.isFinite(v)) return fail(`${limits.label}: ${t} is not finite; ${want}`);
  if (limits.integer && !Number.isInteger(v)) return fail(`${limits.label}: ${t} is not a whole number; ${want}`);
  const low = limits.minExclusive ? v <= limits.min : v < limits.min;
  if (low || v > limits.max) return fail(`${limits.label}: ${t} is out of range; ${want}`);
  return v;
}

function fail(message: string): never {
  throw new RangeError(message);
}

/** Read every listed input; returns the values, or the messages of every field that failed. */
export function readNumberInputs<K extends string>(
  fields: Record<K, { input: HTMLInputElement; limits: NumberLimits }>,
): { values: Record<K, number>; errors: string[] } {
  const values = {} as Record<K, number>;
  const errors: string[] = [];
  for (const key of Object.keys(fields) as K[]) {
    const { input, limits } = fields[key];
    try {
      values[key] = readNumber(input.value, limits, input.validity?.badInput === true);
      input.removeAttribute('aria-invalid');
    } catch (e) {
      errors.push((e as Error).message);
      input.setAttribute('aria-invalid', 'true');
    }
  }
  return { values, errors };
}
