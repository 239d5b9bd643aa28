import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileBounded } from '../src/files.js';
import { encodeIdx, parseIdx } from '../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'sii-files-'));

describe('readFileBounded', () => {
  it('reads a file up to the limit, byte for byte', () => {
    const p = join(tmp, 'ten.bin');
    const bytes = Uint8Array.from({ length: 10 }, (_, i) => 3 * i);
    writeFileSync(p, bytes);
    expect(Array.from(readFileBounded(p, 10))).toEqual(Array.from(bytes));
    expect(readFileBounded(join(tmp, 'ten.bin'), 1000).length).toBe(10);
    writeFileSync(join(tmp, 'empty'), '');
    expect(readFileBounded(join(tmp, 'empty'), 0).length).toBe(0);
  });

  it('refuses a file over the limit by its size, and a device without a size at the limit', () => {
    const p = join(tmp, 'eleven.bin');
    writeFileSync(p, new Uint8Array(11));
    expect(() => readFileBounded(p, 10, 'IDX file')).toThrow(`${p}: IDX file of 11 bytes exceeds the limit of 10 bytes`);
    // /dev/zero reports size 0 and never ends: the read stops after limit + 1 bytes
    expect(() => readFileBounded('/dev/zero', 100_000, 'table')).toThrow(
      '/dev/zero: table of more than 100000 bytes exceeds the limit of 100000 bytes',
    );
    expect(() => readFileBounded(join(tmp, 'missing'), 10, 'CIFAR-10 batch')).toThrow(/cannot read CIFAR-10 batch .*missing: ENOENT/);
    expect(() => readFileBounded(tmp, 1_000_000)).toThrow(/cannot read file .*EISDIR/);
  });
});

describe('IDX floats', () => {
  it('a NaN or infinite element is an error naming the file and the element', () => {
    const ok = parseIdx(encodeIdx([1.5, -2], [2], { type: 'float32' }), 'f.idx');
    expect(Array.from(ok.data)).toEqual([1.5, -2]);
    expect(() => parseIdx(encodeIdx([1, Number.NaN], [2], { type: 'float32' }), 'f.idx')).toThrow(
      'f.idx: IDX float32 element 1 (of dimensions [2]) is NaN, not a finite number',
    );
    expect(() => parseIdx(encodeIdx([Number.NEGATIVE_INFINITY], [1, 1], { type: 'float64' }), 'g.idx')).toThrow(
      /g\.idx: IDX float64 element 0 .* is -Infinity/,
    );
  });
});
