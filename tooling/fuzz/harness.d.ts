import type { Arbitrary, JsonValue } from 'fast-check';

export interface FuzzTarget<I, O = unknown> {
  /** Shown in the report. */
  name: string;
  /** What a helpful error message must name: the file or argument the input stands for (text or pattern). */
  source: string | RegExp;
  arbitrary: Arbitrary<I>;
  run(input: I): O | Promise<O>;
  /** A problem with an accepted output beyond non-finite numbers (null when fine). */
  check?(output: O): string | null;
  /** Release an accepted output (e.g. tensors). */
  dispose?(output: O): void;
}

export interface FuzzStats {
  target: string;
  cases: number;
  ok: number;
  rejected: number;
  unhelpful: number;
  hangs: number;
  allocations: number;
  nonFinite: number;
  slowestMs: number;
  peakRssGrowthBytes: number;
  seconds: number;
  examples: { kind: string; input: string; detail: string }[];
}

export const FUZZ_DEFAULTS: Readonly<{ runs: number; hangMs: number; allocBytes: number; batch: number }>;
export function fuzzRuns(fallback?: number): number;
export function fuzzTimeout(runs?: number): number;
export function findNonFinite(value: unknown, path?: string): string | null;
export function isHelpfulError(err: unknown, source: string | RegExp): boolean;
export function fuzz<I, O>(
  target: FuzzTarget<I, O>,
  opts?: { runs?: number; seed?: number; hangMs?: number; allocBytes?: number; batch?: number },
): Promise<FuzzStats>;
export function failures(stats: FuzzStats): FuzzStats['examples'];
export function mutatedBytes(valid: Arbitrary<Uint8Array>): Arbitrary<Uint8Array>;
export function anyJson(maxDepth?: number): Arbitrary<JsonValue>;
export function mutateJson<T>(valid: Arbitrary<T>, replacement?: Arbitrary<unknown>): Arbitrary<T>;
