// End-to-end: build (if stale), serve dist/ on localhost, drive Debian's chromium headless through
// playwright-core, and check the three panels: regions render and the |R| read-out and largest
// stable step match theory; SII eigenvalues coincide with the sampled poles; both students' losses
// fall during in-browser training on the WASM backend. Visual checks read from the DOM (no tick label
// with more than 6 significant digits, no two text labels overlapping) on every panel before and
// after training. Saves docs/screenshot.png and docs/screenshots/<panel>-<before|after>.png.
// The page runs under its Content-Security-Policy (meta tag and header, so the workers too) and no
// violation may be reported. Nothing here depends on the machine's speed: no sleeps and no time
// limits on waits (vitest's test timeout is the only bound); orderings are forced by the page's own
// events (see the pause), not by how fast the test reacts.
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseComplexList } from '../src/complex-input.js';
import { CONTENT_SECURITY_POLICY } from '../src/csp.js';
import { MAX_POLES } from '../src/pole-analysis.js';
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
  // The header as `vite preview` sends it: it covers the Web Workers too (the meta tag only the page).
  ({ server, url: baseUrl, requests } = await serveStatic(DIST_DIR, { 'content-security-policy': CONTENT_SECURITY_POLICY }));
  userDataDir = freshUserDataDir();
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 900 },
    deviceScaleFactor: 1,
    timeout: 0, // no limit on the browser's start either
  });
  // No time limit on any wait, in any page of the context (the visual checker's probe page too): on a
  // loaded machine a step may take any time; vitest's test timeout (vitest.config.ts) is the one
  // bound, against a hang.
  context.setDefaultTimeout(0);
  // Offline: any request that leaves the local server is recorded and refused.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(baseUrl) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  // Every CSP violation of the page, as the browser reports it to the document.
  await context.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(0);
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

/**
 * Wait until the explorer's read-out shows a point other than `before` (Chromium may deliver a pointer
 * move at the next frame, after page.mouse.move has returned), and return it.
 */
async function readoutMovedFrom(before: string | null): Promise<string> {
  await page.waitForFunction((b) => {
    const z = (document.querySelector('#explorer .readout') as HTMLElement).dataset.z;
    return z !== undefined && z !== b;
  }, before);
  return (await data('#explorer .readout', 'z'))!;
}

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
    const before = await data('#explorer .readout', 'z');
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.4);
    const [re, im] = (await readoutMovedFrom(before)).split(',').map(Number) as [number, number];
    const shown = Number(await data('#explorer .readout', 'abs'));
    expect(shown).toBeCloseTo(polyAbs([1, 1, 1 / 2, 1 / 6, 1 / 24], re, im), 10);
  });

  it('gives Euler’s largest stable step for λ = −5 ± 20i and −25: 10/425', async () => {
    await page.waitForSelector('#explorer[data-analysis="done"]');
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
    // The worker's answer redraws the poles: wait for it, so that the marker is not replaced under the pointer.
    await page.waitForSelector('#explorer[data-analysis="done"]');
    const marker = page.locator('#explorer .pole[data-index="1"]');
    const b = (await marker.boundingBox())!;
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2 - 20, b.y + b.height / 2, { steps: 4 });
    await page.mouse.move(b.x + b.width / 2 - 40, b.y + b.height / 2, { steps: 4 });
    await page.mouse.up();
    const moved = parseComplexList(await page.inputValue('#explorer-poles'))[1];
    expect(moved.re).toBeLessThan(-25);
    expect(moved.im).toBe(0); // snapped to the real axis
    // The button waits for the worker's largest stable steps of the moved poles (disabled until then).
    await page.click('#explorer-fit-h');
    await page.waitForSelector('#explorer[data-analysis="done"]');
    const hmax = Number(await data('#explorer tr[data-method="rk4"]', 'max-step'));
    expect(Number(await page.inputValue('#explorer-h'))).toBeCloseTo(0.999 * hmax, 3);
    // At that step every pole is inside RK4's region.
    expect(Number(await data('#explorer tr[data-method="rk4"]', 'unstable'))).toBe(0);
  });

  it('refuses a typed h that is not a positive number with a message (the plot keeps its h)', async () => {
    const kept = await page.inputValue('#explorer-h');
    const header = await page.textContent('#explorer table th:last-child');
    for (const [text, message] of [
      ['-1', 'h: -1 is out of range; enter a number > 0 and ≤ 1000000'],
      ['', 'h: empty; enter a number > 0 and ≤ 1000000'],
    ] as const) {
      await page.fill('#explorer-h', text);
      expect(await page.textContent('#explorer-h-error')).toBe(message);
      expect(await page.textContent('#explorer table th:last-child')).toBe(header);
    }
    await page.fill('#explorer-h', kept);
    expect(await page.textContent('#explorer-h-error')).toBe('');
    expect(await page.textContent('#explorer table th:last-child')).toBe(header);
  });

  it(`refuses 20,000 poles with a message; ${MAX_POLES} poles are analysed in a worker while the page keeps handling events`, async () => {
    const kept = await page.inputValue('#explorer-poles');
    const keptCount = await data('#explorer', 'poles');
    const set = (text: string) =>
      page.evaluate((t) => {
        const input = document.getElementById('explorer-poles') as HTMLInputElement;
        input.value = t;
        input.dispatchEvent(new Event('change'));
      }, text);
    await set(Array.from({ length: 20_000 }, (_, k) => `-1+${k + 1}i`).join(', '));
    expect(await page.textContent('#explorer-poles-error')).toContain(`λ: 20000 poles; the explorer takes at most ${MAX_POLES}`);
    expect(await data('#explorer', 'poles-refused')).toBe('20000');
    expect(await data('#explorer', 'poles')).toBe(keptCount);
    expect(await page.locator('#explorer .pole').count()).toBe(Number(keptCount));

    // λ_k = −1 + k·i, k = 1…MAX_POLES (each with its conjugate). In ONE task of the page: the change
    // handler returns with the analysis still pending (it runs in the worker), and a pointer event
    // dispatched right after it is handled: the read-out follows it. No timing is involved: the
    // worker's answer can only be delivered after this task.
    const many = Array.from({ length: MAX_POLES }, (_, k) => `-1+${k + 1}i`).join(', ');
    const inTask = await page.evaluate((text) => {
      const root = document.getElementById('explorer')!;
      const input = document.getElementById('explorer-poles') as HTMLInputElement;
      const readout = root.querySelector('.readout') as HTMLElement;
      const svg = root.querySelector('.plane svg')!;
      const zBefore = readout.dataset.z;
      input.value = text;
      input.dispatchEvent(new Event('change'));
      const afterChange = root.dataset.analysis;
      const r = svg.getBoundingClientRect();
      svg.dispatchEvent(new PointerEvent('pointermove', { clientX: r.x + r.width * 0.23, clientY: r.y + r.height * 0.41, bubbles: true }));
      return {
        afterChange,
        afterPointer: root.dataset.analysis,
        zBefore,
        zAfter: readout.dataset.z,
        poles: root.dataset.poles,
        markers: root.querySelectorAll('.pole').length,
        fitDisabled: (document.getElementById('explorer-fit-h') as HTMLButtonElement).disabled,
      };
    }, many);
    expect(inTask.afterChange).toBe('pending');
    expect(inTask.afterPointer).toBe('pending');
    expect(inTask.zAfter).not.toBe(inTask.zBefore);
    expect(inTask.poles).toBe(String(2 * MAX_POLES));
    expect(inTask.markers).toBe(2 * MAX_POLES); // the poles are drawn at once
    expect(inTask.fitDisabled).toBe(true);
    expect(await page.textContent('#explorer-poles-error')).toBe('');
    // The worker's answer: Euler's largest stable step over the poles, −2 Re λ / |λ|² = 2/(1 + k²)
    // smallest at k = MAX_POLES.
    await page.waitForSelector('#explorer[data-analysis="done"]');
    expect(Number(await data('#explorer tr[data-method="euler"]', 'max-step'))).toBeCloseTo(2 / (1 + MAX_POLES ** 2), 15);
    expect(page.workers().some((w) => /pole-analysis\.worker-[\w-]+\.js$/.test(w.url()))).toBe(true);
    expect(await page.locator('#explorer .hmax').count()).toBe(2 * MAX_POLES);

    await set(kept);
    await page.waitForSelector('#explorer[data-analysis="done"]');
    expect(await data('#explorer', 'poles')).toBe(keptCount);
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

  it('refuses settings beyond the stated limits with a message; sampling runs in a worker while the page handles events', async () => {
    const fail = async (text: string | RegExp) => {
      await page.click('#sample-poles');
      await page.waitForSelector('#initializer[data-state="error"]');
      if (typeof text === 'string') expect(await page.textContent('#initializer .error')).toBe(text);
      else expect(await page.textContent('#initializer .error')).toMatch(text);
    };
    await page.fill('#init-states', '20000');
    await fail('states n: 20000 is out of range; enter a whole number from 1 to 64');
    await page.fill('#init-states', '');
    await page.fill('#init-h', '0');
    await fail('h: 0 is out of range; enter a number > 0 and ≤ 10\nstates n: empty; enter a whole number from 1 to 64');
    await page.fill('#init-h', '0.1');
    // 64 states in 32 hidden units: refused by siiInit in the worker, its message shown on the page.
    await page.fill('#init-states', '64');
    await page.evaluate(() => {
      document.getElementById('initializer')!.dataset.state = '';
    });
    await fail(/hidden must be >= states .*got hidden = 32 < states = 64/);
    await page.fill('#init-hidden', '64');
    // In ONE task: the click returns with the computation pending (state 'sampling'), and a pointer
    // event on the explorer is handled right after it (its read-out follows).
    const inTask = await page.evaluate(() => {
      const root = document.getElementById('initializer')!;
      const readout = document.querySelector('#explorer .readout') as HTMLElement;
      const svg = document.querySelector('#explorer .plane svg')!;
      const zBefore = readout.dataset.z;
      (document.getElementById('sample-poles') as HTMLButtonElement).click();
      const afterClick = root.dataset.state;
      const r = svg.getBoundingClientRect();
      svg.dispatchEvent(new PointerEvent('pointermove', { clientX: r.x + r.width * 0.61, clientY: r.y + r.height * 0.37, bubbles: true }));
      return { afterClick, afterPointer: root.dataset.state, zBefore, zAfter: readout.dataset.z };
    });
    expect(inTask.afterClick).toBe('sampling');
    expect(inTask.afterPointer).toBe('sampling');
    expect(inTask.zAfter).not.toBe(inTask.zBefore);
    await page.waitForSelector('#initializer[data-state="sampled"]');
    expect(Number(await data('#initializer', 'poles'))).toBe(64);
    expect(Number(await data('#initializer', 'max-mismatch'))).toBeLessThan(1e-3);
    expect(page.workers().some((w) => /initializer\.worker-[\w-]+\.js$/.test(w.url()))).toBe(true);
    await page.fill('#init-states', '8');
    await page.fill('#init-hidden', '32');
    await sample();
    expect(Number(await data('#initializer', 'poles'))).toBe(8);
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
  it('refuses a learning rate that is not a number (or out of range) with a visible message and starts nothing', async () => {
    const lr = page.locator('#train-lr');
    // Text the number input cannot read: its value is "" (Number("") would be 0, a silent lr of 0).
    await lr.fill('');
    await lr.pressSequentially('1e');
    await page.click('#train-start');
    await page.waitForSelector('#training[data-state="invalid"]');
    expect(await page.textContent('#train-invalid')).toBe('learning rate: the text typed is not a number; enter a number > 0 and ≤ 1');
    expect(await lr.getAttribute('aria-invalid')).toBe('true');
    await lr.fill('0');
    await page.fill('#train-epochs', '1e9');
    await page.click('#train-start');
    expect(await page.textContent('#train-invalid')).toBe(
      'learning rate: 0 is out of range; enter a number > 0 and ≤ 1\nepochs: 1e9 is out of range; enter a whole number from 1 to 1000',
    );
    expect(await data('#training', 'state')).toBe('invalid');
    expect(await data('#training', 'backend')).toBeNull(); // no worker was set up
    await lr.fill('0.005');
    await page.click('#train-reset');
    expect(await page.textContent('#train-invalid')).toBe('');
  });

  it('trains SII and baseline students in a worker; pause holds, resume finishes; both losses fall', async () => {
    const epochs = 12;
    await page.fill('#train-epochs', String(epochs));
    // Pause in the page's own turn that starts the run: when the state becomes 'running' (the
    // worker is ready and was just told to start), click Pause before any epoch can end. The worker
    // gets 'start' then 'pause' and holds at the end of its first epoch, however fast or slow the
    // machine is (a click sent from the test process could arrive after the last epoch).
    await page.evaluate(() => {
      const root = document.getElementById('training')!;
      const observer = new MutationObserver(() => {
        if (root.dataset.state !== 'running') return;
        observer.disconnect();
        (document.getElementById('train-pause') as HTMLButtonElement).click();
      });
      observer.observe(root, { attributes: true, attributeFilter: ['data-state'] });
    });
    await page.click('#train-start');
    await page.waitForSelector('#training[data-state="paused"]');
    const pausedAt = Number(await data('#training', 'epoch'));
    expect(pausedAt).toBeGreaterThanOrEqual(1);
    expect(pausedAt).toBeLessThan(epochs);
    // While paused the worker is held at the epoch boundary: asked in order after the pause, it
    // answers that it is held at the epoch the page shows.
    await page.dispatchEvent('#training', 'sii:probe');
    await page.waitForSelector('#training[data-worker-held]');
    expect(await data('#training', 'worker-held')).toBe('true');
    expect(Number(await data('#training', 'worker-epoch'))).toBe(pausedAt);
    expect(Number(await data('#training', 'epoch'))).toBe(pausedAt);
    await page.click('#train-start');
    // The page stays responsive while the worker trains: the explorer's read-out follows the pointer.
    await page.locator('#explorer .plane svg').scrollIntoViewIfNeeded();
    const box = (await page.locator('#explorer .plane svg').boundingBox())!;
    const z0 = await data('#explorer .readout', 'z');
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6);
    const z1 = await readoutMovedFrom(z0);
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.7);
    expect(await readoutMovedFrom(z1)).not.toBe(z1);
    await page.waitForSelector('#training[data-state="done"], #training[data-state="error"]');
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
      expect(losses.at(-1)!).toBeLessThan(0.7 * losses[0]);
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

  it('saves a screenshot, with no page error, no CSP violation and no request leaving localhost', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(APP_DIR, 'docs', 'screenshot.png'), fullPage: true });
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
  });

  it('the policy is in force, and a violation would have been seen (an inline script is refused and reported)', async () => {
    // (Not eval: code evaluated through the DevTools protocol, as page.evaluate does, may always eval.)
    const reported = page.waitForEvent('console', { predicate: (m) => m.type() === 'error' && /Content Security Policy/i.test(m.text()) });
    const ran = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineScriptRan = true;';
      document.body.append(script);
      return (window as unknown as { inlineScriptRan?: boolean }).inlineScriptRan === true;
    });
    expect(ran).toBe(false);
    expect((await reported).text()).toMatch(/inline script/);
    // Reported once by each of the two copies of the policy (the header and the meta tag).
    await page.waitForFunction(() => (window as unknown as { cspViolations: string[] }).cspViolations.length >= 2);
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([
      'script-src-elem inline',
      'script-src-elem inline',
    ]);
  });
});
