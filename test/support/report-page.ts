/**
 * Opens an HTML page in headless Chromium with the whole network routed through a recorder on
 * 127.0.0.1 (it is Chromium's proxy for every host, loopback too), so every request the page
 * makes is seen; returns those requests, the console messages Chromium logged, and a screenshot.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What loading the page did. */
export interface PageVisit {
  /** Every request the recorder saw: its URL and Referer (Chromium's own background requests, such as update checks, have none). */
  requests: Array<{ url: string; referer: string | null }>;
  /** Chromium's log lines of console messages (`CONSOLE`), errors and warnings included. */
  console: string[];
}

/** Serves `html` as /page.html, loads it in Chromium (window 1200×`height`) and writes a PNG screenshot to `png`. */
export async function visitPage(html: string, png: string, height = 4000): Promise<PageVisit> {
  const requests: PageVisit['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', referer: req.headers.referer ?? null });
    if (/\/page\.html$/.test(req.url ?? '')) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const profile = await mkdtemp(join(tmpdir(), 'modelslo-chromium-'));
  try {
    const args = [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--user-data-dir=${profile}`, `--proxy-server=http://127.0.0.1:${port}`, '--proxy-bypass-list=<-loopback>', '--enable-logging=stderr', '--v=0',
      `--window-size=1200,${height}`, '--hide-scrollbars', '--virtual-time-budget=3000', `--screenshot=${png}`, `http://127.0.0.1:${port}/page.html`,
    ];
    const r = await run('chromium', args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return { requests, console: r.stderr.split('\n').filter((l) => l.includes('CONSOLE')) };
  } finally {
    await rm(profile, { recursive: true, force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
