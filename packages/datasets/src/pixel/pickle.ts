/**
 * A minimal reader of Python pickles, for the python version of CIFAR-10 (cifar-10-batches-py, the
 * files torchvision downloads): each batch is a protocol-2 pickle of a dict whose values are a numpy
 * uint8 array (b'data', 10000 × 3072), a list of ints (b'labels') and strings. Only plain data and
 * these constructors are understood: numpy's array reconstruction (`numpy.core.multiarray._reconstruct`
 * + `numpy.ndarray`, with BUILD state (version, shape, dtype, fortran, raw bytes)), protocol 5's
 * `numpy.core.numeric._frombuffer`, `numpy.dtype`, and `_codecs.encode` (how Python 3 writes bytes at
 * protocol 2); numpy 2's `numpy._core` names as well. Any other global is refused with an
 * error naming it: nothing is ever executed. Opcodes follow CPython's Lib/pickletools.py.
 *
 * Values: int/float → number, None → null, bool → boolean, str → string, bytes (and Python 2 str) →
 * Uint8Array, list and tuple → array, dict → Map with string keys (bytes keys decoded as latin-1).
 */

/** A numpy array read from a pickle: `data` holds its raw bytes, C order unless `fortran`. */
export interface PickledNdarray {
  kind: 'ndarray';
  shape: number[];
  /** numpy type string without byte order, e.g. 'u1', 'i8', 'f4'. */
  dtype: string;
  /** '<' little, '>' big, '|' not applicable, '=' native. */
  byteOrder: string;
  fortran: boolean;
  data: Uint8Array;
}

interface PickledDtype {
  kind: 'dtype';
  dtype: string;
  byteOrder: string;
}

interface PickledGlobal {
  kind: 'global';
  module: string;
  name: string;
}

const MARK = Symbol('mark');
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

const RECONSTRUCT = new Set(['numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct']);
const FROMBUFFER = new Set(['numpy.core.numeric._frombuffer', 'numpy._core.numeric._frombuffer']);
const ALLOWED_GLOBALS = new Set([...RECONSTRUCT, ...FROMBUFFER, 'numpy.ndarray', 'numpy.dtype', '_codecs.encode']);

function isObject(v: unknown, kind: string): boolean {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === kind;
}

/** Parse pickle bytes into plain values (see the module comment). `file` names the source in errors. */
export function unpickle(bytes: Uint8Array, file = '<buffer>'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`${file}: cannot read pickle at byte ${pos}: ${what}`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail(`truncated (needs ${n} more bytes, ${bytes.length - pos} left)`);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} too large`);
    return Number(v);
  };
  const take = (n: number) => {
    if (n < 0) fail(`negative length ${n}`);
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) fail('stack underflow');
    const v = stack.pop();
    if (v === MARK) fail('unexpected mark');
    return v;
  };
  const top = () => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  /** Items above the topmost mark (the mark is removed). */
  const popMark = () => {
    const k = stack.lastIndexOf(MARK);
    if (k < 0) fail('no mark on the stack');
    const items = stack.slice(k + 1);
    stack.length = k;
    return items;
  };
  const dictKey = (k: unknown): string => {
    if (typeof k === 'string') return k;
    if (k instanceof Uint8Array) return latin1.decode(k);
    if (typeof k === 'number') return String(k);
    return fail(`unsupported dict key of type ${typeof k}`);
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) fail('SETITEM(S) on a value that is not a dict');
    if (items.length % 2 !== 0) fail('odd number of dict items');
    for (let i = 0; i < items.length; i += 2) (dict as Map<string, unknown>).set(dictKey(items[i]), items[i + 1]);
  };
  const append = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) fail('APPEND(S) on a value that is not a list');
    (list as unknown[]).push(...items);
  };
  const global = (module: string, name: string): PickledGlobal => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) fail(`unsupported global ${full} (only numpy arrays, lists, dicts, numbers and strings are read)`);
    return { kind: 'global', module, name };
  };
  const reduce = (fn: unknown, args: unknown): unknown => {
    if (!isObject(fn, 'global') || !Array.isArray(args)) return fail('REDUCE needs a global and an argument tuple');
    const full = `${(fn as PickledGlobal).module}.${(fn as PickledGlobal).name}`;
    if (RECONSTRUCT.has(full)) {
      return { kind: 'ndarray', shape: [], dtype: '', byteOrder: '|', fortran: false, data: new Uint8Array(0) } satisfies PickledNdarray;
    }
    if (FROMBUFFER.has(full)) {
      // protocol 5: _frombuffer(buffer, dtype, shape, order)
      const [buf, dtype, shape, order] = args as [unknown, unknown, unknown, unknown];
      if (!(buf instanceof Uint8Array) || !isObject(dtype, 'dtype') || !Array.isArray(shape))
        fail('_frombuffer needs (bytes, dtype, shape, order)');
      const d = dtype as PickledDtype;
      const fortran = order === 'F' || (order instanceof Uint8Array && latin1.decode(order) === 'F');
      return {
        kind: 'ndarray',
        shape: (shape as number[]).slice(),
        dtype: d.dtype,
        byteOrder: d.byteOrder,
        fortran,
        data: buf as Uint8Array,
      } satisfies PickledNdarray;
    }
    if (full === 'numpy.dtype') {
      const spec = args[0] instanceof Uint8Array ? latin1.decode(args[0]) : String(args[0]);
      const m = /^([<>|=]?)(.+)$/.exec(spec) ?? fail(`numpy.dtype needs a type code such as '<u1', got ${JSON.stringify(spec)}`);
      return { kind: 'dtype', dtype: m[2], byteOrder: m[1] || '|' } satisfies PickledDtype;
    }
    if (full === '_codecs.encode') {
      if (typeof args[0] !== 'string') fail('_codecs.encode needs a str');
      const s = args[0] as string;
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 255) fail(`_codecs.encode: character ${c} is not latin-1`);
        out[i] = c;
      }
      return out;
    }
    return fail(`cannot call ${full}`);
  };
  const build = (obj: unknown, state: unknown) => {
    if (isObject(obj, 'ndarray') && Array.isArray(state)) {
      // (version, shape, dtype, is_fortran, raw) or, from old numpy, (shape, dtype, is_fortran, raw)
      const s = state.length === 5 ? state.slice(1) : state;
      const [shape, dtype, fortran, raw] = s as [unknown, unknown, unknown, unknown];
      if (!Array.isArray(shape) || !isObject(dtype, 'dtype') || !(raw instanceof Uint8Array)) {
        fail('numpy array state is not (shape, dtype, fortran, raw bytes)');
      }
      const a = obj as PickledNdarray;
      a.shape = (shape as number[]).slice();
      a.dtype = (dtype as PickledDtype).dtype;
      a.byteOrder = (dtype as PickledDtype).byteOrder;
      a.fortran = fortran === true;
      a.data = raw as Uint8Array;
      return;
    }
    if (isObject(obj, 'dtype') && Array.isArray(state)) {
      // (version, byte order, subarray, names, fields, elsize, alignment, flags)
      if (typeof state[1] === 'string' || state[1] instanceof Uint8Array) {
        (obj as PickledDtype).byteOrder = typeof state[1] === 'string' ? state[1] : latin1.decode(state[1]);
      }
      return;
    }
    fail('BUILD on an object this reader does not know');
  };

  while (true) {
    if (pos >= bytes.length) fail('no STOP opcode');
    const op = bytes[pos++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('unsupported protocol');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return stack[0];
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo entry ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) fail(`integer ${v} too large`);
        stack.push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str: bytes)
        stack.push(take(u8()));
        break;
      case 0x54: // BINSTRING
        stack.push(take(i32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8 (protocol 5, in-band buffers)
        stack.push(take(u64()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(take(u8())));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(take(u32())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(take(u64())));
        break;
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x64: {
        // DICT
        const d = new Map<string, unknown>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two str');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(reduce(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        build(top(), state);
        break;
      }
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** True when the bytes start like a binary pickle (PROTO opcode 0x80 and a protocol 2..5). */
export function looksLikePickle(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
}

/** A pickled uint8 numpy array as a C-ordered Uint8Array view of its bytes; errors name `what`. */
export function ndarrayUint8(v: unknown, what: string): { shape: number[]; data: Uint8Array } {
  if (!isObject(v, 'ndarray')) throw new Error(`${what}: expected a numpy array, got ${describePickled(v)}`);
  const a = v as PickledNdarray;
  if (a.dtype !== 'u1') throw new Error(`${what}: expected a uint8 numpy array, got dtype ${a.byteOrder}${a.dtype}`);
  if (a.fortran) throw new Error(`${what}: Fortran-ordered arrays are not supported`);
  const count = a.shape.reduce((p, d) => p * d, 1);
  if (a.data.length !== count) {
    throw new Error(`${what}: shape [${a.shape.join(', ')}] needs ${count} bytes, the array holds ${a.data.length}`);
  }
  return { shape: a.shape, data: a.data };
}

export function describePickled(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return `a list/tuple of ${v.length}`;
  if (v instanceof Uint8Array) return `bytes of length ${v.length}`;
  if (v instanceof Map) return 'a dict';
  if (typeof v === 'object') return `a ${(v as { kind?: string }).kind ?? 'object'}`;
  return `${typeof v} ${String(v)}`;
}
