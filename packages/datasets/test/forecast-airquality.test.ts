import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AIR_QUALITY_INPUTS,
  AIR_QUALITY_PROTOCOL,
  AIR_QUALITY_TARGETS,
  loadAirQuality,
  loadAirQualityFile,
  parseAirQuality,
  readAirQualityXlsx,
} from '../src/index.js';

const path = join(import.meta.dirname, 'fixtures', 'forecast-airquality', 'AirQualityUCI.csv');
const text = readFileSync(path, 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'sii-aq-'));

// Fixture (scripts/make-fixtures.mjs): 48 hourly rows, every column linear in the hour h, with −200 at
// CO(GT) h=3,4; NOx(GT) h=0; T h=47; PT08.S1(CO) h=20. Linear interpolation of a linear signal is exact;
// the ends are extended with the nearest valid value.
const formula: Record<string, (h: number) => number> = {
  'CO(GT)': (h) => 1 + 0.1 * h,
  'PT08.S1(CO)': (h) => 1000 + 10 * h,
  'C6H6(GT)': (h) => 5 + 0.5 * h,
  'PT08.S2(NMHC)': (h) => 900 + 3 * h,
  'NOx(GT)': (h) => (h === 0 ? 102 : 100 + 2 * h),
  'PT08.S3(NOx)': (h) => 1100 - 4 * h,
  'NO2(GT)': (h) => 80 + h,
  'PT08.S4(NO2)': (h) => 1500 + 5 * h,
  'PT08.S5(O3)': (h) => 1200 - 2 * h,
  T: (h) => 10 + 0.25 * Math.min(h, 46),
  RH: (h) => 50 - 0.5 * h,
  AH: (h) => 0.75 + 0.01 * h,
};

function variant(name: string, edit: (lines: string[]) => string[]): string {
  const p = join(tmp, name);
  writeFileSync(p, edit(text.split('\r\n')).join('\r\n'));
  return p;
}

describe('parseAirQuality', () => {
  it('reads ; separated, comma-decimal rows, fills −200 by linear interpolation', () => {
    const s = parseAirQuality(text);
    expect(s.inputNames).toEqual([...AIR_QUALITY_INPUTS]);
    expect(s.targetNames).toEqual(['CO(GT)', 'C6H6(GT)', 'NOx(GT)', 'NO2(GT)']);
    expect(s.runs.length).toBe(1);
    const run = s.runs[0];
    expect([run.length, run.inputDim, run.targetDim]).toEqual([48, 8, 4]);
    for (let h = 0; h < 48; h++) {
      AIR_QUALITY_INPUTS.forEach((n, j) => {
        expect(run.inputs[h * 8 + j]).toBeCloseTo(formula[n](h), 9);
      });
      AIR_QUALITY_TARGETS.forEach((n, j) => {
        expect(run.targets[h * 4 + j]).toBeCloseTo(formula[n](h), 9);
      });
    }
    expect(run.targets[3 * 4]).toBeCloseTo(1.3, 12);
    // missing per column: inputs S1 1, T 1; targets CO 2, NOx 1
    expect(s.missing).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0]);
    expect(s.runStarts[0]).toBe(Date.UTC(2004, 2, 10, 18));
  });

  it('a gap in the hours starts a new run', () => {
    const p = variant('gap.csv', (l) => [...l.slice(0, 25), ...l.slice(27)]); // drop hours 24, 25
    const s = parseAirQuality(readFileSync(p, 'utf8'));
    expect(s.runs.map((r) => r.length)).toEqual([24, 22]);
    expect(s.runStarts[1]! - s.runStarts[0]!).toBe(26 * 3_600_000);
  });

  it('errors: missing column, unparsable value, short row, bad time order, all-missing column', () => {
    const noCol = variant('nocol.csv', (l) => [l[0].replace('NO2(GT)', 'NO2'), ...l.slice(1)]);
    expect(() => loadAirQuality({ path: noCol })).toThrow(
      /nocol\.csv: target column 'NO2\(GT\)' not found in the header \(line 1\); columns: Date, Time/,
    );
    const badNum = variant('badnum.csv', (l) => l.map((x, i) => (i === 6 ? x.replace(';1,5;', ';1,5x;') : x)));
    expect(() => loadAirQuality({ path: badNum })).toThrow(/badnum\.csv:7: cannot parse '1,5x' as a number in column 'CO\(GT\)'/);
    const hugeNum = variant('hugenum.csv', (l) => l.map((x, i) => (i === 6 ? x.replace(';1,5;', ';1,5e999;') : x)));
    expect(() => loadAirQuality({ path: hugeNum })).toThrow(
      /hugenum\.csv:7: '1,5e999' in column 'CO\(GT\)' is beyond the range of finite numbers/,
    );
    const short = variant('short.csv', (l) => l.map((x, i) => (i === 8 ? x.split(';').slice(0, 6).join(';') : x)));
    expect(() => loadAirQuality({ path: short })).toThrow(/short\.csv:9: row has 6 fields/);
    const order = variant('order.csv', (l) => [l[0], l[2], l[1], ...l.slice(3)]);
    expect(() => loadAirQuality({ path: order })).toThrow(/order\.csv:3: timestamp 10\/03\/2004 18\.00\.00 is not after/);
    const badDate = variant('date.csv', (l) => l.map((x, i) => (i === 4 ? x.replace('10/03/2004', '2004-03-10') : x)));
    expect(() => loadAirQuality({ path: badDate })).toThrow(/date\.csv:5: cannot parse date '2004-03-10'/);
    expect(() => parseAirQuality(text, { targetColumns: ['NMHC(GT)'] })).toThrow(
      /column 'NMHC\(GT\)' has only missing values \(-200\) in the run of lines 2–49/,
    );
    expect(() => loadAirQuality({ path: join(tmp, 'absent.csv') })).toThrow(/air quality: cannot read .*absent\.csv/);
    expect(() => loadAirQuality({ path, segmentLength: 10, window: 11 })).toThrow(/window \(11\) must not exceed segmentLength \(10\)/);
    expect(() => loadAirQuality({ path, segmentLength: 100, window: 10 })).toThrow(/no contiguous run is as long as segmentLength 100/);
  });
});

describe('loadAirQuality', () => {
  const opts = { path, segmentLength: 12, window: 6, stride: 2, testFraction: 0.25, seed: 1, protocol: 'seeded' as const };

  it('segments, split, windows and training-only standardization', () => {
    const d = loadAirQuality(opts);
    expect(d.segmentIndices.test.length).toBe(1);
    expect(d.segmentIndices.train.length).toBe(3);
    expect(d.val).toBeUndefined();
    // 4 windows (starts 0, 2, 4, 6) per 12-step segment
    expect(d.train.shape).toEqual({ samples: 12, steps: 6, inputDim: 8, targetDim: 4 });
    expect(d.test.shape).toEqual({ samples: 4, steps: 6, inputDim: 8, targetDim: 4 });
    expect(d.train.dt).toBe(1);
    // statistics from the training hours only, recomputed from the formulas
    const hours = Array.from(d.segmentIndices.train).flatMap((s) => Array.from({ length: 12 }, (_, k) => 12 * s + k));
    const names = [...AIR_QUALITY_INPUTS, ...AIR_QUALITY_TARGETS];
    const mean = new Map<string, number>();
    const std = new Map<string, number>();
    for (const n of names) {
      const v = hours.map((h) => formula[n](h));
      const mu = v.reduce((a, b) => a + b, 0) / v.length;
      mean.set(n, mu);
      std.set(n, Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length));
    }
    AIR_QUALITY_INPUTS.forEach((n, j) => {
      expect(d.stats.inputMean[j]).toBeCloseTo(mean.get(n)!, 9);
      expect(d.stats.inputStd[j]).toBeCloseTo(std.get(n)!, 9);
    });
    // every test value equals (raw − train mean) / train std
    for (let k = 0; k < d.test.shape.samples; k++) {
      const seg = d.segmentIndices.test[d.test.origins[2 * k]];
      const start = d.test.origins[2 * k + 1];
      for (let t = 0; t < 6; t++) {
        const h = 12 * seg + start + t;
        AIR_QUALITY_TARGETS.forEach((n, j) => {
          const expected = (formula[n](h) - mean.get(n)!) / std.get(n)!;
          expect(d.test.targets[(k * 6 + t) * 4 + j]).toBeCloseTo(expected, 5);
        });
      }
    }
  });

  it('the same seed reproduces the bytes; other seeds move the test segment', () => {
    const a = loadAirQuality(opts);
    const b = loadAirQuality(opts);
    expect(Buffer.from(a.train.inputs.buffer)).toEqual(Buffer.from(b.train.inputs.buffer));
    expect(Buffer.from(a.test.targets.buffer)).toEqual(Buffer.from(b.test.targets.buffer));
    const tests = new Set<number>();
    for (let seed = 0; seed < 8; seed++) tests.add(loadAirQuality({ ...opts, seed }).segmentIndices.test[0]);
    expect(tests.size).toBeGreaterThan(1);
  });
});

describe('air quality from the .xlsx workbook (the authors’ file) and their protocol', () => {
  // The workbook is written with the same library that reads it: the CSV fixture's rows as numbers,
  // Date and Time as the UCI file has them, and a blank trailing row.
  async function writeXlsx(name: string, edit?: (rows: (string | number | Date)[][]) => void): Promise<string> {
    const ExcelJS = (await import('exceljs')).default;
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('AirQualityUCI');
    const table = text.split('\r\n').filter((l) => l.replace(/;/g, '').trim() !== '');
    const header = table[0].split(';').filter((h) => h !== '');
    const rows: (string | number | Date)[][] = [header];
    for (const line of table.slice(1)) {
      const f = line.split(';').slice(0, header.length);
      const [d, m, y] = f[0].split('/').map(Number);
      rows.push([new Date(Date.UTC(y, m - 1, d)), f[1].replace(/\./g, ':'), ...f.slice(2).map((v) => Number(v.replace(',', '.')))]);
    }
    edit?.(rows);
    for (const r of rows) ws.addRow(r);
    ws.addRow([]);
    const p = join(tmp, name);
    await wb.xlsx.writeFile(p);
    return p;
  }

  it('reads the same series as the CSV (−200 interpolated, NMHC(GT) not used)', async () => {
    const xlsx = await writeXlsx('AirQualityUCI.xlsx');
    const opts = { segmentLength: 12, window: 6, trainStride: 2, testStride: 1 };
    const a = await loadAirQualityFile({ path: xlsx, ...opts });
    const b = loadAirQuality({ path, ...opts });
    expect(a.missing).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0]);
    expect(Array.from(a.train.inputs)).toEqual(Array.from(b.train.inputs));
    expect(Array.from(a.test.targets)).toEqual(Array.from(b.test.targets));
    const s = await readAirQualityXlsx(xlsx);
    expect(s.runs[0].targets[3 * 4]).toBeCloseTo(1.3, 12);
    // the start of the run from the first row's Date and Time cells, as the CSV gives it
    expect(s.runStarts).toEqual([Date.UTC(2004, 2, 10, 18)]);
  });

  it('defaults: segments 800, windows 100, training stride 10, test stride 1, split as train_test_split(42)', () => {
    expect(AIR_QUALITY_PROTOCOL).toEqual({ segmentLength: 800, window: 100, trainStride: 10, testStride: 1 });
    // 48 rows → 4 segments of 12; numpy permutation(4, 42) = [1, 3, 0, 2] → test [1], train [3, 0, 2]
    const d = loadAirQuality({ path, segmentLength: 12, window: 2 });
    expect(Array.from(d.segmentIndices.test)).toEqual([1]);
    expect(Array.from(d.segmentIndices.train)).toEqual([3, 0, 2]);
    // training starts 0, 10 (2 per segment); test starts 0..10 (11)
    expect([d.train.shape.samples, d.test.shape.samples]).toEqual([6, 11]);
    expect(Array.from(d.train.origins)).toEqual([0, 0, 0, 10, 1, 0, 1, 10, 2, 0, 2, 10]);
    expect(() => loadAirQuality({ path })).toThrow(/no contiguous run is as long as segmentLength 800/);
  });

  it('bad workbooks fail with the file and the cell named', async () => {
    const noCol = await writeXlsx('nocol.xlsx', (rows) => {
      rows[0][rows[0].indexOf('NO2(GT)')] = 'NO2';
    });
    await expect(loadAirQualityFile({ path: noCol })).rejects.toThrow(
      /nocol\.xlsx: target column 'NO2\(GT\)' not found in the header \(row 1\)/,
    );
    const badCell = await writeXlsx('badcell.xlsx', (rows) => {
      rows[5][rows[0].indexOf('CO(GT)')] = 'n/a';
    });
    await expect(loadAirQualityFile({ path: badCell })).rejects.toThrow(
      /badcell\.xlsx: row 6, column 'CO\(GT\)': cannot read 'n\/a' as a number/,
    );
    const hugeCell = await writeXlsx('hugecell.xlsx', (rows) => {
      rows[5][rows[0].indexOf('CO(GT)')] = '1e999';
    });
    await expect(loadAirQualityFile({ path: hugeCell })).rejects.toThrow(
      /hugecell\.xlsx: row 6, column 'CO\(GT\)': '1e999' is beyond the range of finite numbers/,
    );
    const notXlsx = join(tmp, 'broken.xlsx');
    writeFileSync(notXlsx, 'not a zip');
    await expect(loadAirQualityFile({ path: notXlsx })).rejects.toThrow(/cannot read .*broken\.xlsx as an \.xlsx workbook/);
    await expect(loadAirQualityFile({ path: join(tmp, 'data.json') })).rejects.toThrow(/must be AirQualityUCI\.xlsx or AirQualityUCI\.csv/);
    expect(() => loadAirQuality({ path: noCol })).toThrow(/use loadAirQualityFile/);
  });
});
