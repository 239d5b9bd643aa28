/**
 * Minimal PNG writer (8-bit RGB, filter 0 on every row, zlib from node:zlib) and an SVG that shows a
 * grid of frames as one embedded PNG with row labels.
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as PNG and zlib use). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const body = Buffer.concat([head.subarray(4), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([head.subarray(0, 4), body, crc]);
}

/** Encode row-major RGB bytes [height, width, 3] as a PNG file. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`encodePng: width and height must be positive integers, got ${width}×${height}`);
  }
  if (rgb.length !== width * height * 3)
    throw new RangeError(`encodePng: expected ${width * height * 3} bytes for ${width}×${height} RGB, got ${rgb.length}`);
  const raw = Buffer.alloc(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + 3 * width)] = 0; // filter type None
    raw.set(rgb.subarray(y * 3 * width, (y + 1) * 3 * width), y * (1 + 3 * width) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * Tile frames into one image: rows[r][k] is frame k of row r (RGB bytes [h, w, 3]); `gap` black
 * pixels between tiles, a grey separator is not drawn (background black).
 */
export function tileFrames(
  rows: readonly (readonly Uint8Array[])[],
  h: number,
  w: number,
  gap = 1,
): { rgb: Uint8Array; width: number; height: number } {
  const cols = Math.max(...rows.map((r) => r.length));
  const width = cols * w + (cols - 1) * gap;
  const height = rows.length * h + (rows.length - 1) * gap;
  const rgb = new Uint8Array(width * height * 3).fill(64);
  rows.forEach((row, r) => {
    row.forEach((frame, k) => {
      for (let y = 0; y < h; y++) {
        const dst = ((r * (h + gap) + y) * width + k * (w + gap)) * 3;
        rgb.set(frame.subarray(y * w * 3, (y + 1) * w * 3), dst);
      }
    });
  });
  return { rgb, width, height };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** SVG with the tiled PNG embedded (pixelated, scaled) and a label per row and per column. */
export function frameStripSvg(opts: {
  rows: { label: string; frames: Uint8Array[] }[];
  columnLabels: string[];
  frameHeight: number;
  frameWidth: number;
  scale?: number;
  title?: string;
}): string {
  const scale = opts.scale ?? 3;
  const gap = 1;
  const tiled = tileFrames(
    opts.rows.map((r) => r.frames),
    opts.frameHeight,
    opts.frameWidth,
    gap,
  );
  const png = encodePng(tiled.rgb, tiled.width, tiled.height).toString('base64');
  const left = 90;
  const top = opts.title ? 40 : 22;
  const W = left + tiled.width * scale + 10;
  const H = top + tiled.height * scale + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (opts.title) parts.push(`<text x="${left}" y="14" font-size="13" font-weight="bold">${esc(opts.title)}</text>`);
  opts.columnLabels.forEach((l, k) => {
    const x = left + (k * (opts.frameWidth + gap) + opts.frameWidth / 2) * scale;
    parts.push(`<text x="${x}" y="${top - 6}" text-anchor="middle">${esc(l)}</text>`);
  });
  opts.rows.forEach((r, i) => {
    const y = top + (i * (opts.frameHeight + gap) + opts.frameHeight / 2) * scale + 4;
    parts.push(`<text x="${left - 6}" y="${y}" text-anchor="end">${esc(r.label)}</text>`);
  });
  parts.push(
    `<image x="${left}" y="${top}" width="${tiled.width * scale}" height="${tiled.height * scale}" style="image-rendering:pixelated" preserveAspectRatio="none" href="data:image/png;base64,${png}"/>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}
