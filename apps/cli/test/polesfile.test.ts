import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_POLES_FILE_BYTES, parsePoles, readPolesFile } from '../src/polesfile.js';

describe('parsePoles', () => {
  it('reads JSON pairs, objects, numbers and {poles: [...]}', () => {
    expect(parsePoles('[[-1, 2], {"re": -3, "im": -4}, -5]')).toEqual([
      { re: -1, im: 2 },
      { re: -3, im: -4 },
      { re: -5, im: 0 },
    ]);
    expect(parsePoles('{"poles": [[-0.5, 1.5]]}')).toEqual([{ re: -0.5, im: 1.5 }]);
  });
  it('reads text lines "re im" and "re", skipping comments', () => {
    expect(parsePoles('# poles\n-1 2\n\n-3\n-0.5,-1.5\n')).toEqual([
      { re: -1, im: 2 },
      { re: -3, im: 0 },
      { re: -0.5, im: -1.5 },
    ]);
  });
  it('names the offending entry', () => {
    expect(() => parsePoles('[[1, 2, 3]]', 'p.json')).toThrow(/p\.json\[0\]/);
    expect(() => parsePoles('-1 x', 'p.txt')).toThrow(/p\.txt:1/);
    expect(() => parsePoles('[', 'p.json')).toThrow(/invalid JSON/);
    expect(() => parsePoles('', 'p.txt')).toThrow(/no poles/);
  });
  it('rejects what Number() would silently misread', () => {
    expect(() => parsePoles(',', 'p.txt')).toThrow(/p\.txt:1/);
    expect(() => parsePoles(', -3', 'p.txt')).toThrow(/p\.txt:1/);
    expect(() => parsePoles('0x10 0b11', 'p.txt')).toThrow(/p\.txt:1.*decimal/);
    expect(() => parsePoles('-1 2\n1e999', 'p.txt')).toThrow(/p\.txt:2/);
    expect(() => parsePoles('[{"re": -1, "im": "2"}]', 'p.json')).toThrow(/p\.json\[0\]/);
    expect(() => parsePoles('[{"re": -1, "imag": 2}]', 'p.json')).toThrow(/p\.json\[0\]/);
    expect(() => parsePoles('[1e999]', 'p.json')).toThrow(/must be finite/);
    expect(parsePoles('-1.5e-1, 2\n+.5 -3.', 'p.txt')).toEqual([
      { re: -0.15, im: 2 },
      { re: 0.5, im: -3 },
    ]);
  });
});

describe('decimal numbers', () => {
  it('accepts plain decimals only', async () => {
    const { decimalOrNull, parseDecimal } = await import('../src/numbers.js');
    expect(['1', '-2.5', '+.5', '3.', '1e-3', ' 7 '].map(decimalOrNull)).toEqual([1, -2.5, 0.5, 3, 0.001, 7]);
    expect(['', ' ', '0x10', '0b11', '1e999', 'NaN', 'Infinity', '1,5', '--1', '.', 'e5'].map(decimalOrNull)).toEqual(Array(11).fill(null));
    expect(() => parseDecimal('0x10', '--lr')).toThrow(/--lr: expected a finite decimal number, got "0x10"/);
  });
});

describe('readPolesFile', () => {
  it('refuses a file above MAX_POLES_FILE_BYTES from its size, and cuts long values in messages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sii-poles-'));
    const p = join(dir, 'big.txt');
    writeFileSync(p, '-1\n');
    expect(readPolesFile(p)).toEqual([{ re: -1, im: 0 }]);
    truncateSync(p, MAX_POLES_FILE_BYTES + 1); // sparse: no disk used
    expect(() => readPolesFile(p)).toThrow(`--poles: ${p} has 16777217 bytes, more than the limit of 16777216 for a poles file`);
    expect(() => readPolesFile(join(dir, 'none.txt'))).toThrow(/--poles: cannot read .*none\.txt \(ENOENT\)/);
    const long = JSON.stringify([{ re: 'x'.repeat(1000) }]);
    expect(() => parsePoles(long, 'p.json')).toThrow(
      /p\.json\[0\]: expected a number, \[re, im\] or \{re, im\} with numbers, got \{"re":"x{193}…$/,
    );
  });
});
