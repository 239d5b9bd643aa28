/**
 * IDX file format (LeCun's MNIST format): 4 magic bytes 0x00 0x00 <type> <ndims>, then ndims
 * big-endian uint32 dimension sizes, then the data in big-endian, C order. Files may be gzipped
 * (detected by the gzip magic bytes 1f 8b).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFileBounded } from '../files.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  type: IdxType;
  dims: number[];
  data: IdxData;
}

/** IDX type byte → element type and size in bytes. */
const TYPE_CODES = new Map<number, { type: IdxType; size: number }>([
  [0x08, { type: 'uint8', size: 1 }],
  [0x09, { type: 'int8', size: 1 }],
  [0x0b, { type: 'int16', size: 2 }],
  [0x0c, { type: 'int32', size: 4 }],
  [0x0d, { type: 'float32', size: 4 }],
  [0x0e, { type: 'float64', size: 8 }],
]);

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Largest decompressed IDX file accepted (bytes): 512 MiB, ten times the full MNIST training images.
 * A gzip bomb stops at this size instead of filling memory.
 */
export const MAX_IDX_BYTES = 512 * 1024 * 1024;

/** Decompress if gzipped, to at most `maxBytes`; errors name the file. */
export function maybeGunzip(bytes: Uint8Array, file: string, maxBytes = MAX_IDX_BYTES): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${file}: gzip data decompresses to more than ${maxBytes} bytes (the limit for one file)`);
    }
    throw new Error(`${file}: corrupted or truncated gzip data (${(e as Error).message})`);
  }
}

/** Parse IDX bytes (gzipped or not). `file` is used in error messages. */
export function parseIdx(input: Uint8Array, file = '<buffer>', maxBytes = MAX_IDX_BYTES): IdxArray {
  const bytes = maybeGunzip(input, file, maxBytes);
  if (bytes.length < 4) {
    throw new Error(`${file}: not an IDX file: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${file}: not an IDX file: magic number starts with ${hex(bytes[0])} ${hex(bytes[1])}, expected 0x00 0x00`);
  }
  const code = TYPE_CODES.get(bytes[2]);
  if (!code) {
    throw new Error(`${file}: unknown IDX data type code ${hex(bytes[2])} (known: 0x08 0x09 0x0b 0x0c 0x0d 0x0e)`);
  }
  const ndims = bytes[3];
  if (ndims < 1) throw new Error(`${file}: IDX header declares 0 dimensions`);
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    throw new Error(`${file}: truncated IDX header: ${ndims} dimensions need ${headerLength} bytes, file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  // The element count, checked against the limit as it grows (255 dimensions of 2^32 − 1 overflow a double).
  let count = dims.includes(0) ? 0 : 1;
  for (const d of count === 0 ? [] : dims) {
    count *= d;
    if (count * code.size > maxBytes) {
      throw new Error(`${file}: IDX dimensions [${dims.join(', ')}] of ${code.type} exceed the limit of ${maxBytes} bytes`);
    }
  }
  const expected = count * code.size;
  const actual = bytes.length - headerLength;
  if (actual < expected) {
    throw new Error(
      `${file}: truncated IDX data: dimensions [${dims.join(', ')}] of ${code.type} need ${expected} bytes after the header, found ${actual}`,
    );
  }
  if (actual > expected) {
    throw new Error(
      `${file}: corrupted IDX file: ${actual - expected} unexpected trailing bytes after dimensions [${dims.join(', ')}] of ${code.type}`,
    );
  }
  const data = decode(bytes, headerLength, count, code.type, view);
  if (code.type === 'float32' || code.type === 'float64') {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new Error(`${file}: IDX ${code.type} element ${i} (of dimensions [${dims.join(', ')}]) is ${data[i]}, not a finite number`);
      }
    }
  }
  return { type: code.type, dims, data };
}

function decode(bytes: Uint8Array, offset: number, count: number, type: IdxType, view: DataView): IdxData {
  switch (type) {
    case 'uint8':
      // zero-copy view on the file buffer
      return bytes.subarray(offset, offset + count);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count);
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/** Read and parse an IDX file (gzipped or not). */
export function readIdx(file: string): IdxArray {
  // a gzipped file is smaller than what it holds: the same limit bounds both
  return parseIdx(readFileBounded(file, MAX_IDX_BYTES, 'IDX file'), file);
}

/**
 * Encode an array in IDX format (used to write test fixtures and converted data sets).
 * `gzip: true` compresses the result.
 */
export function encodeIdx(data: ArrayLike<number>, dims: readonly number[], opts: { type?: IdxType; gzip?: boolean } = {}): Uint8Array {
  const type = opts.type ?? 'uint8';
  const entry = [...TYPE_CODES].find(([, v]) => v.type === type);
  if (!entry) throw new RangeError(`type must be one of uint8 int8 int16 int32 float32 float64, got ${type}`);
  if (dims.length < 1 || dims.length > 255) throw new RangeError(`dims must have 1..255 entries, got ${dims.length}`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`data.length (${data.length}) does not match dims [${dims.join(', ')}] (${count})`);
  }
  const size = entry[1].size;
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * size);
  const view = new DataView(out.buffer);
  out[2] = entry[0];
  out[3] = dims.length;
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  for (let i = 0; i < count; i++) {
    const o = header + i * size;
    const v = data[i];
    if (type === 'uint8') view.setUint8(o, v);
    else if (type === 'int8') view.setInt8(o, v);
    else if (type === 'int16') view.setInt16(o, v, false);
    else if (type === 'int32') view.setInt32(o, v, false);
    else if (type === 'float32') view.setFloat32(o, v, false);
    else view.setFloat64(o, v, false);
  }
  return opts.gzip ? new Uint8Array(gzipSync(out)) : out;
}
