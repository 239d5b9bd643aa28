/** Self-contained HTML report (SVG figures inlined) and plain-text tables for the terminal. */

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface Figure {
  /** File name under figures/ (e.g. 'stability-regions.svg'). */
  file: string;
  svg: string;
  caption: string;
  /** Path of the SVG file relative to the report (default `figures/<file>`). */
  href?: string;
}

export interface Table {
  head: string[];
  rows: string[][];
}

export interface ReportSection {
  title: string;
  /** Paragraph text (escaped). */
  text?: string;
  table?: Table;
  figures?: Figure[];
  /** Preformatted text (escaped). */
  pre?: string;
  /** Links to related files or runs, paths relative to the report. */
  links?: { label: string; href: string }[];
}

export interface ReportInput {
  title: string;
  command: string;
  startedAt: string;
  config: unknown;
  versions: Record<string, string | null>;
  sections: ReportSection[];
  /** "What this shows": a short reading of the numbers, shown first. */
  summary?: string;
  /** Files of the run folder, relative to the report (rendered as links). */
  files?: string[];
}

const STYLE = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}figure{margin:1.2em 0}figcaption{font-size:.9em;color:#555;max-width:900px}
.what{background:#f4f8fc;border-left:4px solid #3949ab;padding:.6em 1em;margin:1em 0}.what h2{margin-top:.2em;border:0}
pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:.85em}.meta{color:#666;font-size:.9em}svg{max-width:100%;height:auto}`;

export function htmlTable(t: Table): string {
  const head = `<tr>${t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n${head}\n${rows}\n</table>`;
}

/** Escaped text in which `backticked` spans become <code>. */
export function richText(s: string): string {
  return escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/**
 * A relative path as an href: each segment percent-encoded, so the link works wherever the run
 * folder is moved or unzipped.
 */
export function relativeHref(path: string): string {
  if (/^[a-z]+:|^\//i.test(path) || path.split(/[\\/]/).includes('..')) {
    throw new Error(`relativeHref: expected a path inside the run folder, got ${JSON.stringify(path)}`);
  }
  return path.split(/[\\/]/).map(encodeURIComponent).join('/');
}

function link(label: string, path: string): string {
  return `<a href="${escapeHtml(relativeHref(path))}">${escapeHtml(label)}</a>`;
}

export function renderReport(input: ReportInput): string {
  const parts: string[] = [];
  parts.push(`<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(input.title)}</title>`);
  parts.push(`<style>${STYLE}</style>\n</head>\n<body>`);
  parts.push(`<h1>${escapeHtml(input.title)}</h1>`);
  parts.push(
    `<p class="meta">sii ${escapeHtml(input.command)} — started ${escapeHtml(input.startedAt)} — @sii/cli ${escapeHtml(String(input.versions['@sii/cli'] ?? '?'))}, Node ${escapeHtml(String(input.versions.node ?? '?'))}</p>`,
  );
  if (input.summary)
    parts.push(`<section class="what" id="what-this-shows">\n<h2>What this shows</h2>\n<p>${richText(input.summary)}</p>\n</section>`);
  for (const s of input.sections) {
    parts.push(`<section>\n<h2>${escapeHtml(s.title)}</h2>`);
    if (s.text) parts.push(`<p>${richText(s.text)}</p>`);
    if (s.links?.length) parts.push(`<p class="links">${s.links.map((l) => link(l.label, l.href)).join(' · ')}</p>`);
    if (s.table) parts.push(htmlTable(s.table));
    if (s.pre) parts.push(`<pre>${escapeHtml(s.pre)}</pre>`);
    for (const f of s.figures ?? []) {
      const href = f.href ?? `figures/${f.file}`;
      parts.push(
        `<figure id="${escapeHtml(f.file)}">\n${f.svg}\n<figcaption>${escapeHtml(f.caption)} (<a href="${escapeHtml(relativeHref(href))}"><code>${escapeHtml(href)}</code></a>)</figcaption>\n</figure>`,
      );
    }
    parts.push('</section>');
  }
  parts.push('<section>\n<h2>Configuration</h2>');
  parts.push(`<pre>${escapeHtml(JSON.stringify(input.config, null, 2))}</pre>`);
  parts.push(htmlTable({ head: ['package', 'version'], rows: Object.entries(input.versions).map(([k, v]) => [k, v ?? 'n/a']) }));
  if (input.files?.length) parts.push(`<p class="meta files">Files: ${input.files.map((f) => link(f, f)).join(', ')}</p>`);
  parts.push('</section>\n</body>\n</html>\n');
  return parts.join('\n');
}

/** Fixed-width text table for the terminal. */
export function textTable(t: Table): string {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(t.head), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

/** Number with `digits` significant digits (exponent form for very small/large values). */
export function sig(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a < 1e-3 || a >= 1e6 ? x.toExponential(digits - 1) : Number(x.toPrecision(digits)).toString();
}
