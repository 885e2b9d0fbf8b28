/** Shared setup of the sidecar tests: options for an in-process sidecar and small HTTP helpers. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { Config } from '../../src/model/types.js';
import { resolveOptions, type SidecarOptions } from '../../src/sidecar/options.js';

/** A temp dir and its removal. */
export async function tempDir(prefix = 'modelslo-sidecar-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Options of a sidecar on 127.0.0.1:0 in front of `upstream`, shipping to `daemon`, spooling in `spoolDir`. */
export function testOptions(upstream: string, daemon: string, spoolDir: string, config?: Config, tweak: (o: SidecarOptions) => void = () => undefined): SidecarOptions {
  const opts = resolveOptions({ upstream, daemon, listen: { host: '127.0.0.1', port: 0 }, namespace: 'payments', revision: 'fraud-detector-predictor-00001', token: 'test-token', redactKey: Buffer.from('test-key') }, config, {});
  opts.capture.spoolDir = spoolDir;
  opts.capture.batchIntervalMs = 100;
  // Every span recorded: the tests check spans of unsampled requests too (production default: 0.1).
  opts.traceSampleRatio = 1;
  opts.ship = { timeoutMs: 30_000, retries: 1, backoffBaseMs: 50, backoffMaxMs: 500 };
  tweak(opts);
  return opts;
}

/** A response read whole. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends one request and reads the whole response. */
export async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  const res = await request(url, { method: (init.method ?? (init.body === undefined ? 'GET' : 'POST')) as 'GET', headers: init.headers, body: init.body });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

/** Polls `check` until it returns true or `timeoutMs` passes; then throws with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Value of one series in Prometheus text exposition (`name{labels}`), 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Percentile (0..100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
