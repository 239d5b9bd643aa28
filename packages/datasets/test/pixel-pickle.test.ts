/**
 * The python version of CIFAR-10 (cifar-10-batches-py). Fixture batches are written here byte by byte
 * following the pickle protocol (CPython's Lib/pickletools.py), with the structure of the original
 * files: a protocol-2 dict of Python 2 strings, b'data' a numpy uint8 array rebuilt through
 * numpy.core.multiarray._reconstruct + BUILD, b'labels' a list of ints appended in chunks of 1,000.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCifar10Files, loadCifar10, parseCifarBatch, parseCifarPickleBatch, pixelTask, unpickle } from '../src/index.js';
import { cifarPickle, OP, PickleWriter } from './helpers/pickle.js';

const cifarDir = join(import.meta.dirname, 'fixtures', 'pixel-cifar10');
const tmp = mkdtempSync(join(tmpdir(), 'sii-pixel-pickle-'));

function writePythonVersion(root: string, python3 = false): string {
  const dir = join(root, 'cifar-10-batches-py');
  mkdirSync(dir, { recursive: true });
  for (const name of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
    const b = parseCifarBatch(readFileSync(join(cifarDir, `${name}.bin`)));
    writeFileSync(join(dir, name), cifarPickle(b.images, b.labels, { python3 }));
  }
  return dir;
}

describe('minimal unpickler', () => {
  it('reads the CIFAR batch structure: keys, numpy array bytes and shape, labels across APPENDS chunks', () => {
    const n = 1203; // two APPENDS chunks; memo indices pass 255 (LONG_BINPUT)
    const images = new Uint8Array(n * 3072);
    for (let i = 0; i < images.length; i++) images[i] = (i * 7 + 3) % 256;
    const labels = Array.from({ length: n }, (_, i) => (i * 3) % 10);
    const bytes = cifarPickle(images, labels);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x80, 0x02, 0x7d, 0x71]); // PROTO 2, EMPTY_DICT, BINPUT
    const d = unpickle(bytes) as Map<string, unknown>;
    expect([...d.keys()]).toEqual(['data', 'labels', 'batch_label', 'filenames']);
    expect(new TextDecoder().decode(d.get('batch_label') as Uint8Array)).toBe('training batch 1 of 5');
    expect((d.get('filenames') as Uint8Array[]).length).toBe(n);
    const parsed = parseCifarPickleBatch(bytes);
    expect(parsed.count).toBe(n);
    expect(Array.from(parsed.labels)).toEqual(labels);
    expect(parsed.images[0]).toBe(3);
    expect(parsed.images[5 * 3072 + 2 * 1024 + 7]).toBe(((5 * 3072 + 2 * 1024 + 7) * 7 + 3) % 256);
    expect(Buffer.from(parsed.images).equals(Buffer.from(images))).toBe(true);
  });

  it('reads the Python 3 flavour of protocol 2 (bytes as _codecs.encode(str, "latin1"))', () => {
    const images = Uint8Array.from({ length: 2 * 3072 }, (_, i) => (i * 13) % 256); // includes bytes >= 128
    const a = parseCifarPickleBatch(cifarPickle(images, [4, 9], { python3: true }));
    expect(Array.from(a.labels)).toEqual([4, 9]);
    expect(Buffer.from(a.images).equals(Buffer.from(images))).toBe(true);
  });

  it('reads protocol 5 arrays (numpy.core.numeric._frombuffer with an in-band BYTEARRAY8 buffer)', () => {
    const images = Uint8Array.from({ length: 3 * 3072 }, (_, i) => (i * 29 + 1) % 256);
    const v = new PickleWriter();
    v.op(OP.PROTO).u8(5).op(OP.EMPTY_DICT).op(OP.MARK);
    // data = _frombuffer(buffer, dtype('u1'), (3, 3072), 'C'); BYTEARRAY8 has an 8-byte little-endian length
    v.text('data').global('numpy._core.numeric', '_frombuffer').op(OP.MARK);
    v.op(0x96).u32(images.length).u32(0).raw(images);
    v.global('numpy', 'dtype').text('u1').op(0x89).op(0x88).op(OP.TUPLE3).op(OP.REDUCE);
    v.op(OP.MARK)
      .text('|')
      .op(OP.NONE)
      .op(OP.NONE)
      .op(OP.NONE)
      .op(OP.BININT)
      .u32(-1)
      .op(OP.BININT)
      .u32(-1)
      .int(0)
      .op(OP.TUPLE)
      .op(OP.BUILD);
    v.int(3).int(3072).op(OP.TUPLE2).text('C').op(OP.TUPLE).op(OP.REDUCE);
    v.text('labels').op(OP.EMPTY_LIST).op(OP.MARK).int(7).int(0).int(9).op(OP.APPENDS).op(OP.SETITEMS);
    const b = parseCifarPickleBatch(v.done(), 'p5');
    expect(Array.from(b.labels)).toEqual([7, 0, 9]);
    expect(Buffer.from(b.images).equals(Buffer.from(images))).toBe(true);
  });

  it('refuses other globals, truncation and wrong structures with errors naming the file', () => {
    const evil = new PickleWriter().op(OP.PROTO).u8(2).global('os', 'system').str('echo hi').op(OP.TUPLE1).op(OP.REDUCE).done();
    expect(() => unpickle(evil, 'evil.pkl')).toThrow(/evil\.pkl: cannot read pickle at byte \d+: unsupported global os\.system/);
    const good = cifarPickle(new Uint8Array(3072), [1]);
    expect(() => unpickle(good.subarray(0, 200), 'cut')).toThrow(/cut: cannot read pickle at byte \d+: truncated/);
    const listOnly = new PickleWriter().op(OP.PROTO).u8(2).op(OP.EMPTY_LIST).done();
    expect(() => parseCifarPickleBatch(listOnly, 'b1')).toThrow(
      /b1: expected a pickled dict \(CIFAR-10 python batch\), got a list\/tuple of 0/,
    );
    const badLabel = cifarPickle(new Uint8Array(3072), [12]);
    expect(() => parseCifarPickleBatch(badLabel, 'b2')).toThrow(/b2: label 12 at index 0 is not in 0\.\.9/);
    const mismatch = cifarPickle(new Uint8Array(2 * 3072), [1], { rows: 2 });
    expect(() => parseCifarPickleBatch(mismatch, 'b3')).toThrow(/b3: b'labels' has 1 entries but b'data' has 2 images/);
    const noCode = new PickleWriter().op(OP.PROTO).u8(2).global('numpy', 'dtype').text('').op(OP.TUPLE1).op(OP.REDUCE).done();
    expect(() => unpickle(noCode, 'b5')).toThrow(
      /b5: cannot read pickle at byte \d+: numpy\.dtype needs a type code such as '<u1', got ""/,
    );
    const short = cifarPickle(new Uint8Array(2 * 3072), [1]);
    expect(() => parseCifarPickleBatch(short, 'b4')).toThrow(/b4: b'data': shape \[1, 3072\] needs 3072 bytes, the array holds 6144/);
  });
});

describe('CIFAR-10 in both formats', () => {
  it('the python version (as torchvision stores it) gives the same arrays as the binary version', () => {
    for (const python3 of [false, true]) {
      const root = join(tmp, python3 ? 'py3' : 'py2');
      const pyDir = writePythonVersion(root, python3);
      expect(findCifar10Files('train', root)).toEqual({
        format: 'python',
        paths: [1, 2, 3, 4, 5].map((k) => join(pyDir, `data_batch_${k}`)),
      });
      expect(findCifar10Files('test', cifarDir).format).toBe('binary');
      for (const split of ['train', 'test'] as const) {
        const bin = loadCifar10(split, { dir: cifarDir });
        for (const dir of [root, pyDir]) {
          const py = loadCifar10(split, { dir });
          expect(py.count).toBe(bin.count);
          expect(Array.from(py.labels)).toEqual(Array.from(bin.labels));
          expect(Buffer.from(py.images).equals(Buffer.from(bin.images))).toBe(true);
        }
      }
      // the whole task (normalized sequences) is identical too
      const a = pixelTask({ dataset: 'cifar10', dir: root });
      const b = pixelTask({ dataset: 'cifar10', dir: cifarDir });
      expect(Buffer.from(a.train.x.buffer).equals(Buffer.from(b.train.x.buffer))).toBe(true);
      expect(Buffer.from(a.test.x.buffer).equals(Buffer.from(b.test.x.buffer))).toBe(true);
    }
  });

  it('a folder with neither format names both accepted formats', () => {
    const dir = join(tmp, 'empty');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'data_batch_1'), 'x');
    expect(() => loadCifar10('train', { dir })).toThrow(
      /CIFAR-10: .*empty holds the train batches in neither accepted format: the binary version \(data_batch_1\.bin … data_batch_5\.bin, test_batch\.bin; folder cifar-10-batches-bin\) or the python version that torchvision downloads \(data_batch_1 … data_batch_5, test_batch; folder cifar-10-batches-py\)/,
    );
  });
});
