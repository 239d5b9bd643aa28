/**
 * The fuzzing harness shared by the property tests of every parser (`test/fuzz.test.ts` in each
 * package). A target turns a generated input into an output or an error; every case is classified:
 *
 * - ok: an output that holds no NaN or ±Infinity (anywhere in its numbers, arrays, typed arrays,
 *   plain objects) and passes the target's own check;
 * - rejected: an Error instance with a non-empty message that names the source (the file or argument
 *   the target's input stands for): a helpful error;
 * - unhelpful: anything else thrown (no Error, empty message, a message that does not name the source,
 *   e.g. "Cannot read properties of null");
 * - nonFinite: an accepted output holding a non-finite number (or failing the target's check);
 * - hang: a case that took more than `hangMs` (5 s);
 * - allocation: a case after which the resident set had grown by more than `allocBytes` (1 GiB) over
 *   its level at the start of the target.
 *
 * Cases come from fast-check's generators (`fc.sample` with a fixed seed: the same cases every run).
 * SII_FUZZ_RUNS sets the number of cases (default 300, as in `pnpm test`; `pnpm fuzz` uses 10,000) and
 * SII_FUZZ_REPORT a file to which each target's figures are appended as one JSON line.
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';

export const FUZZ_DEFAULTS = Object.freeze({ runs: 300, hangMs: 5000, allocBytes: 2 ** 30, batch: 500 });

/** Cases per target: SII_FUZZ_RUNS when set, else the default. */
export function fuzzRuns(fallback = FUZZ_DEFAULTS.runs) {
  const v = Number(process.env.SII_FUZZ_RUNS);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/** A test timeout for `runs` cases (generous: the machine may be loaded). */
export function fuzzTimeout(runs = fuzzRuns()) {
  return Math.max(60_000, runs * 50);
}

/** Path of the first non-finite number inside `value` ('' when it is one), or null. */
export function findNonFinite(value, path = '', depth = 0) {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path || '(value)';
  if (value == null || typeof value !== 'object' || depth > 8) return null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    if (value instanceof BigInt64Array || value instanceof BigUint64Array) return null;
    for (let i = 0; i < value.length; i++) if (!Number.isFinite(value[i])) return `${path}[${i}]`;
    return null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = findNonFinite(value[i], `${path}[${i}]`, depth + 1);
      if (p !== null) return p;
    }
    return null;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return null;
  for (const [k, v] of Object.entries(value)) {
    const p = findNonFinite(v, path ? `${path}.${k}` : k, depth + 1);
    if (p !== null) return p;
  }
  return null;
}

/**
 * Whether a thrown value is a helpful error: an Error with a non-empty message naming `source` (a
 * string the message contains, or a RegExp it matches).
 */
export function isHelpfulError(err, source) {
  if (!(err instanceof Error) || typeof err.message !== 'string' || err.message.length === 0) return false;
  return typeof source === 'string' ? err.message.includes(source) : source.test(err.message);
}

function describe(input) {
  let s;
  if (input instanceof Uint8Array) s = `bytes(${input.length}) ${Buffer.from(input.subarray(0, 48)).toString('hex')}`;
  else {
    try {
      s = typeof input === 'string' ? JSON.stringify(input) : JSON.stringify(input, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    } catch {
      s = String(input);
    }
  }
  return s === undefined ? String(input) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/**
 * Run a target on `runs` generated cases and return its figures.
 * target: { name, source, arbitrary, run(input) => output | Promise<output>, check?(output) => string | null,
 *           dispose?(output) }
 */
export async function fuzz(target, opts = {}) {
  const runs = opts.runs ?? fuzzRuns();
  const seed = opts.seed ?? 20240701;
  const hangMs = opts.hangMs ?? FUZZ_DEFAULTS.hangMs;
  const allocBytes = opts.allocBytes ?? FUZZ_DEFAULTS.allocBytes;
  const batch = opts.batch ?? FUZZ_DEFAULTS.batch;
  const stats = {
    target: target.name,
    cases: 0,
    ok: 0,
    rejected: 0,
    unhelpful: 0,
    hangs: 0,
    allocations: 0,
    nonFinite: 0,
    slowestMs: 0,
    peakRssGrowthBytes: 0,
    examples: [],
  };
  const note = (kind, input, detail) => {
    if (stats.examples.length < 5) stats.examples.push({ kind, input: describe(input), detail: String(detail).slice(0, 300) });
  };
  const base = process.memoryUsage.rss();
  const started = performance.now();
  for (let done = 0; done < runs; done += batch) {
    const inputs = fc.sample(target.arbitrary, { numRuns: Math.min(batch, runs - done), seed: seed + done });
    for (const input of inputs) {
      stats.cases++;
      const t0 = performance.now();
      let output;
      let error;
      let threw = false;
      try {
        output = await target.run(input);
      } catch (e) {
        threw = true;
        error = e;
      }
      const ms = performance.now() - t0;
      if (ms > stats.slowestMs) stats.slowestMs = ms;
      if (ms > hangMs) {
        stats.hangs++;
        note('hang', input, `${Math.round(ms)} ms`);
      }
      const growth = process.memoryUsage.rss() - base;
      if (growth > stats.peakRssGrowthBytes) stats.peakRssGrowthBytes = growth;
      if (growth > allocBytes) {
        stats.allocations++;
        note('allocation', input, `resident set grew by ${Math.round(growth / 2 ** 20)} MiB`);
      }
      if (threw) {
        if (isHelpfulError(error, target.source)) stats.rejected++;
        else {
          stats.unhelpful++;
          note('unhelpful', input, error instanceof Error ? `${error.name}: ${error.message}` : `threw ${describe(error)}`);
        }
        continue;
      }
      try {
        const bad = findNonFinite(output);
        const problem = bad !== null ? `non-finite number at ${bad || 'the output'}` : (target.check?.(output) ?? null);
        if (problem) {
          stats.nonFinite++;
          note('nonFinite', input, problem);
        } else stats.ok++;
      } finally {
        target.dispose?.(output);
      }
    }
  }
  stats.seconds = Math.round((performance.now() - started) / 100) / 10;
  if (process.env.SII_FUZZ_REPORT) appendFileSync(process.env.SII_FUZZ_REPORT, `${JSON.stringify(stats)}\n`);
  return stats;
}

/** The failures of a run (for a test's expectation: [] when every case was ok or helpfully rejected). */
export function failures(stats) {
  return stats.unhelpful + stats.hangs + stats.allocations + stats.nonFinite === 0 ? [] : stats.examples;
}

/**
 * Byte mutations of valid files: truncation, appended bytes, overwritten bytes (e.g. a header field set
 * to a huge value), bit flips. Reaches the parser's deeper checks, which uniformly random bytes rarely do.
 */
export function mutatedBytes(valid) {
  const flip = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
  return fc.oneof(
    fc.uint8Array({ maxLength: 512 }),
    fc.tuple(valid, fc.nat()).map(([b, n]) => b.subarray(0, b.length === 0 ? 0 : n % (b.length + 1))),
    fc.tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([b, extra]) => concat(b, extra)),
    fc.tuple(valid, fc.array(flip, { minLength: 1, maxLength: 8 })).map(([b, flips]) => {
      const out = Uint8Array.from(b);
      if (out.length > 0) for (const { at, value } of flips) out[at % out.length] = value;
      return out;
    }),
    valid,
  );
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Any JSON value, with numbers that include huge, tiny and integer-edge values. */
export function anyJson(maxDepth = 3) {
  return fc.jsonValue({ maxDepth });
}

/** Replace the value at one random path of a JSON-like object by `replacement` (a deep copy is returned). */
export function mutateJson(valid, replacement = anyJson(2)) {
  return fc.tuple(valid, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), replacement).map(([obj, picks, value]) => {
    const root = structuredClone(obj);
    let node = root;
    for (let i = 0; i < picks.length; i++) {
      const keys = node !== null && typeof node === 'object' ? Object.keys(node) : [];
      if (keys.length === 0) break;
      const key = keys[picks[i] % keys.length];
      if (i === picks.length - 1 || node[key] === null || typeof node[key] !== 'object') {
        node[key] = value;
        break;
      }
      node = node[key];
    }
    return root;
  });
}

