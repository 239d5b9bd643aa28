/**
 * Brand checks that work across copies of a package. A project can end up with two copies of an sii
 * package (two pinned versions side by side, or a bundle plus node_modules); `instanceof` compares
 * constructors, so an object made by one copy fails `instanceof` against the other copy's class. A brand
 * is a property keyed by `Symbol.for(key)` — the global symbol registry returns the same symbol in every
 * copy — so the check recognises instances of any copy.
 */

/** Whether `value` carries the brand `Symbol.for(key)` (own or inherited). */
export function hasBrand(value: unknown, key: string): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  return (value as Record<symbol, unknown>)[Symbol.for(key)] === true;
}

const plainHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * Brands the instances of `cls` with `Symbol.for(key)` (on its prototype) and makes `x instanceof cls`
 * test that brand, so `instanceof` also accepts instances made by another copy of the package.
 * Subclasses keep the ordinary prototype-chain `instanceof`.
 */
export function brandClass(cls: abstract new (...args: never[]) => unknown, key: string): void {
  Object.defineProperty(cls.prototype, Symbol.for(key), { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      return this === cls ? hasBrand(value, key) : plainHasInstance.call(this, value);
    },
  });
}
