import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINE_INPUTS, ENGINE_TARGETS, loadEngine, parseEngine } from '../src/index.js';

const path = join(import.meta.dirname, 'fixtures', 'forecast-engine', 'wltp_NF.csv');
const text = readFileSync(path, 'utf8');
const header = text.split('\n')[0].split(',');
const tmp = mkdtempSync(join(tmpdir(), 'sii-engine-'));

// Fixture (scripts/make-fixtures.mjs): 250 rows; column s (index in the header, s ≥ 1) of row i holds
// s·100 + sin(0.1 i + s), printed with 12 significant digits.
const value = (name: string, i: number) => {
  const s = header.indexOf(name);
  return s * 100 + Math.sin(0.1 * i + s);
};

function write(name: string, content: string): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('engine CSV finiteness', () => {
  it('1e999, -1e999 and NaN in a numeric column are errors naming the file, line and column', () => {
    const lines = text.split('\n');
    const col = header.indexOf('ambient_pressure');
    const withCell = (bad: string) => {
      const copy = [...lines];
      const f = copy[4].split(',');
      f[col] = bad;
      copy[4] = f.join(',');
      return copy.join('\n');
    };
    for (const bad of ['1e999', '-1E+400']) {
      expect(() => parseEngine(withCell(bad), { file: 'e.csv' })).toThrow(
        `e.csv:5: '${bad}' in column 'ambient_pressure' is beyond the range of finite numbers`,
      );
    }
    for (const bad of ['NaN', 'Infinity', '0x10']) {
      expect(() => parseEngine(withCell(bad), { file: 'e.csv' })).toThrow(
        `e.csv:5: cannot parse '${bad}' as a number in column 'ambient_pressure'`,
      );
    }
  });
});

describe('parseEngine', () => {
  it('reads the default 7 inputs and the intercooler pressure by column name', () => {
    const { series, inputNames, targetNames } = parseEngine(text);
    expect(inputNames).toEqual([...ENGINE_INPUTS]);
    expect(targetNames).toEqual([...ENGINE_TARGETS]);
    expect([series.length, series.inputDim, series.targetDim]).toEqual([250, 7, 1]);
    for (const i of [0, 17, 249]) {
      ENGINE_INPUTS.forEach((n, j) => {
        expect(series.inputs[i * 7 + j]).toBeCloseTo(value(n, i), 8);
      });
      expect(series.targets[i]).toBeCloseTo(value('Intercooler_pressure', i), 8);
    }
  });

  it('column names are configurable and matched case-insensitively', () => {
    const { series } = parseEngine(text, { inputColumns: ['ENGINE_SPEED', 'time'], targetColumns: ['intercooler_temperature'] });
    expect(series.inputs[2 * 10]).toBeCloseTo(value('engine_speed', 10), 8);
    expect(series.inputs[2 * 10 + 1]).toBeCloseTo(0.5, 12);
    expect(series.targets[10]).toBeCloseTo(value('intercooler_temperature', 10), 8);
    const semi = write('semi.csv', text.replaceAll(',', ';'));
    expect(loadEngine({ path: semi, separator: ';', segmentLength: 50, window: 50 }).train.shape.inputDim).toBe(7);
  });

  it('errors: missing column, unparsable value, short row, too little data', () => {
    expect(() => parseEngine(text, { targetColumns: ['boost_pressure'], file: 'e.csv' })).toThrow(
      /e\.csv: target column 'boost_pressure' not found in the header \(line 1\); columns: time, Intercooler_pressure, /,
    );
    const lines = text.split('\n');
    lines[7] = lines[7].replace(/,[^,]+$/, ',n/a');
    expect(() => parseEngine(lines.join('\n'), { file: 'e.csv' })).toThrow(
      /e\.csv:8: cannot parse 'n\/a' as a number in column 'ambient_pressure'/,
    );
    const short = text.split('\n');
    short[3] = short[3].split(',').slice(0, 4).join(',');
    expect(() => parseEngine(short.join('\n'), { file: 'e.csv' })).toThrow(/e\.csv:4: row has 4 fields, column 'air_mass_flow' is field 5/);
    expect(() => parseEngine('', { file: 'e.csv' })).toThrow(/e\.csv: no header row/);
    expect(() => parseEngine(`${lines[0]}\n`, { file: 'e.csv' })).toThrow(/e\.csv: no data rows/);
    expect(() => loadEngine({ path, segmentLength: 300, window: 100 })).toThrow(/250 rows are fewer than one segment of 300/);
    expect(() => loadEngine({ path })).toThrow(/window \(400\) must not exceed segmentLength \(800\)|fewer than one segment of 800/);
    expect(() => parseEngine(text, { inputColumns: [] })).toThrow(/must not be empty/);
  });
});

describe('loadEngine', () => {
  const opts = { path, segmentLength: 50, window: 20, stride: 5, seed: 4, protocol: 'seeded' as const };

  it('segments, seeded 80/20 split, windows and training-only standardization', () => {
    const d = loadEngine(opts);
    expect(d.train.dt).toBe(0.05);
    expect([d.segmentIndices.train.length, d.segmentIndices.test.length]).toEqual([4, 1]);
    // floor((50 − 20)/5) + 1 = 7 windows per segment
    expect(d.train.shape).toEqual({ samples: 28, steps: 20, inputDim: 7, targetDim: 1 });
    expect(d.test.shape.samples).toBe(7);
    const rows = Array.from(d.segmentIndices.train).flatMap((s) => Array.from({ length: 50 }, (_, k) => 50 * s + k));
    const v = rows.map((i) => value('Intercooler_pressure', i));
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length);
    expect(d.stats.targetMean[0]).toBeCloseTo(mu, 8);
    expect(d.stats.targetStd[0]).toBeCloseTo(sd, 8);
    const k = 3;
    const seg = d.segmentIndices.test[d.test.origins[2 * k]];
    const row = 50 * seg + d.test.origins[2 * k + 1] + 7;
    expect(d.test.targets[k * 20 + 7]).toBeCloseTo((value('Intercooler_pressure', row) - mu) / sd, 4);
  });

  it('same seed, same bytes', () => {
    const a = loadEngine(opts);
    const b = loadEngine(opts);
    expect(Buffer.from(a.train.inputs.buffer)).toEqual(Buffer.from(b.train.inputs.buffer));
    expect(Buffer.from(a.test.targets.buffer)).toEqual(Buffer.from(b.test.targets.buffer));
    expect(loadEngine({ ...opts, standardize: false }).test.targets[0]).toBeCloseTo(
      value('Intercooler_pressure', 50 * a.segmentIndices.test[0]),
      4,
    );
  });
});

describe("loadEngine, the authors' protocol (default)", () => {
  it('segments split as train_test_split(random_state 42), statistics over the stacked training windows', () => {
    // 250 rows → 5 segments of 50; numpy RandomState(42).permutation(5) = [1, 4, 2, 0, 3] → test [1]
    const d = loadEngine({ path, segmentLength: 50, window: 20 });
    expect(Array.from(d.segmentIndices.test)).toEqual([1]);
    expect(Array.from(d.segmentIndices.train)).toEqual([4, 2, 0, 3]);
    expect(d.val).toBeUndefined();
    // stride 1 on both splits: 31 windows per segment
    expect([d.train.shape.samples, d.test.shape.samples]).toEqual([124, 31]);
    // np.vstack(train windows): every window's rows, repeated as often as windows overlap them
    const stacked: number[] = [];
    for (const s of [4, 2, 0, 3])
      for (let start = 0; start <= 30; start++)
        for (let k = 0; k < 20; k++) stacked.push(value('Intercooler_pressure', 50 * s + start + k));
    const mu = stacked.reduce((a, b) => a + b, 0) / stacked.length;
    const sd = Math.sqrt(stacked.reduce((a, b) => a + (b - mu) ** 2, 0) / stacked.length);
    expect(d.stats.targetMean[0]).toBeCloseTo(mu, 9);
    expect(d.stats.targetStd[0]).toBeCloseTo(sd, 9);
    // the segment statistics differ (the middle of a segment counts more often in the windows)
    const seeded = loadEngine({ path, segmentLength: 50, window: 20, protocol: 'seeded', seed: 4 });
    expect(Math.abs(seeded.stats.targetStd[0] - sd)).toBeGreaterThan(1e-4);
    // test window k, step t holds (raw − mean) / std of segment 1
    expect(d.test.targets[5 * 20 + 3]).toBeCloseTo((value('Intercooler_pressure', 50 + 5 + 3) - mu) / sd, 4);
    expect(() => loadEngine({ path, segmentLength: 50, window: 20, valFraction: 0.2 })).toThrow(
      /valFraction must be 0 with protocol 'authors'.*got 0\.2/,
    );
  });
});
