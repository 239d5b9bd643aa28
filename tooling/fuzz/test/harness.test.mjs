import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { failures, findNonFinite, fuzz, isHelpfulError, mutateJson } from '../harness.mjs';

describe('fuzz harness', () => {
  it('classifies each case: ok, helpful rejection, unhelpful error, non-finite output', async () => {
    // integers 0..99: 0 mod 4 ok, 1 helpful, 2 unhelpful (message without the source), 3 NaN accepted
    const stats = await fuzz(
      {
        name: 'mod4',
        source: 'input.txt',
        arbitrary: fc.integer({ min: 0, max: 99 }),
        run: (n) => {
          if (n % 4 === 1) throw new RangeError(`input.txt: ${n} is odd`);
          if (n % 4 === 2) throw new TypeError('Cannot read properties of null');
          return n % 4 === 3 ? { values: [1, Number.NaN] } : { values: new Float64Array([n]) };
        },
      },
      { runs: 400, batch: 100 },
    );
    const counts = [0, 0, 0, 0];
    for (let done = 0; done < 400; done += 100)
      for (const n of fc.sample(fc.integer({ min: 0, max: 99 }), { numRuns: 100, seed: 20240701 + done })) counts[n % 4]++;
    expect(stats.cases).toBe(400);
    expect([stats.ok, stats.rejected, stats.unhelpful, stats.nonFinite]).toEqual(counts);
    expect(stats.examples.map((e) => e.kind)).toContain('unhelpful');
    expect(failures(stats).length).toBeGreaterThan(0);
  });

  it('counts slow cases as hangs and large resident-set growth as allocations', async () => {
    const slow = await fuzz(
      {
        name: 'slow',
        source: 's',
        arbitrary: fc.constant(0),
        run: () => {
          const t = performance.now();
          while (performance.now() - t < 30);
          return 1;
        },
      },
      { runs: 3, hangMs: 10 },
    );
    expect(slow.hangs).toBe(3);
    const kept = [];
    const big = await fuzz(
      {
        name: 'big',
        source: 's',
        arbitrary: fc.constant(0),
        run: () => {
          const a = new Uint8Array(64 * 2 ** 20).fill(1);
          kept.push(a);
          return 0;
        },
      },
      { runs: 2, allocBytes: 48 * 2 ** 20 },
    );
    expect(big.allocations).toBeGreaterThanOrEqual(1);
    expect(big.peakRssGrowthBytes).toBeGreaterThan(48 * 2 ** 20);
    kept.length = 0;
  });

  it('finds non-finite numbers in nested outputs; helpful errors name the source', () => {
    expect(findNonFinite({ a: [1, { b: new Float32Array([0, Number.POSITIVE_INFINITY]) }] })).toBe('a[1].b[1]');
    expect(findNonFinite({ a: [1, 2], b: 'x' })).toBeNull();
    expect(findNonFinite(Number.NaN)).toBe('(value)');
    expect(isHelpfulError(new Error('f.idx: bad'), 'f.idx')).toBe(true);
    expect(isHelpfulError(new Error(''), 'f.idx')).toBe(false);
    expect(isHelpfulError('f.idx: bad', 'f.idx')).toBe(false);
    expect(isHelpfulError(new TypeError('tableau "x": bad'), /tableau "|ButcherTableau/)).toBe(true);
    expect(isHelpfulError(new TypeError('x is not a function'), /tableau "|ButcherTableau/)).toBe(false);
  });

  it('mutateJson replaces one value and leaves the original alone', () => {
    const original = { a: { b: 1, c: [2, 3] }, d: 'x' };
    const samples = fc.sample(mutateJson(fc.constant(original), fc.constant(null)), { numRuns: 50, seed: 1 });
    expect(original).toEqual({ a: { b: 1, c: [2, 3] }, d: 'x' });
    for (const s of samples) expect(JSON.stringify(s).match(/null/g)?.length).toBe(1);
  });
});
