/**
 * Property tests of the poles file parser on generated text: every input gives finite poles or throws
 * an Error naming the file. SII_FUZZ_RUNS sets the cases (`pnpm fuzz`: 10,000).
 */
import { anyJson, failures, fuzz, fuzzTimeout } from '@sii/fuzz';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePoles } from '../src/polesfile.js';

/** Number-like tokens: decimals, exponents, hex, infinities, blanks and junk. */
const token = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom('1e999', '-1e999', 'Infinity', 'NaN', '0x10', '0b1', '', ' ', '.', '-', '1e', '1.5e-3', '+2', '#', ',', '1_000', '١'),
  fc.string({ maxLength: 4 }),
);
const line = fc.oneof(
  fc.tuple(token, fc.constantFrom(' ', '\t', ',', ', ', '  '), token).map(([a, s, b]) => `${a}${s}${b}`),
  token,
  fc.constantFrom('# comment', '', '   '),
  fc.tuple(token, token, token).map((t) => t.join(' ')),
);
const textFile = fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n')).map(([lines, nl]) => lines.join(nl));
const pole = fc.oneof(fc.double(), fc.tuple(fc.double(), fc.double()), fc.record({ re: fc.double(), im: fc.double() }), anyJson(1));
const jsonFile = fc.oneof(
  fc.array(pole, { maxLength: 8 }).map((p) => JSON.stringify(p)),
  fc.array(pole, { maxLength: 8 }).map((p) => JSON.stringify({ poles: p })),
  anyJson(3).map((v) => JSON.stringify(v)),
  fc.constantFrom('[1e999]', '[[0, 1e999]]', '{"poles": [{"re": -1, "im": 1e400}]}', '[', '{'),
);

describe('fuzz: poles file', () => {
  it(
    'parsePoles on line-based text, JSON and arbitrary strings',
    async () => {
      const stats = await fuzz({
        name: 'cli poles file parsePoles',
        source: 'fuzz.poles',
        arbitrary: fc.oneof(textFile, jsonFile, fc.string({ maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 })),
        run: (text: string) => parsePoles(text, 'fuzz.poles'),
        check: (poles) =>
          poles.length > 0 && poles.every((p) => typeof p.re === 'number' && typeof p.im === 'number')
            ? null
            : 'not a list of {re, im} numbers',
      });
      expect(failures(stats)).toEqual([]);
      expect(stats.ok).toBeGreaterThan(0);
      expect(stats.rejected).toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );
});
