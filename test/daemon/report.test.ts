/**
 * The daemon's report API on the fixed incident (test/support/incident.ts) in a real SQLite file:
 * GET …/report in every format, bad input named, and report.auto drafting a report when the
 * journal receives the page's resolved notification, listed at GET …/reports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { callDaemon, TEST_TOKEN } from '../support/daemon.js';
import { mustParse } from '../support/fixtures.js';
import { fixtureConfigText, fixtureRequests, INCIDENT, seedStore } from '../support/incident.js';

let dir: string;
let daemon: RunningDaemon;
const base = '/api/v1/models/payments/fraud-detector';
const call = (path: string): ReturnType<typeof callDaemon> => callDaemon(daemon.url, 'GET', path);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelslo-daemon-report-'));
  const config = mustParse(fixtureConfigText(`report: { auto: true, dir: "${join(dir, 'reports')}" }`));
  daemon = await startDaemon({ config, token: TEST_TOKEN, listen: '127.0.0.1:0', db: join(dir, 'modelslo.db') });
  await seedStore(daemon.store);
}, 60_000);

afterAll(async () => {
  await daemon?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v1/models/{ns}/{model}/report', () => {
  const range = `from=${new Date(INCIDENT.fromMs).toISOString()}&to=${INCIDENT.toMs}`;

  it('answers the figures as JSON numbers', async () => {
    const r = await call(`${base}/report?${range}`);
    expect(r.status).toBe(200);
    const inWindow = fixtureRequests().filter((x) => x.timeMs >= INCIDENT.impactBeginsMs && x.timeMs < r.json.detection.impactEndsMs);
    expect(r.json.impact).toMatchObject({ requests: inWindow.length, failed: inWindow.filter((x) => x.status >= 500).length });
    expect(r.json.detection.ttdSeconds).toBe((INCIDENT.pageMs - INCIDENT.impactBeginsMs) / 1000);
    // The store has no canary decisions: mitigation is the 5m error ratio back under 1 − objective.
    expect(r.json.detection.mitigatedBy).toBe('error ratio');
  });

  it('answers Markdown, self-contained HTML, and every file for the CLI', async () => {
    const md = await call(`${base}/report?${range}&format=md`);
    expect(md.text).toMatch(/^# Postmortem: payments\/fraud-detector incident of 2026-11-30\n/);
    expect(md.text).toContain('## Timeline');
    const html = await call(`${base}/report?${range}&format=html`);
    expect(html.text).toMatch(/^<!DOCTYPE html>/);
    expect(html.text).not.toMatch(/<(script|link|img)\b/);
    const files = await call(`${base}/report?${range}&format=files`);
    expect(Object.keys(files.json.files as Record<string, string>)).toEqual(expect.arrayContaining(['report.md', 'report.html', 'report.json', 'charts/error-ratio.svg']));
  });

  it.each([
    ['an unknown model', '/api/v1/models/payments/nope/report', 404, 'model payments/nope is not in the config'],
    ['a range with no requests', `${base}/report?from=2026-11-30T12:00:00Z&to=2026-11-30T13:00:00Z`, 400, 'no requests of payments/fraud-detector stored from 2026-11-30 12:00:00 UTC to 2026-11-30 13:00:00 UTC'],
    ['a range older than retention', `${base}/report?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z`, 400, 'older than the store\'s retention: the oldest record of payments/fraud-detector kept is from 2026-11-30 08:00:00 UTC'],
    ['a bad time', `${base}/report?from=yesterday&to=1`, 400, 'query.from: must be an RFC 3339 time or epoch milliseconds, got "yesterday"'],
    ['a bad format', `${base}/report?format=docx`, 400, 'query.format: must be one of json, md, html, files'],
  ])('refuses %s, saying why', async (_name, path, status, error) => {
    const r = await call(path);
    expect(r.status).toBe(status);
    expect(r.json.error).toContain(error);
  });
});

describe('report.auto', () => {
  it('drafts the report when the page resolves, and lists it', { timeout: 60_000 }, async () => {
    expect((await call(`${base}/reports`)).json.reports).toEqual([]);
    const page = { alertname: 'ModelSLOErrorBudgetBurn', severity: 'page', slo: 'availability', long_window: '1h', short_window: '5m', namespace: 'payments', model: 'fraud-detector' };
    const body = JSON.stringify({ version: '4', groupKey: 'g', status: 'resolved', receiver: 'modelslo-journal', alerts: [{ status: 'resolved', labels: page, annotations: {}, startsAt: new Date(INCIDENT.pageMs).toISOString(), endsAt: new Date(INCIDENT.pageResolvedMs).toISOString(), fingerprint: 'fp-page' }] });
    const res = await fetch(`${daemon.url}/v1/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    await daemon.reports.idle();
    const list = (await call(`${base}/reports`)).json;
    expect(list.auto).toBe(true);
    expect(list.reports).toHaveLength(1);
    expect(list.reports[0]).toMatchObject({ id: '20261130T100300Z', ttdSeconds: 180 });
    expect(list.reports[0].summary).toMatch(/^From 2026-11-30 10:00:00 UTC/);
    const md = await call(String(list.reports[0].links.md));
    expect(md.text).toContain('found automatically: the last period in which a page or ticket of the model fired');
  });
});
