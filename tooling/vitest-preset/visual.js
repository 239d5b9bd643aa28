// Visual checks shared by the browser tests (the web demo's panels, the CLI's HTML report): Debian's
// chromium (installed with apt-get when missing, never downloaded by a test tool) and two checks
// read from the DOM: tick labels print at most 6 significant digits, and no two text labels overlap.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a root, offline, sandbox-less headless chromium (the user-data-dir is given separately). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Install Debian's chromium when it is missing (serialized with other apt users by a lock file). */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const script = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium';
  execFileSync('flock', ['/tmp/sii-apt.lock', 'sh', '-c', script], { stdio: 'inherit' });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
  return CHROMIUM;
}

/**
 * Significant digits of a number as printed ("0.6000000000000001" → 16, "1e-3" → 1, "2.5i" → 2,
 * "1000" → 1); null when the text is not a number.
 */
export function significantDigits(text) {
  const t = text.trim().replace(/^[−+-]/, '').replace(/i$/, '').replace(/,/g, '');
  const m = /^(\d*\.?\d*)(?:e[−+-]?\d+)?$/i.exec(t);
  if (!m || !/\d/.test(m[1])) return null;
  const mantissa = m[1];
  let digits = mantissa.replace('.', '').replace(/^0+/, '');
  if (!mantissa.includes('.')) digits = digits.replace(/0+$/, '');
  return Math.max(1, digits.length);
}

// Runs in the page: every visible SVG <text> (and every <label>, for form rows) under the root,
// with its text and client rectangle.
const COLLECT = `(selector) => {
  const root = document.querySelector(selector);
  if (!root) throw new Error('no element matches ' + selector);
  const out = [];
  for (const node of root.querySelectorAll('svg text, label')) {
    const text = (node.textContent || '').trim();
    if (!text) continue;
    const style = getComputedStyle(node);
    if (style.visibility === 'hidden' || style.display === 'none' || Number(style.opacity) === 0) continue;
    const r = node.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const svgText = node.tagName.toLowerCase() === 'text';
    const tick = svgText && (node.classList.contains('tick') || !!node.closest('.role-axis-label'));
    out.push({ text, tick, svg: svgText, x: r.left, y: r.top, w: r.width, h: r.height });
  }
  return out;
}`;

/**
 * Collect the texts under `selector` (via a playwright page) and report: tick labels with more
 * than `maxDigits` significant digits, and pairs of text boxes that overlap by more than `slack`
 * pixels in both directions (SVG texts against SVG texts, labels against labels).
 */
export async function checkTexts(page, selector, { maxDigits = 6, slack = 1 } = {}) {
  const items = await page.evaluate(`(${COLLECT})(${JSON.stringify(selector)})`);
  const noisyTicks = items
    .filter((t) => t.tick || (t.svg && significantDigits(t.text) !== null))
    .filter((t) => (significantDigits(t.text) ?? 0) > maxDigits)
    .map((t) => t.text);
  const overlaps = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i];
      const b = items[j];
      if (a.svg !== b.svg) continue;
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (dx > slack && dy > slack) overlaps.push(`"${a.text}" × "${b.text}"`);
    }
  }
  return { texts: items.length, ticks: items.filter((t) => t.tick).length, noisyTicks, overlaps };
}
