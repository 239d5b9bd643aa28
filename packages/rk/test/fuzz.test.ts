/**
 * Property tests of tableau specs (ButcherTableau) on generated objects: every spec builds a tableau
 * whose coefficients and stability polynomial are finite, or throws an Error naming the tableau
 * (`tableau "name"`) or ButcherTableau; never more than MAX_STAGES stages are processed.
 * SII_FUZZ_RUNS sets the cases per target (`pnpm fuzz`: 10,000).
 */
import { anyJson, failures, fuzz, fuzzTimeout, mutateJson } from '@sii/fuzz';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ButcherTableau, getTableau, MAX_STAGES, stabilityPolynomial, type TableauSpec, tableauNames } from '../src/index.js';

const coefficient = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 0.5, 1, 1 / 3, 2 / 3, 1 / 6) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 1e308, -1e308, 1e-320) },
  { weight: 1, arbitrary: anyJson(1) },
);

/** Random explicit-looking specs of 1..70 stages (rows of the right length, some garbage). */
const randomSpec = fc.integer({ min: 1, max: 70 }).chain((s) =>
  fc.record(
    {
      name: fc.oneof(fc.constant('fuzz'), fc.string({ maxLength: 6 }), anyJson(1)),
      a: fc.array(fc.array(coefficient, { maxLength: s }), { minLength: s, maxLength: s }).map((rows) => rows.map((r, i) => r.slice(0, i))),
      b: fc.array(coefficient, { minLength: s, maxLength: s }),
      c: fc.array(coefficient, { minLength: s, maxLength: s }),
      order: fc.oneof(fc.integer({ min: -1, max: 8 }), anyJson(1)),
      tolerance: fc.oneof(fc.constant(undefined), fc.double(), anyJson(1)),
      bHat: fc.oneof(fc.constant(undefined), fc.array(coefficient, { minLength: s, maxLength: s })),
      embeddedOrder: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 7 })),
      fsal: fc.oneof(fc.constant(undefined), fc.boolean(), anyJson(1)),
    },
    { requiredKeys: ['name', 'a', 'b', 'c', 'order'] },
  ),
);

/** The known tableaux with one value replaced (a coefficient, the order, a row …). */
const knownSpecs = fc.constantFrom(...tableauNames().map((n) => getTableau(n).toSpec()));
const mutatedSpec = mutateJson(knownSpecs, fc.oneof(coefficient, fc.array(coefficient, { maxLength: 8 })));

describe('fuzz: tableau specs', () => {
  it(
    'ButcherTableau on random, mutated and valid specs',
    async () => {
      const stats = await fuzz({
        name: 'rk ButcherTableau spec',
        source: /tableau "|ButcherTableau/,
        arbitrary: fc.oneof(randomSpec, mutatedSpec, knownSpecs, anyJson(2)),
        run: (spec: unknown) => new ButcherTableau(spec as TableauSpec),
        check: (t) => {
          if (t.stages > MAX_STAGES) return `${t.stages} stages`;
          if (typeof t.tolerance !== 'number') return `tolerance ${String(t.tolerance)} is not a number`;
          if (typeof t.fsal !== 'boolean' || typeof t.description !== 'string') return 'fsal or description of the wrong type';
          const R = stabilityPolynomial(t);
          return R.every(Number.isFinite) ? null : `stability polynomial [${Array.from(R).join(', ')}] is not finite`;
        },
      });
      expect(failures(stats)).toEqual([]);
      expect(stats.ok).toBeGreaterThan(0);
      expect(stats.rejected).toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );
});
