// End-to-end: build (if stale), serve dist/ on localhost, drive Debian's chromium headless through
// playwright-core, and check the three panels: regions render and the |R| read-out and largest
// stable step match theory; SII eigenvalues coincide with the sampled poles; both students' losses
// fall during in-browser training on the WASM backend. Visual checks read from the DOM (no tick label
// with more than 6 significant digits, no two text labels overlapping) on every panel before and
// after training. Saves docs/screenshot.png and docs/screenshots/<panel>-<before|after>.png.
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseComplexList } from '../src/complex-input.js';
import {
  APP_DIR,
  CHROMIUM_ARGS,
  checkTexts,
  DIST_DIR,
  ensureBuilt,
  ensureChromium,
  freshUserDataDir,
  polyAbs,
  serveStatic,
} from './support.js';

let context: BrowserContext;
let page: Page;
let server: Server;
let baseUrl: string;
let requests: string[];
let userDataDir: string;
const pageErrors: string[] = [];
const external: string[] = [];

beforeAll(async () => {
  const executablePath = ensureChromium();
  ensureBuilt();
  ({ server, url: baseUrl, requests } = await serveStatic(DIST_DIR));
  userDataDir = freshUserDataDir();
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 900 },
    deviceScaleFactor: 1,
  });
  // Offline: any request that leaves the local server is recorded and refused.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(baseUrl) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  page = context.pages()[0] ?? (await context.newPage());
  // A loaded machine (CI beside other jobs) can take far longer than playwright's 30 s default to
  // enable a button or compile the wasm kernels; every wait states the time it may take instead.
  page.setDefaultTimeout(180_000);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(baseUrl);
  await page.waitForSelector('body[data-ready="true"]');
});

afterAll(async () => {
  await context?.close();
  await new Promise((ok) => server?.close(ok));
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

const data = (selector: string, name: string) => page.getAttribute(selector, `data-${name}`);

const SHOTS = join(APP_DIR, 'docs', 'screenshots');
const PANELS = ['explorer', 'initializer', 'training'] as const;

/** Screenshot every panel and check its text labels (digits of tick labels, overlaps). */
async function checkPanels(stage: 'before' | 'after'): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  for (const panel of PANELS) {
    await page.locator(`#${panel}`).screenshot({ path: join(SHOTS, `${panel}-${stage}.png`) });
    const check = await checkTexts(page, `#${panel}`);
    expect(check.ticks, `${panel}: tick labels found`).toBeGreaterThan(4);
    expect(check.noisyTicks, `${panel} ${stage}: tick labels with more than 6 significant digits`).toEqual([]);
    expect(check.overlaps, `${panel} ${stage}: overlapping text labels`).toEqual([]);
  }
}

describe('stability explorer', () => {
  it('renders the regions of the default methods', async () => {
    await page.waitForSelector('#explorer[data-state="ready"]');
    const methods = (await data('#explorer', 'methods'))!.split(',');
    expect(methods).toEqual(expect.arrayContaining(['euler', 'midpoint', 'kutta3', 'rk4', 'dopri5']));
    expect(Number(await data('#explorer', 'filled-cells'))).toBeGreaterThan(1000);
    expect(Number(await data('#explorer', 'boundary-polylines'))).toBeGreaterThanOrEqual(methods.length);
    expect(await page.locator('#explorer svg polyline[data-method="euler"]').count()).toBeGreaterThan(0);
  });

  it('reads |R(z)| under the pointer (RK4: the degree-4 Taylor polynomial)', async () => {
    const box = (await page.locator('#explorer .plane svg').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.4);
    const [re, im] = (await data('#explorer .readout', 'z'))!.split(',').map(Number) as [number, number];
    const shown = Number(await data('#explorer .readout', 'abs'));
    expect(shown).toBeCloseTo(polyAbs([1, 1, 1 / 2, 1 / 6, 1 / 24], re, im), 10);
  });

  it('gives Euler’s largest stable step for λ = −5 ± 20i and −25: 10/425', async () => {
    // |1 + hλ| ≤ 1 for λ = −5 ± 20i ⇔ h ≤ 2·5/(5² + 20²) = 10/425; the real pole allows 2/25.
    expect(Number(await data('#explorer tr[data-method="euler"]', 'max-step'))).toBeCloseTo(10 / 425, 6);
    // At h = 0.1 Euler leaves all three poles outside; RK4 keeps the pair (|R| < 1) and −2.5 (< 2.785).
    expect(Number(await data('#explorer tr[data-method="euler"]', 'unstable'))).toBe(3);
    expect(Number(await data('#explorer tr[data-method="rk4"]', 'unstable'))).toBe(0);
  });

  it('adds a pole where the plane is clicked', async () => {
    const before = Number(await data('#explorer', 'poles'));
    const box = (await page.locator('#explorer .plane svg').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.3);
    expect(Number(await data('#explorer', 'poles'))).toBe(before + 2); // a complex pole and its conjugate
  });
  it('drags a pole along the real axis and fits h to the largest stable step', async () => {
    const marker = page.locator('#explorer .pole[data-index="1"]');
    const b = (await marker.boundingBox())!;
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2 - 20, b.y + b.height / 2, { steps: 4 });
    await page.mouse.move(b.x + b.width / 2 - 40, b.y + b.height / 2, { steps: 4 });
    await page.mouse.up();
    const moved = parseComplexList(await page.inputValue('#explorer-poles'))[1]!;
    expect(moved.re).toBeLessThan(-25);
    expect(moved.im).toBe(0); // snapped to the real axis
    await page.click('#explorer-fit-h');
    const hmax = Number(await data('#explorer tr[data-method="rk4"]', 'max-step'));
    expect(Number(await page.inputValue('#explorer-h'))).toBeCloseTo(0.999 * hmax, 3);
    // At that step every pole is inside RK4's region.
    expect(Number(await data('#explorer tr[data-method="rk4"]', 'unstable'))).toBe(0);
  });
});

describe('initializer', () => {
  const sample = async () => {
    await page.evaluate(() => {
      document.getElementById('initializer')!.dataset.state = '';
    });
    await page.click('#sample-poles');
    await page.waitForSelector('#initializer[data-state="sampled"]');
  };

  it('puts the Jacobian eigenvalues of the SII network on the sampled poles (ELU, default: no compensation)', async () => {
    await sample();
    const n = Number(await page.inputValue('#init-states'));
    expect(Number(await data('#initializer', 'poles'))).toBe(n);
    expect(await data('#initializer', 'compensation')).toBe('none');
    expect(Number(await data('#initializer', 'pole-scale'))).toBe(1);
    // the ±1e-4 biases move ELU's slope off 1 by ~1e-4 (the authors' code does the same)
    expect(Number(await data('#initializer', 'max-mismatch'))).toBeLessThan(1e-3);
    expect(Number(await data('#initializer', 'sii-inside'))).toBe(n);
    expect(await page.locator('#initializer .sii-eig').count()).toBe(n);
    expect(await page.locator('#initializer .base-eig').count()).toBe(n);
    await page.check('#init-compensation-exact');
    await sample();
    expect(Number(await data('#initializer', 'max-mismatch'))).toBeLessThan(1e-6);
  });

  it('offers the three compensations; with SiLU, L = 3 the eigenvalues are λ/4 (none), 0.207·λ (max), λ (exact)', async () => {
    expect(await page.locator('#init-compensation input[type="radio"]').count()).toBe(3);
    expect(await page.locator('#init-compensation').textContent()).toContain('1e6–1e10');
    await page.fill('#init-layers', '3');
    await page.selectOption('#init-activation', 'silu');
    const cases: [string, number, number][] = [
      ['none', 0.25, 1e-3],
      ['max', (0.5 / 1.0998393201288668) ** 2, 1e-3],
      ['exact', 1, 1e-6],
    ];
    for (const [mode, scale, tol] of cases) {
      await page.check(`#init-compensation-${mode}`);
      await sample();
      expect(await data('#initializer', 'compensation')).toBe(mode);
      expect(Number(await data('#initializer', 'pole-scale'))).toBeCloseTo(scale, 10);
      expect(Number(await data('#initializer', 'max-mismatch')), mode).toBeLessThan(tol);
    }
    await page.selectOption('#init-activation', 'elu');
    await page.check('#init-compensation-none');
    await sample();
    expect(await data('#initializer', 'compensation')).toBe('none');
  });
});

describe('visual checks', () => {
  it('the checker flags floating-point noise and overlapping labels (and passes a clean plot)', async () => {
    const probe = await context.newPage();
    try {
      await probe.setContent(
        '<div id="bad"><svg width="300" height="100"><text class="tick" x="10" y="20">0.6000000000000001</text>' +
          '<text x="12" y="22">3i</text><text x="200" y="60">Im hλ</text></svg></div>' +
          '<div id="good"><svg width="300" height="100"><text class="tick" x="10" y="20">0.6</text><text x="100" y="60">Im hλ</text></svg></div>',
      );
      const bad = await checkTexts(probe, '#bad');
      expect(bad.noisyTicks).toEqual(['0.6000000000000001']);
      expect(bad.overlaps).toEqual(['"0.6000000000000001" × "3i"']);
      const good = await checkTexts(probe, '#good');
      expect(good).toMatchObject({ texts: 2, ticks: 1, noisyTicks: [], overlaps: [] });
    } finally {
      await probe.close();
    }
  });

  it('before training: every panel has clean ticks and no overlapping labels; the baseline inset shows its eigenvalues', async () => {
    await page.evaluate(() => {
      document.getElementById('initializer')!.dataset.state = '';
    });
    await page.click('#sample-poles');
    await page.waitForSelector('#initializer[data-state="sampled"]');
    // The zoomed inset is sized to the baseline eigenvalues: all of them inside its frame, and the
    // largest |h·λ| fills at least half of the half-width (1.25 × max |coordinate|).
    const half = Number(await data('#initializer', 'zoom-half-width'));
    const inset = (await page.locator('#initializer .plane.zoom svg').boundingBox())!;
    const marks = page.locator('#initializer .zoom-base-eig');
    expect(await marks.count()).toBe(Number(await data('#initializer', 'baseline-count')));
    for (let k = 0; k < (await marks.count()); k++) {
      const b = (await marks.nth(k).boundingBox())!;
      expect(b.x).toBeGreaterThanOrEqual(inset.x - 1);
      expect(b.x + b.width).toBeLessThanOrEqual(inset.x + inset.width + 1);
      expect(b.y).toBeGreaterThanOrEqual(inset.y - 1);
      expect(b.y + b.height).toBeLessThanOrEqual(inset.y + inset.height + 1);
    }
    expect(half).toBeGreaterThan(0);
    expect(half).toBeLessThan(1);
    // One legend inside each plane, naming the shown methods in the explorer.
    const legend = await page.locator('#explorer .plot-legend text').allTextContents();
    expect(legend.map((t) => t.replace(' (filled)', ''))).toEqual(expect.arrayContaining((await data('#explorer', 'methods'))!.split(',')));
    await checkPanels('before');
  });
});

describe('live training', () => {
  it('trains SII and baseline students in a worker; pause holds, resume finishes; both losses fall', async () => {
    const epochs = 12;
    await page.fill('#train-epochs', String(epochs));
    await page.click('#train-start');
    // Pause from inside the page as soon as epoch 2 is reported: a click sent from the test process can
    // arrive after the last epoch on a loaded machine (the run then ends before the pause).
    await page.waitForFunction(
      () => {
        if (Number(document.getElementById('training')?.dataset.epoch) < 2) return false;
        (document.getElementById('train-pause') as HTMLButtonElement).click();
        return true;
      },
      null,
      { timeout: 120_000 },
    );
    await page.waitForSelector('#training[data-state="paused"]', { timeout: 60_000 });
    const pausedAt = Number(await data('#training', 'epoch'));
    expect(pausedAt).toBeGreaterThanOrEqual(2);
    expect(pausedAt).toBeLessThan(epochs);
    // While paused the worker posts nothing: the epoch count stays where it was.
    await page.waitForTimeout(300);
    expect(Number(await data('#training', 'epoch'))).toBe(pausedAt);
    await page.click('#train-start');
    // The page stays responsive while the worker trains: the explorer's read-out follows the pointer.
    await page.locator('#explorer .plane svg').scrollIntoViewIfNeeded();
    const box = (await page.locator('#explorer .plane svg').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6);
    const z1 = await data('#explorer .readout', 'z');
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.7);
    expect(await data('#explorer .readout', 'z')).not.toBe(z1);
    await page.waitForSelector('#training[data-state="done"], #training[data-state="error"]', { timeout: 280_000 });
    expect(await data('#training', 'error')).toBeNull();
    expect(await data('#training', 'backend')).toBe('wasm');
    expect(Number(await data('#training', 'epoch'))).toBe(epochs);
    const sii = JSON.parse((await data('#training', 'loss-sii'))!) as number[];
    const base = JSON.parse((await data('#training', 'loss-baseline'))!) as number[];
    // Entry 0 is the loss of the untrained model, then one mean training loss per epoch.
    expect(sii).toHaveLength(epochs + 1);
    expect(base).toHaveLength(epochs + 1);
    for (const losses of [sii, base]) {
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses.at(-1)!).toBeLessThan(0.7 * losses[0]!);
    }
    // No tensor leak in the worker: the live tensor count is the same after every epoch.
    const tensors = JSON.parse((await data('#training', 'tensors'))!) as number[];
    expect(tensors).toHaveLength(epochs);
    expect(new Set(tensors).size).toBe(1);
    // The .wasm binary came from the bundle on the local server.
    expect(requests.some((p) => p.endsWith('.wasm'))).toBe(true);
  });

  it('after training: every panel has clean ticks and no overlapping labels', async () => {
    await checkPanels('after');
  });

  it('saves a screenshot, with no page error and no request leaving localhost', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(APP_DIR, 'docs', 'screenshot.png'), fullPage: true });
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
