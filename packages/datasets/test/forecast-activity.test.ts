import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_TAGS, alignActivityAuthors, loadActivity, MAX_ACTIVITY_STEPS, parseActivity, resampleActivity } from '../src/index.js';

const path = join(import.meta.dirname, 'fixtures', 'forecast-activity', 'ConfLongDemo_JSI.txt');
const text = readFileSync(path, 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'sii-activity-'));

// Fixture (scripts/make-fixtures.mjs): recordings A01..A05 (q = 0..4) and B01 (q = 5, no chest tag);
// tag j (0 ankle L, 1 ankle R, 2 chest, 3 belt) sampled every 0.05 s from 0.013·j s, 40 samples, at
// x = q + j + 0.5t, y = 2j − 0.25t, z = 0.1j + 0.01·q·t. Common span: [0.039, 1.95] → 96 steps of 0.02 s.
const pos = (q: number, j: number, t: number) => [q + j + 0.5 * t, 2 * j - 0.25 * t, 0.1 * j + 0.01 * q * t];
const INPUT_J = [0, 1, 3];

function write(name: string, content: string): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('parseActivity / resampleActivity', () => {
  it('groups lines by recording and tag, times from exact 100 ns ticks', () => {
    const recs = parseActivity(text);
    expect(recs.map((r) => r.id)).toEqual(['A01', 'A02', 'A03', 'A04', 'A05', 'B01']);
    const chest = recs[0].tags.get(ACTIVITY_TAGS.chest)!;
    expect(chest.t.length).toBe(40);
    expect(chest.t[0]).toBeCloseTo(0.026, 12);
    expect(chest.t[39]).toBeCloseTo(0.026 + 39 * 0.05, 12);
    expect(recs[5].tags.has(ACTIVITY_TAGS.chest)).toBe(false);
  });

  it('resamples every tag onto t0 + k·dt by linear interpolation (exact for linear motion)', () => {
    const res = resampleActivity(parseActivity(text));
    expect(res.ids).toEqual(['A01', 'A02', 'A03', 'A04', 'A05']);
    expect(res.skipped).toEqual([{ id: 'B01', reason: `no samples of tag(s) ${ACTIVITY_TAGS.chest}` }]);
    res.segments.forEach((s, q) => {
      expect([s.length, s.inputDim, s.targetDim]).toEqual([96, 9, 3]);
      for (let k = 0; k < 96; k++) {
        const t = 0.039 + 0.02 * k;
        INPUT_J.forEach((j, i) => {
          const p = pos(q, j, t);
          for (let c = 0; c < 3; c++) expect(s.inputs[k * 9 + 3 * i + c]).toBeCloseTo(p[c], 9);
        });
        const p = pos(q, 2, t);
        for (let c = 0; c < 3; c++) expect(s.targets[k * 3 + c]).toBeCloseTo(p[c], 9);
      }
    });
  });

  it('line order does not matter; repeated timestamps are dropped', () => {
    const lines = text.trim().split('\n');
    new Rng(1).shuffle(lines);
    const dup = [...lines, lines[0], lines[1]];
    const recs = parseActivity(dup.join('\n'));
    const res = resampleActivity(recs);
    const ref = resampleActivity(parseActivity(text));
    expect(res.ids.slice().sort()).toEqual(ref.ids);
    const i = res.ids.indexOf('A03');
    expect(Array.from(res.segments[i].inputs)).toEqual(Array.from(ref.segments[2].inputs));
    const total = recs.reduce((a, r) => a + [...r.tags.values()].reduce((b, tr) => b + tr.duplicates, 0), 0);
    expect(total).toBe(2);
  });

  it('errors name the line: field count, tag id, ticks, coordinates; no usable recording', () => {
    const good = 'A01,010-000-024-033,633790226051280329,27.05.2009 14:03:25:127,4.06,1.89,0.50,walking';
    expect(() => parseActivity(`${good}\n${good.replace(',walking', '')}`, 'f.txt')).toThrow(
      /f\.txt:2: expected 8 comma-separated fields .* got 7/,
    );
    expect(() => parseActivity(good.replace('010-000-024-033', 'ankle'), 'f.txt')).toThrow(/f\.txt:1: malformed tag id 'ankle'/);
    expect(() => parseActivity(good.replace('633790226051280329', '6337e9'), 'f.txt')).toThrow(/f\.txt:1: cannot parse timestamp '6337e9'/);
    expect(() => parseActivity(`\n${good.replace('1.89', '1.8.9')}`, 'f.txt')).toThrow(
      /f\.txt:2: cannot parse '1\.8\.9' as a number in column 'y'/,
    );
    expect(() => parseActivity('\n\n', 'f.txt')).toThrow(/f\.txt: no data lines/);
    const onlyB = write(
      'onlyB.txt',
      text
        .split('\n')
        .filter((l) => l.startsWith('B01'))
        .join('\n'),
    );
    expect(() => loadActivity({ path: onlyB })).toThrow(/onlyB\.txt: no usable recording \(B01: no samples of tag\(s\) 020-000-033-111\)/);
    expect(() => resampleActivity([], { dt: -1 })).toThrow(/resampleActivity: dt must be a finite number > 0, got -1/);
  });
});

describe('activity bounds and finiteness', () => {
  const good = 'A01,010-000-024-033,633790226051280329,27.05.2009 14:03:25:127,4.06,1.89,0.50,walking';
  it('1e999 and ticks beyond 64 bits are errors naming the file and line', () => {
    expect(() => parseActivity(`${good}\n${good.replace('4.06', '1e999')}`, 'f.txt')).toThrow(
      "f.txt:2: '1e999' in column 'x' is beyond the range of finite numbers",
    );
    expect(() => parseActivity(good.replace('633790226051280329', '9223372036854775808'), 'f.txt')).toThrow(
      "f.txt:1: timestamp '9223372036854775808' exceeds the largest .NET tick count 9223372036854775807",
    );
    expect(() => parseActivity(good.replace('633790226051280329', '9'.repeat(400)), 'f.txt')).toThrow(
      /f\.txt:1: timestamp '9{40}' exceeds/,
    );
    expect(() => alignActivityAuthors(good.replace('633790226051280329', '9'.repeat(400)), 'f.txt')).toThrow(
      /f\.txt:1: timestamp '9{40}' is beyond the range of finite numbers/,
    );
    expect(() => alignActivityAuthors(good.replace('0.50', '-1e400'), 'f.txt')).toThrow(
      "f.txt:1: '-1e400' in column 'z' is beyond the range of finite numbers",
    );
  });

  it('ticks spanning 4e12 (4.6 days) are refused before the grid is allocated', () => {
    // the four tags of one recording, two samples each: at 0 and at 4e12 ticks = 4e5 s → 2e7 steps of 0.02 s
    const tags = Object.values(ACTIVITY_TAGS);
    const lines = tags.flatMap((tag) => [0n, 4_000_000_000_000n].map((dt) => `A01,${tag},${633790226051280329n + dt},d,1,2,3,walking`));
    const recs = parseActivity(lines.join('\n'), 'far.txt');
    expect(MAX_ACTIVITY_STEPS).toBe(4194304);
    expect(() => resampleActivity(recs, { file: 'far.txt' })).toThrow(
      /far\.txt: recording A01 spans 400000 s: 20000001 steps of dt = 0\.02 s bring the resampled total to 20000001, above the limit of 4194304/,
    );
    const p = write('far.txt', lines.join('\n'));
    expect(() => loadActivity({ path: p })).toThrow(/far\.txt: recording A01 spans 400000 s/);
    // within the limit the same layout resamples: 4e7 ticks = 4 s → 201 steps
    const near = parseActivity(
      tags.flatMap((tag) => [0n, 40_000_000n].map((dt) => `A01,${tag},${633790226051280329n + dt},d,1,2,3,walking`)).join('\n'),
    );
    expect(resampleActivity(near).segments[0].length).toBe(201);
  });
});

describe('loadActivity', () => {
  it('splits whole recordings 3/1/1, windows of 10 at every start, standardized with training stats', () => {
    const d = loadActivity({ path, seed: 2 });
    expect(d.train.dt).toBe(0.02);
    expect([d.ids.train.length, d.ids.val.length, d.ids.test.length]).toEqual([3, 1, 1]);
    expect([...d.ids.train, ...d.ids.val, ...d.ids.test].sort()).toEqual(['A01', 'A02', 'A03', 'A04', 'A05']);
    // 96 − 10 + 1 = 87 windows per recording
    expect(d.train.shape).toEqual({ samples: 261, steps: 10, inputDim: 9, targetDim: 3 });
    expect(d.val?.shape.samples).toBe(87);
    expect(d.test.shape.samples).toBe(87);
    expect(d.train.inputNames).toEqual([
      'ankleLeft.x',
      'ankleLeft.y',
      'ankleLeft.z',
      'ankleRight.x',
      'ankleRight.y',
      'ankleRight.z',
      'belt.x',
      'belt.y',
      'belt.z',
    ]);
    expect(d.train.targetNames).toEqual(['chest.x', 'chest.y', 'chest.z']);
    // target mean of chest x over the training recordings' grids, recomputed from the formula
    const qs = d.ids.train.map((id) => Number(id.slice(1)) - 1);
    const xs = qs.flatMap((q) => Array.from({ length: 96 }, (_, k) => pos(q, 2, 0.039 + 0.02 * k)[0]));
    const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / xs.length);
    expect(d.stats.targetMean[0]).toBeCloseTo(mu, 9);
    expect(d.stats.targetStd[0]).toBeCloseTo(sd, 9);
    const qTest = Number(d.ids.test[0].slice(1)) - 1;
    const start = d.test.origins[2 * 5 + 1];
    const t = 0.039 + 0.02 * (start + 3);
    expect(d.test.targets[(5 * 10 + 3) * 3]).toBeCloseTo((pos(qTest, 2, t)[0] - mu) / sd, 5);
  });

  it('same seed, same bytes; the split depends on the seed', () => {
    const a = loadActivity({ path, seed: 2 });
    const b = loadActivity({ path, seed: 2 });
    expect(Buffer.from(a.train.inputs.buffer)).toEqual(Buffer.from(b.train.inputs.buffer));
    const tests = new Set<string>();
    for (let seed = 0; seed < 8; seed++) tests.add(loadActivity({ path, seed }).ids.test[0]);
    expect(tests.size).toBeGreaterThan(1);
  });
});
