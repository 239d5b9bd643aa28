/**
 * Pickle writers for tests: the opcodes and a byte writer following CPython's Lib/pickletools.py, and
 * CIFAR-10 python batches with the structure of the original files.
 */
/** Pickle opcodes used below (pickletools names). */
export const OP = {
  PROTO: 0x80,
  STOP: 0x2e,
  MARK: 0x28,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  NONE: 0x4e,
  NEWFALSE: 0x89,
  SHORT_BINSTRING: 0x55,
  BINSTRING: 0x54,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE: 0x58,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  APPENDS: 0x65,
  SETITEMS: 0x75,
  GLOBAL: 0x63,
  REDUCE: 0x52,
  BUILD: 0x62,
} as const;

/** A byte writer with the encodings the opcodes need. */
export class PickleWriter {
  private parts: number[] = [];
  private memo = 0;
  constructor(private readonly python3 = false) {}
  op(code: number): this {
    this.parts.push(code);
    return this;
  }
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff);
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i]);
    return this;
  }
  /** BINPUT / LONG_BINPUT with the next memo index, as the pickler does after each new object. */
  put(): this {
    const k = ++this.memo;
    return k < 256 ? this.op(OP.BINPUT).u8(k) : this.op(OP.LONG_BINPUT).u32(k);
  }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.op(OP.BININT1).u8(v);
    if (v >= 0 && v < 65536)
      return this.op(OP.BININT2)
        .u8(v)
        .u8(v >> 8);
    return this.op(OP.BININT).u32(v);
  }
  /** A Python 2 str (bytes on load with encoding='bytes'), or in Python 3 mode a bytes object as _codecs.encode(str, 'latin1'). */
  bytes(data: ArrayLike<number>): this {
    if (this.python3) {
      this.global('_codecs', 'encode');
      this.text(String.fromCharCode(...Array.from(data)));
      this.text('latin1');
      return this.op(OP.TUPLE2).op(OP.REDUCE);
    }
    if (data.length < 256) return this.op(OP.SHORT_BINSTRING).u8(data.length).raw(data);
    return this.op(OP.BINSTRING).u32(data.length).raw(data);
  }
  str(s: string): this {
    return this.bytes(Array.from(s, (c) => c.charCodeAt(0)));
  }
  /** A unicode str (utf-8). */
  text(s: string): this {
    const b = new TextEncoder().encode(s);
    return b.length < 256 ? this.op(OP.SHORT_BINUNICODE).u8(b.length).raw(b) : this.op(OP.BINUNICODE).u32(b.length).raw(b);
  }
  global(module: string, name: string): this {
    return this.op(OP.GLOBAL).raw(new TextEncoder().encode(`${module}\n${name}\n`));
  }
  done(): Uint8Array {
    this.op(OP.STOP);
    return Uint8Array.from(this.parts);
  }
}

/** A CIFAR-10 python batch: {'data': uint8 array [n, 3072], 'labels': [...], 'batch_label': str, 'filenames': [...]}. */
export function cifarPickle(
  images: Uint8Array,
  labels: ArrayLike<number>,
  opts: { python3?: boolean; batchLabel?: string; rows?: number } = {},
): Uint8Array {
  const n = labels.length;
  const rows = opts.rows ?? n;
  const w = new PickleWriter(opts.python3 ?? false);
  w.op(OP.PROTO).u8(2).op(OP.EMPTY_DICT).put().op(OP.MARK);
  // b'data': numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b') then BUILD (1, (n, 3072), dtype('u1'), False, raw)
  w.str('data').put();
  w.global('numpy.core.multiarray', '_reconstruct').put().global('numpy', 'ndarray').put();
  w.int(0).op(OP.TUPLE1).str('b').op(OP.TUPLE3).op(OP.REDUCE).put();
  w.op(OP.MARK).int(1).int(rows).int(3072).op(OP.TUPLE2);
  w.global('numpy', 'dtype').put().str('u1').int(0).int(1).op(OP.TUPLE3).op(OP.REDUCE).put();
  w.op(OP.MARK)
    .int(3)
    .str('|')
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
  w.op(OP.NEWFALSE).bytes(images).op(OP.TUPLE).op(OP.BUILD);
  // b'labels': a list filled by APPENDS in chunks of 1,000 (the pickler's batch size)
  w.str('labels').put().op(OP.EMPTY_LIST).put();
  for (let s = 0; s < n; s += 1000) {
    w.op(OP.MARK);
    for (let i = s; i < Math.min(n, s + 1000); i++) w.int(labels[i]);
    w.op(OP.APPENDS);
  }
  w.str('batch_label')
    .put()
    .str(opts.batchLabel ?? 'training batch 1 of 5')
    .put();
  w.str('filenames').put().op(OP.EMPTY_LIST).put().op(OP.MARK);
  for (let i = 0; i < n; i++) w.str(`image_${i}.png`).put();
  w.op(OP.APPENDS);
  w.op(OP.SETITEMS);
  return w.done();
}

/** Rewrite the binary fixture folder as a torchvision root: <root>/cifar-10-batches-py/{data_batch_1..5,test_batch}. */
