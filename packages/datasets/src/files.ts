/**
 * Bounded file reads for the Node-only loaders (IDX, CIFAR-10, the forecasting tables): a file larger
 * than the stated limit is refused from its size before anything is read, and a file that grows past
 * it while being read (or a device that reports size 0, such as /dev/zero) stops at the limit.
 * Errors name the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Read all of `path`, at most `maxBytes` bytes; `what` names the kind of file in errors ("IDX file"). */
export function readFileBounded(path: string, maxBytes: number, what = 'file'): Buffer {
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError(`cannot read ${what}: path must be a non-empty string, got ${String(path)}`);
  if (!Number.isInteger(maxBytes) || maxBytes < 0)
    throw new RangeError(`readFileBounded: maxBytes must be an integer >= 0, got ${maxBytes}`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    const tooLarge = (size: string) => new Error(`${path}: ${what} of ${size} bytes exceeds the limit of ${maxBytes} bytes`);
    const { size } = fstatSync(fd);
    if (size > maxBytes) throw tooLarge(String(size));
    let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(size + 1, 65536)));
    let total = 0;
    for (;;) {
      if (total === buf.length) {
        if (buf.length > maxBytes) throw tooLarge(`more than ${maxBytes}`);
        const grown = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(grown, 0, 0, total);
        buf = grown;
      }
      let n: number;
      try {
        n = readSync(fd, buf, total, buf.length - total, null);
      } catch (e) {
        throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`);
      }
      if (n === 0) break;
      total += n;
    }
    if (total > maxBytes) throw tooLarge(`more than ${maxBytes}`);
    return buf.subarray(0, total);
  } finally {
    closeSync(fd);
  }
}
