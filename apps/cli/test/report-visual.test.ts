/**
 * The quickstart report in Chromium: a tiny `sii quickstart` run (built CLI under node), opened from
 * a copy of its folder moved elsewhere. Checks from the DOM: the "what this shows" paragraph, every
 * link resolves to a file of the moved folder (relative links), no tick label with more than 6
 * significant digits, no two text labels overlapping, integer ticks on the histogram's count axis.
 * Saves docs/screenshots/quickstart-report.png.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkTexts, CHROMIUM_ARGS, ensureChromium } from '@sii/vitest-preset/visual';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDir, bin } from './helpers/cli.js';

const SHOTS = join(appDir, 'docs', 'screenshots');
let tmp: string;
let browser: Browser;
let page: Page;
let moved: string;

beforeAll(async () => {
  if (!existsSync(bin) || !existsSync(join(appDir, 'dist', 'train', 'worker.js'))) {
    execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@sii/cli...', '--output-logs=errors-only'], {
      cwd: join(appDir, '..', '..'),
      stdio: 'inherit',
    });
  }
  tmp = mkdtempSync(join(tmpdir(), 'sii-report-'));
  const args = [
    'quickstart',
    '--setting',
    'incl',
    '--teachers',
    '3',
    '--epochs',
    '3',
    '--samples',
    '60',
    '--hidden',
    '8',
    '--progress',
    'off',
    '--out',
    join(tmp, 'out'),
  ];
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  expect(r.status, r.stderr).toBe(0);
  const [run] = readdirSync(join(tmp, 'out')).filter((d) => d.startsWith('quickstart-'));
  // Move the run folder (as after unzipping elsewhere): the links must not depend on where it was made.
  moved = join(tmp, 'elsewhere', 'my run');
  mkdirSync(dirname(moved), { recursive: true });
  cpSync(join(tmp, 'out', run), moved, { recursive: true });
  rmSync(join(tmp, 'out'), { recursive: true, force: true });
  browser = await chromium.launch({ executablePath: ensureChromium(), headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1150, height: 900 }, deviceScaleFactor: 1 });
  page.setDefaultTimeout(180_000);
  await page.goto(pathToFileURL(join(moved, 'report.html')).href);
}, 900_000);

afterAll(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('quickstart report in Chromium', () => {
  it('opens with a reading of the numbers and the next command', async () => {
    const first = await page.locator('section').first();
    expect(await first.getAttribute('id')).toBe('what-this-shows');
    const text = (await first.textContent())!;
    expect(text).toMatch(/Over 3 teachers \(incl, 3 epochs\)/);
    expect(text).toMatch(/SII's median validation loss is (lower|higher) than the baseline's in epoch|curves cross/);
    expect(text).toMatch(/Wilcoxon signed-rank test on the paired minima \(both arms on the same teachers\): p = [\d.]+/);
    // three pairs cannot reach p < 0.05 with a two-sided exact signed-rank test (minimum p = 2/8)
    expect(text).toContain('no evidence either way');
    expect(text).toContain('sii reproduce');
  });

  it('links every file it names, relative to the report, and every link resolves in the moved folder', async () => {
    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    expect(hrefs.length).toBeGreaterThan(20);
    for (const h of hrefs) {
      expect(h, 'relative link').not.toMatch(/^(\/|[a-z]+:)/i);
      expect(existsSync(join(moved, decodeURIComponent(h))), h).toBe(true);
    }
    // every figure caption links its SVG; the sub-runs' reports are linked
    const captions = await page.locator('figcaption').count();
    expect(await page.locator('figcaption a[href$=".svg"]').count()).toBe(captions);
    expect(new Set(hrefs.filter((h) => /^runs\/[^/]+\/report\.html$/.test(h))).size).toBe(3);
  });

  it('has clean ticks (integer counts on the histogram) and no overlapping text; saves a screenshot', async () => {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'quickstart-report.png'), fullPage: true });
    const check = await checkTexts(page, 'body');
    expect(check.ticks).toBeGreaterThan(50);
    expect(check.noisyTicks).toEqual([]);
    expect(check.overlaps).toEqual([]);
    const histTicks = await page
      .locator('figure[id="min-val-loss-histogram.svg"] .role-axis')
      .filter({ hasText: 'teachers' })
      .locator('.role-axis-label text')
      .allTextContents();
    expect(histTicks.length).toBeGreaterThan(1);
    for (const t of histTicks) expect(Number.isInteger(Number(t)), t).toBe(true);
  });
});
