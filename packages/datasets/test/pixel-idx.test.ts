import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  channelStats,
  encodeIdx,
  FASHION_MNIST_NORMALIZATION,
  isGzip,
  loadFashionMnist,
  loadIdxImageSet,
  parseIdx,
  readIdx,
} from '../src/index.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'pixel-fashion');
const tmp = mkdtempSync(join(tmpdir(), 'sii-pixel-idx-'));

/** Hand-built IDX header + payload (independent of encodeIdx). */
function rawIdx(typeCode: number, dims: number[], payload: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length + payload.length);
  b[2] = typeCode;
  b[3] = dims.length;
  dims.forEach((d, i) => {
    b.writeUInt32BE(d, 4 + 4 * i);
  });
  payload.forEach((v, i) => {
    b[4 + 4 * dims.length + i] = v;
  });
  return b;
}

describe('parseIdx', () => {
  it('reads a uint8 tensor with its dims', () => {
    const a = parseIdx(rawIdx(0x08, [2, 3], [1, 2, 3, 4, 5, 250]));
    expect(a.type).toBe('uint8');
    expect(a.dims).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 250]);
  });

  it('decodes big-endian int16 / int32 / float32 / float64', () => {
    const i16 = Buffer.alloc(4);
    i16.writeInt16BE(-2, 0);
    i16.writeInt16BE(300, 2);
    expect(Array.from(parseIdx(rawIdx(0x0b, [2], [...i16])).data)).toEqual([-2, 300]);
    const i32 = Buffer.alloc(4);
    i32.writeInt32BE(-123456, 0);
    expect(Array.from(parseIdx(rawIdx(0x0c, [1], [...i32])).data)).toEqual([-123456]);
    const f32 = Buffer.alloc(4);
    f32.writeFloatBE(1.5, 0);
    expect(Array.from(parseIdx(rawIdx(0x0d, [1], [...f32])).data)).toEqual([1.5]);
    const f64 = Buffer.alloc(8);
    f64.writeDoubleBE(Math.PI, 0);
    expect(Array.from(parseIdx(rawIdx(0x0e, [1], [...f64])).data)).toEqual([Math.PI]);
    expect(Array.from(parseIdx(rawIdx(0x09, [2], [0xff, 0x7f])).data)).toEqual([-1, 127]);
  });

  it('encodeIdx round-trips every type, gzipped or not', () => {
    const values = [-3, 0, 7, 100];
    for (const type of ['int8', 'int16', 'int32', 'float32', 'float64'] as const) {
      for (const gzip of [false, true]) {
        const bytes = encodeIdx(values, [2, 2], { type, gzip });
        expect(isGzip(bytes)).toBe(gzip);
        const back = parseIdx(bytes);
        expect(back.type).toBe(type);
        expect(back.dims).toEqual([2, 2]);
        expect(Array.from(back.data)).toEqual(values);
      }
    }
    // uint8 encoding equals the hand-built bytes
    expect(Buffer.from(encodeIdx([1, 2, 3], [3]))).toEqual(rawIdx(0x08, [3], [1, 2, 3]));
  });

  it('detects gzip by the magic bytes 1f 8b', () => {
    const plain = rawIdx(0x08, [4], [9, 8, 7, 6]);
    const gz = gzipSync(plain);
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    expect(Array.from(parseIdx(gz).data)).toEqual([9, 8, 7, 6]);
  });

  it('rejects bad magic, unknown type, zero dims, short header', () => {
    expect(() => parseIdx(Buffer.from([1, 0, 8, 1, 0, 0, 0, 0]), 'f.idx')).toThrow(/f\.idx: not an IDX file: magic number/);
    expect(() => parseIdx(rawIdx(0x0a, [1], [0]), 'f.idx')).toThrow(/f\.idx: unknown IDX data type code 0x0a/);
    expect(() => parseIdx(Buffer.from([0, 0, 8, 0]), 'f.idx')).toThrow(/0 dimensions/);
    expect(() => parseIdx(Buffer.from([0, 0, 8, 3, 0, 0, 0, 1]), 'f.idx')).toThrow(
      /f\.idx: truncated IDX header: 3 dimensions need 16 bytes, file has 8/,
    );
    expect(() => parseIdx(Buffer.from([0, 0]), 'f.idx')).toThrow(/shorter than the 4-byte magic/);
  });

  it('rejects a truncated payload and trailing bytes', () => {
    const full = rawIdx(0x08, [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(() => parseIdx(full.subarray(0, full.length - 2), 'short.idx')).toThrow(
      /short\.idx: truncated IDX data: dimensions \[2, 3\] of uint8 need 6 bytes after the header, found 4/,
    );
    expect(() => parseIdx(Buffer.concat([full, Buffer.from([0])]), 'long.idx')).toThrow(
      /long\.idx: corrupted IDX file: 1 unexpected trailing bytes/,
    );
  });

  it('reports truncated gzip data with the file name', () => {
    const gz = readFileSync(join(fixtures, 'train-images-idx3-ubyte.gz'));
    const path = join(tmp, 'cut-images.gz');
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length / 2)));
    expect(() => readIdx(path)).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupted or truncated gzip data`));
  });

  it('reports a missing file by name', () => {
    expect(() => readIdx(join(tmp, 'nope.idx'))).toThrow(/cannot read IDX file .*nope\.idx/);
  });

  it('stops a gzip bomb at the size limit instead of inflating it', () => {
    // 64 MiB of zeros compress to ~64 KB; with a 1 MiB limit the reader refuses after 1 MiB.
    const bomb = gzipSync(new Uint8Array(64 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => parseIdx(bomb, 'bomb.gz', 1024 * 1024)).toThrow(/bomb\.gz: gzip data decompresses to more than 1048576 bytes/);
  });

  it('rejects a header whose element count overflows or exceeds the limit, even with a zero dimension after it', () => {
    const header = (dims: number[]) => {
      const b = new Uint8Array(4 + 4 * dims.length);
      b[2] = 0x08;
      b[3] = dims.length;
      const v = new DataView(b.buffer);
      for (const [i, d] of dims.entries()) v.setUint32(4 + 4 * i, d, false);
      return b;
    };
    const huge = Array.from({ length: 255 }, () => 0xffffffff);
    expect(() => parseIdx(header(huge), 'huge.idx')).toThrow(/huge\.idx: IDX dimensions .* exceed the limit/);
    // A zero dimension makes an empty array: only the header, no data.
    expect(parseIdx(header([...huge.slice(0, 254), 0]), 'zero.idx').data.length).toBe(0);
    expect(() => parseIdx(header([70000, 28, 28]), 'big.idx', 1000)).toThrow(
      /big\.idx: IDX dimensions \[70000, 28, 28\] of uint8 exceed the limit of 1000 bytes/,
    );
  });
});

describe('Fashion-MNIST loader on fixture IDX files (original format, train gzipped, test plain)', () => {
  // fixture formula (scripts/make-fixtures.mjs): pixel(i, r, c) = (7i + 3r + c) % 256, label = (3i + 1) % 10
  it('loads train (gzipped) with exact bytes and labels', () => {
    const set = loadFashionMnist('train', { dir: fixtures });
    expect([set.name, set.count, set.height, set.width, set.channels, set.classes]).toEqual(['fashion-mnist', 30, 28, 28, 1, 10]);
    expect(set.images.length).toBe(30 * 784);
    for (const [i, r, c] of [
      [0, 0, 0],
      [5, 27, 3],
      [29, 13, 27],
    ] as const) {
      expect(set.images[i * 784 + r * 28 + c]).toBe((7 * i + 3 * r + c) % 256);
    }
    expect(Array.from(set.labels)).toEqual(Array.from({ length: 30 }, (_, i) => (3 * i + 1) % 10));
  });

  it('loads test (plain)', () => {
    const set = loadFashionMnist('test', { dir: fixtures });
    expect(set.count).toBe(10);
    expect(set.images[9 * 784 + 27 * 28 + 27]).toBe((63 + 81 + 27) % 256);
  });

  it('errors on mismatched counts, bad labels, wrong image size and missing files', () => {
    const imgs = join(fixtures, 't10k-images-idx3-ubyte');
    const labels9 = join(tmp, 'labels9');
    writeFileSync(labels9, rawIdx(0x08, [9], Array(9).fill(0)));
    expect(() => loadIdxImageSet({ images: imgs, labels: labels9 })).toThrow(/has 9 labels but .* has 10 images/);
    const badLabels = join(tmp, 'badlabels');
    writeFileSync(badLabels, rawIdx(0x08, [10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 12]));
    expect(() => loadIdxImageSet({ images: imgs, labels: badLabels })).toThrow(/label 12 at index 9 is outside 0\.\.9/);
    const small = join(tmp, 'small-images');
    writeFileSync(small, rawIdx(0x08, [1, 2, 2], [0, 0, 0, 0]));
    expect(() => loadIdxImageSet({ images: small, labels: badLabels, height: 28, width: 28 })).toThrow(/expected 28×28 images, got 2×2/);
    expect(() => loadFashionMnist('train', { dir: tmp })).toThrow(/neither train-images-idx3-ubyte nor train-images-idx3-ubyte\.gz found/);
    expect(() => loadFashionMnist('valid' as 'train', { dir: fixtures })).toThrow(/split must be 'train' or 'test', got valid/);
  });

  it('a truncated image file names the file and the shortfall', () => {
    const cut = join(tmp, 'trunc');
    const raw = gunzipSync(readFileSync(join(fixtures, 'train-images-idx3-ubyte.gz')));
    mkdirSync(cut, { recursive: true });
    writeFileSync(join(cut, 'train-images-idx3-ubyte'), raw.subarray(0, raw.length - 100));
    writeFileSync(join(cut, 'train-labels-idx1-ubyte'), gunzipSync(readFileSync(join(fixtures, 'train-labels-idx1-ubyte.gz'))));
    expect(() => loadFashionMnist('train', { dir: cut })).toThrow(
      /trunc\/train-images-idx3-ubyte: truncated IDX data: dimensions \[30, 28, 28\] of uint8 need 23520 bytes after the header, found 23420/,
    );
  });
});

describe('real Fashion-MNIST (Debian dataset-fashion-mnist) when installed', () => {
  const dir = '/usr/share/datasets/fashion-mnist';
  const present = (() => {
    try {
      readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
      return true;
    } catch {
      return false;
    }
  })();
  it(present ? '10,000 / 60,000 images, balanced classes, documented mean/std' : 'missing folder gives a clear error', () => {
    if (present) {
      const test = loadFashionMnist('test');
      expect(test.count).toBe(10_000);
      const counts = new Array(10).fill(0);
      for (const l of test.labels) counts[l]++;
      expect(counts).toEqual(new Array(10).fill(1000)); // Fashion-MNIST's splits are balanced
      const train = loadFashionMnist('train');
      expect(train.count).toBe(60_000);
      const stats = channelStats(train);
      expect(stats.mean[0]).toBeCloseTo(FASHION_MNIST_NORMALIZATION.mean[0], 3);
      expect(stats.std[0]).toBeCloseTo(FASHION_MNIST_NORMALIZATION.std[0], 3);
    } else {
      expect(() => loadFashionMnist('test')).toThrow(/Fashion-MNIST: folder \/usr\/share\/datasets\/fashion-mnist does not exist/);
    }
  });
});
