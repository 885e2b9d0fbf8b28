/**
 * `modelslo report` on the fixed incident: from a store file (--db) and from a running daemon
 * (--daemon); bad input exits 2 with a message and writes nothing; pdf through headless Chromium.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { TEST_TOKEN } from '../support/daemon.js';
import { mustParse } from '../support/fixtures.js';
import { fixtureConfigText, INCIDENT, seedStore } from '../support/incident.js';

let dir: string;
let daemon: RunningDaemon;
const db = (): string => join(dir, 'modelslo.db');
const cfg = (): string => join(dir, 'modelslo.yaml');
const RANGE = ['--from', new Date(INCIDENT.fromMs).toISOString(), '--to', new Date(INCIDENT.toMs).toISOString()];

async function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(args), err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelslo-report-cli-'));
  writeFileSync(cfg(), fixtureConfigText());
  writeFileSync(join(dir, 'token'), `${TEST_TOKEN}\n`);
  const store = await openSqliteStore(db());
  await seedStore(store);
  await store.close();
  daemon = await startDaemon({ config: mustParse(fixtureConfigText()), token: TEST_TOKEN, listen: '127.0.0.1:0', db: join(dir, 'daemon.db') });
  await seedStore(daemon.store);
}, 60_000);

afterAll(async () => {
  await daemon?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('modelslo report', () => {
  it('writes Markdown with its SVG charts, HTML and JSON from a store file, with progress on stderr', { timeout: 60_000 }, async () => {
    const out = join(dir, 'from-db');
    const r = await run(['report', '--model', 'payments/fraud-detector', ...RANGE, '-c', cfg(), '--db', db(), '--out', out]);
    expect(r.err).toContain('report: reading request records of payments/fraud-detector');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['charts', 'report.html', 'report.json', 'report.md']);
    expect(readdirSync(join(out, 'charts')).sort()).toEqual(['budget.svg', 'burn-rate.svg', 'drift.svg', 'error-ratio.svg', 'latency.svg', 'volume.svg']);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { detection: { ttdSeconds: number } };
    expect(json.detection.ttdSeconds).toBe(180);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('![SLI error ratio (5m) and 1 − objective](charts/error-ratio.svg)');
  });

  it('finds the latest incident in the alert journal without --from/--to, and says so', { timeout: 60_000 }, async () => {
    const out = join(dir, 'auto-range');
    const r = await run(['report', '--model', 'payments/fraud-detector', '-c', cfg(), '--db', db(), '--out', out, '--format', 'md']);
    expect(r.code).toBe(0);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    // The page (10:03–10:31) and the ticket (10:06–10:45): from 1 h before the first to 30 min after the last.
    expect(md).toContain('**Range:** 2026-11-30 09:03:00 UTC to 2026-11-30 11:15:00 UTC, found automatically: the last period in which a page or ticket of the model fired (2 alerts');
  });

  it('writes the same files when a running daemon drafts them (--daemon)', { timeout: 60_000 }, async () => {
    const out = join(dir, 'from-daemon');
    const r = await run(['report', '--model', 'payments/fraud-detector', ...RANGE, '--daemon', daemon.url, '--token-file', join(dir, 'token'), '--out', out, '--format', 'md,json']);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['charts', 'report.json', 'report.md']);
    const a = JSON.parse(readFileSync(join(dir, 'from-db', 'report.json'), 'utf8')) as { impact: unknown };
    const b = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { impact: unknown };
    expect(b.impact).toEqual(a.impact);
  });

  it.each([
    ['an unknown model', ['--model', 'payments/nope', ...RANGE], '--model payments/nope: no such model'],
    ['a range with no requests', ['--model', 'payments/fraud-detector', '--from', '2026-11-30T12:00:00Z', '--to', '2026-11-30T13:00:00Z'], 'no requests of payments/fraud-detector stored from 2026-11-30 12:00:00 UTC to 2026-11-30 13:00:00 UTC; nothing written'],
    ['a range older than retention', ['--model', 'payments/fraud-detector', '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-02T00:00:00Z'], "older than the store's retention"],
    ['a bad time', ['--model', 'payments/fraud-detector', '--from', 'noon', '--to', '2026-10-02T00:00:00Z'], '--from noon: not an RFC 3339 time'],
    ['an unknown format', ['--model', 'payments/fraud-detector', ...RANGE, '--format', 'md,docx'], 'unknown format "docx"'],
    ['pdf without Chromium', ['--model', 'payments/fraud-detector', ...RANGE, '--format', 'pdf'], '--format pdf needs headless Chromium'],
  ])('exits 2 on %s, names it and writes nothing', async (name, args, message) => {
    const out = join(dir, `bad-${name.replaceAll(' ', '-')}`);
    const before = process.env.MODELSLO_CHROMIUM;
    if (name === 'pdf without Chromium') process.env.MODELSLO_CHROMIUM = join(dir, 'no-such-chromium');
    try {
      const r = await run(['report', ...args, '-c', cfg(), '--db', db(), '--out', out]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
      expect(existsSync(out)).toBe(false);
    } finally {
      if (before === undefined) delete process.env.MODELSLO_CHROMIUM;
      else process.env.MODELSLO_CHROMIUM = before;
    }
  });

  it('prints a PDF with headless Chromium', { timeout: 90_000 }, async () => {
    const out = join(dir, 'pdf');
    const r = await run(['report', '--model', 'payments/fraud-detector', ...RANGE, '-c', cfg(), '--db', db(), '--out', out, '--format', 'pdf']);
    expect(r.err).toContain('printing the PDF');
    expect(r.code).toBe(0);
    const pdf = readFileSync(join(out, 'report.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(20_000);
  });
});
