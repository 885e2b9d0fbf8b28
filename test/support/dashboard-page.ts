/**
 * A static page that draws a dashboard's panels from Prometheus results with uPlot, served on
 * 127.0.0.1, and headless Chromium to load it: a screenshot, and the DOM after the page's script
 * ran (each panel says how many series it drew).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MatrixSeries } from './prometheus.js';
import { repoPath } from './fixtures.js';

const run = promisify(execFile);

/** One panel to draw: title, kind and the series of its queries. */
export interface PagePanel {
  id: number;
  title: string;
  type: string;
  text?: string;
  series: Array<{ name: string; values: Array<{ t: number; value: number }> }>;
}

/** Legend text: `{{label}}` placeholders filled from the series' labels. */
export function legend(format: string, s: MatrixSeries): string {
  return format.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_m, k: string) => s.metric[k] ?? '');
}

function page(title: string, panels: PagePanel[]): string {
  const data = JSON.stringify(panels).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="/uplot.min.css">
<style>body{font-family:sans-serif;margin:12px;background:#fff}.panel{display:inline-block;vertical-align:top;width:660px;margin:6px;border:1px solid #ccc;padding:6px}
h1{font-size:18px}h2{font-size:14px;margin:2px 0}.value{font-size:28px;color:#1f78c1}</style></head>
<body><h1>${title}</h1><div id="panels"></div>
<script src="/uplot.iife.min.js"></script>
<script>
const panels = ${data};
const colors = ['#7eb26d','#eab839','#6ed0e0','#ef843c','#e24d42','#1f78c1','#ba43a9','#705da0'];
for (const p of panels) {
  const div = document.createElement('div'); div.className = 'panel'; div.id = 'panel-' + p.id;
  div.innerHTML = '<h2></h2>'; div.querySelector('h2').textContent = p.title;
  document.getElementById('panels').appendChild(div);
  let drawn = 0;
  if (p.type === 'text') { const t = document.createElement('p'); t.textContent = p.text || ''; div.appendChild(t); }
  else if (p.series.length > 0 && p.series.some(s => s.values.length > 1) && (p.type === 'timeseries' || p.type === 'heatmap')) {
    const times = [...new Set(p.series.flatMap(s => s.values.map(v => v.t / 1000)))].sort((a, b) => a - b);
    const cols = p.series.map(s => { const m = new Map(s.values.map(v => [v.t / 1000, v.value])); return times.map(t => m.has(t) && isFinite(m.get(t)) ? m.get(t) : null); });
    new uPlot({ width: 640, height: 220, series: [{}, ...p.series.map((s, i) => ({ label: s.name, stroke: colors[i % colors.length], width: 2 }))] }, [times, ...cols], div);
    drawn = p.series.length;
  } else {
    for (const s of p.series) { const last = s.values[s.values.length - 1]; if (!last) continue;
      const row = document.createElement('div'); row.innerHTML = '<span></span> <span class="value"></span>';
      row.children[0].textContent = s.name; row.children[1].textContent = Number(last.value).toPrecision(4); div.appendChild(row); drawn++; }
  }
  div.dataset.series = String(drawn);
}
document.body.dataset.ready = 'yes';
</script></body></html>`;
}

/** Serves pages (name → panels) and uPlot on 127.0.0.1; `url(name)`; `close()`. */
export async function servePages(pages: Record<string, { title: string; panels: PagePanel[] }>): Promise<{ url: (name: string) => string; close: () => Promise<void> }> {
  const assets: Record<string, [string, string]> = {
    '/uplot.iife.min.js': ['text/javascript', readFileSync(repoPath('node_modules/uplot/dist/uPlot.iife.min.js'), 'utf8')],
    '/uplot.min.css': ['text/css', readFileSync(repoPath('node_modules/uplot/dist/uPlot.min.css'), 'utf8')],
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const asset = assets[path];
    const name = /^\/dash\/([-a-z]+)\.html$/.exec(path)?.[1];
    const p = name !== undefined ? pages[name] : undefined;
    if (asset !== undefined) res.writeHead(200, { 'content-type': asset[0] }).end(asset[1]);
    else if (p !== undefined) res.writeHead(200, { 'content-type': 'text/html' }).end(page(p.title, p.panels));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: (name) => `http://127.0.0.1:${port}/dash/${name}.html`, close: () => new Promise((r) => server.close(() => r())) };
}

/** Chromium's flags for a closed network (no background connections), headless, as root. */
function chromiumArgs(profile: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
}

/** Loads `url` in headless Chromium: the DOM after scripts ran, and a PNG screenshot written to `png`. */
export async function chromiumCapture(url: string, png: string): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'modelslo-chromium-'));
  try {
    const dom = await run('chromium', [...chromiumArgs(profile), '--virtual-time-budget=5000', '--dump-dom', url], { maxBuffer: 32 * 1024 * 1024, timeout: 60_000 });
    await run('chromium', [...chromiumArgs(profile), '--window-size=1400,2000', '--hide-scrollbars', `--screenshot=${png}`, url], { timeout: 60_000 });
    return dom.stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
