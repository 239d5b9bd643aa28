// Writes the small test fixtures under test/fixtures/ in the data sets' original file formats.
// The bytes are assembled here by hand (Buffer + node:zlib), independently of src/, from simple
// formulas that the tests recompute. Run: node scripts/make-fixtures.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures');

// ---------- IDX (Fashion-MNIST layout): pixel(i, r, c) = (7i + 3r + c) % 256, label(i) = (3i + 1) % 10
function idxImages(n) {
  const b = Buffer.alloc(16 + n * 784);
  b.writeUInt32BE(0x00000803, 0);
  b.writeUInt32BE(n, 4);
  b.writeUInt32BE(28, 8);
  b.writeUInt32BE(28, 12);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) b[16 + i * 784 + r * 28 + c] = (7 * i + 3 * r + c) % 256;
  return b;
}
function idxLabels(n) {
  const b = Buffer.alloc(8 + n);
  b.writeUInt32BE(0x00000801, 0);
  b.writeUInt32BE(n, 4);
  for (let i = 0; i < n; i++) b[8 + i] = (3 * i + 1) % 10;
  return b;
}
const fashion = join(root, 'pixel-fashion');
mkdirSync(fashion, { recursive: true });
// train gzipped (as Debian ships it), test plain
writeFileSync(join(fashion, 'train-images-idx3-ubyte.gz'), gzipSync(idxImages(30)));
writeFileSync(join(fashion, 'train-labels-idx1-ubyte.gz'), gzipSync(idxLabels(30)));
writeFileSync(join(fashion, 't10k-images-idx3-ubyte'), idxImages(10));
writeFileSync(join(fashion, 't10k-labels-idx1-ubyte'), idxLabels(10));

// ---------- CIFAR-10 binary: record k (global index over the files) has label k % 10 and
// byte(channel ch, row r, col c) = (11k + 5ch + 3r + 2c) % 256
const cifar = join(root, 'pixel-cifar10');
mkdirSync(cifar, { recursive: true });
let k = 0;
function cifarBatch(n) {
  const b = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++, k++) {
    const o = i * 3073;
    b[o] = k % 10;
    for (let ch = 0; ch < 3; ch++)
      for (let r = 0; r < 32; r++) for (let c = 0; c < 32; c++) b[o + 1 + ch * 1024 + r * 32 + c] = (11 * k + 5 * ch + 3 * r + 2 * c) % 256;
  }
  return b;
}
for (let f = 1; f <= 5; f++) writeFileSync(join(cifar, `data_batch_${f}.bin`), cifarBatch(2));
writeFileSync(join(cifar, 'test_batch.bin'), cifarBatch(3));

// ---------- UCI Air Quality CSV (';' separator, ',' decimals, -200 missing, CRLF, trailing ';;').
// Hour h from 10/03/2004 18:00:00. Column values are linear in h so that linear interpolation is exact.
const aq = join(root, 'forecast-airquality');
mkdirSync(aq, { recursive: true });
const header = 'Date;Time;CO(GT);PT08.S1(CO);NMHC(GT);C6H6(GT);PT08.S2(NMHC);NOx(GT);PT08.S3(NOx);NO2(GT);PT08.S4(NO2);PT08.S5(O3);T;RH;AH;;';
const fmt = (v) => String(v).replace('.', ',');
const lines = [header];
const start = Date.UTC(2004, 2, 10, 18, 0, 0);
const missing = new Set(['3:CO(GT)', '4:CO(GT)', '0:NOx(GT)', '47:T', '20:PT08.S1(CO)']);
for (let h = 0; h < 48; h++) {
  const d = new Date(start + h * 3600_000);
  const date = `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
  const time = `${String(d.getUTCHours()).padStart(2, '0')}.00.00`;
  const v = {
    'CO(GT)': 1 + 0.1 * h,
    'PT08.S1(CO)': 1000 + 10 * h,
    'NMHC(GT)': -200,
    'C6H6(GT)': 5 + 0.5 * h,
    'PT08.S2(NMHC)': 900 + 3 * h,
    'NOx(GT)': 100 + 2 * h,
    'PT08.S3(NOx)': 1100 - 4 * h,
    'NO2(GT)': 80 + h,
    'PT08.S4(NO2)': 1500 + 5 * h,
    'PT08.S5(O3)': 1200 - 2 * h,
    T: 10 + 0.25 * h,
    RH: 50 - 0.5 * h,
    AH: 0.75 + 0.01 * h,
  };
  const cells = header.split(';').slice(2, 15).map((name) => (missing.has(`${h}:${name}`) ? '-200' : fmt(Math.round(v[name] * 1e6) / 1e6)));
  lines.push(`${date};${time};${cells.join(';')};;`);
}
lines.push(';;;;;;;;;;;;;;;;', ';;;;;;;;;;;;;;;;', '');
writeFileSync(join(aq, 'AirQualityUCI.csv'), lines.join('\r\n'));

// ---------- UCI person activity: recordings A01..A05 (+ B01 without a chest tag).
// Tag j (0 ankle left, 1 ankle right, 2 chest, 3 belt) of recording q at time t seconds (from the
// recording's base tick) is at x = q + j + 0.5 t, y = 2j − 0.25 t, z = 0.1 j + 0.01 q t (linear, so
// linear interpolation onto any grid is exact). Tag j samples every 0.05 s starting at 0.013 j s.
const act = join(root, 'forecast-activity');
mkdirSync(act, { recursive: true });
const tags = ['010-000-024-033', '010-000-030-096', '020-000-033-111', '020-000-032-221'];
const base = 633790226051280329n;
const rows = [];
const recs = ['A01', 'A02', 'A03', 'A04', 'A05', 'B01'];
recs.forEach((rec, q) => {
  const recBase = base + BigInt(q) * 100_000_000_000n;
  for (let s = 0; s < 40; s++) {
    tags.forEach((tag, j) => {
      if (rec === 'B01' && j === 2) return;
      const ticks = recBase + BigInt(130_000 * j + 500_000 * s); // 100 ns ticks
      const t = Number(BigInt(130_000 * j + 500_000 * s)) * 1e-7;
      const x = q + j + 0.5 * t;
      const y = 2 * j - 0.25 * t;
      const z = 0.1 * j + 0.01 * q * t;
      rows.push(`${rec},${tag},${ticks},27.05.2009 14:03:25:127,${x},${y},${z},walking`);
    });
  }
});
writeFileSync(join(act, 'ConfLongDemo_JSI.txt'), `${rows.join('\n')}\n`);

// ---------- LiU-ICE engine CSV: header of named signals; row i: signal s = s_index·100 + sin(0.1 i + s_index)
const eng = join(root, 'forecast-engine');
mkdirSync(eng, { recursive: true });
const cols = [
  'time',
  'Intercooler_pressure',
  'intercooler_temperature',
  'intake_manifold_pressure',
  'air_mass_flow',
  'engine_speed',
  'throttle_position',
  'wastegate_position',
  'injected_fuel_mass',
  'ambient_temperature',
  'ambient_pressure',
];
const engRows = [cols.join(',')];
for (let i = 0; i < 250; i++) {
  engRows.push(cols.map((_, s) => (s === 0 ? (0.05 * i).toFixed(2) : (s * 100 + Math.sin(0.1 * i + s)).toPrecision(12))).join(','));
}
writeFileSync(join(eng, 'wltp_NF.csv'), `${engRows.join('\n')}\n`);
console.log('fixtures written to', root);
