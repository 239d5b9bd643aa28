import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_TAGS, alignActivityAuthors, loadActivityAuthors } from '../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'sii-activity-authors-'));
// A multiple of 128 (the float64 spacing near 6.3e17), so every tick below is exact as a double.
const BASE = 633790226051280000n;
const { ankleLeft: A, ankleRight: B, chest: C, belt: D } = ACTIVITY_TAGS;
// Per recording: tag → sample times (units of 1280 ticks) and x values; y = x + 0.5, z = −x.
const TRACKS: [string, number[], number[]][] = [
  [A, [0, 100, 200], [1, 2, 3]],
  [B, [0, 50, 100, 150, 200], [10, 11, 12, 13, 14]],
  [C, [40, 160], [20, 21]],
  [D, [25, 75, 125, 175], [30, 31, 32, 33]],
];

function recording(id: string, offset: number): string[] {
  const lines: { t: number; text: string }[] = [];
  for (const [tag, times, xs] of TRACKS) {
    times.forEach((t, i) => {
      const x = xs[i] + offset;
      lines.push({ t, text: `${id},${tag},${BASE + BigInt(t * 1280)},27.05.2009 14:03:25:127,${x},${x + 0.5},${-x},walking` });
    });
  }
  // interleave the tags by time, as in the UCI file
  return lines.sort((a, b) => a.t - b.t).map((l) => l.text);
}

const text = [...recording('R1', 0), ...recording('R2', 100), ...recording('R3', 200), ...recording('R4', 300)].join('\n');
const path = join(tmp, 'ConfLongDemo_JSI.txt');
writeFileSync(path, `${text}\n`);

describe("the authors' activity alignment", () => {
  it('rows = the reference tag’s samples; every tag’s nearest sample, the first one on ties', () => {
    const recs = alignActivityAuthors(text);
    // their loop never writes the file's last recording
    expect(recs.map((r) => r.id)).toEqual(['R1', 'R2', 'R3']);
    const r = recs[0];
    expect(r.reference).toBe(1); // ankle R has the most samples
    expect(r.rows).toBe(5);
    // worked by hand at t = 0, 50, 100, 150, 200 (ties 50 ↔ {0,100}, 150 ↔ {100,200}, … take the first)
    const xs = (col: number) => Array.from({ length: 5 }, (_, k) => r.values[k * 12 + col]);
    expect(xs(0)).toEqual([1, 1, 2, 2, 3]); // ankle L x
    expect(xs(3)).toEqual([10, 11, 12, 13, 14]); // ankle R x
    expect(xs(6)).toEqual([20, 20, 20, 21, 21]); // chest x
    expect(xs(9)).toEqual([30, 30, 31, 32, 33]); // belt x
    expect([r.values[7], r.values[8]]).toEqual([20.5, -20]); // chest y, z: raw units
    expect(alignActivityAuthors(text, 'f', { includeLastRecording: true }).map((q) => q.id)).toEqual(['R1', 'R2', 'R3', 'R4']);
  });

  it('splits recordings as train_test_split(42) twice, raw units, windows at every start but the last', () => {
    const d = loadActivityAuthors({ path, window: 2 });
    // permutation(3, 42) = [0, 1, 2] → test R1, train [R2, R3]; permutation(2, 42) = [1, 0] → val R3
    expect(d.ids).toEqual({ train: ['R2'], val: ['R3'], test: ['R1'] });
    // 5 rows, windows of 2 at starts 0, 1, 2 (their indices[:-2] drops start 3)
    expect(d.train.shape).toEqual({ samples: 3, steps: 2, inputDim: 9, targetDim: 3 });
    expect(Array.from(d.test.origins)).toEqual([0, 0, 0, 1, 0, 2]);
    expect(d.train.dt).toBe(0.02);
    // inputs ankle L, ankle R, belt xyz; targets chest xyz; no standardization
    expect(Array.from(d.test.inputs.subarray(0, 9))).toEqual([1, 1.5, -1, 10, 10.5, -10, 30, 30.5, -30]);
    expect(Array.from(d.train.targets.subarray(0, 3))).toEqual([120, 120.5, -120]);
    expect(Array.from(d.stats.targetStd)).toEqual([1, 1, 1]);
    const all = loadActivityAuthors({ path, window: 2, includeLastRecording: true });
    // permutation(4, 42) = [1, 3, 0, 2] → test R2; train [R4, R1, R3]; permutation(3) = [0, 1, 2] → val R4
    expect(all.ids).toEqual({ train: ['R1', 'R3'], val: ['R4'], test: ['R2'] });
  });

  it('errors name the file, line or recording', () => {
    const noChest = text
      .split('\n')
      .filter((l) => !l.startsWith(`R1,${C}`))
      .join('\n');
    expect(() => alignActivityAuthors(noChest, 'f.txt')).toThrow(`f.txt: recording R1 has no samples of tag ${C}`);
    expect(() => alignActivityAuthors('R1,a,b', 'f.txt')).toThrow(/f\.txt:1: expected 8 comma-separated fields/);
    expect(() => alignActivityAuthors(recording('R1', 0).join('\n'), 'f.txt')).toThrow(/only one recording \(R1\)/);
    expect(() => alignActivityAuthors(text.replace(String(BASE), 'later'), 'f.txt')).toThrow(/f\.txt:1: cannot parse timestamp 'later'/);
  });
});
