/**
 * The alert journal end to end: a real Alertmanager, configured with the generated routing, sends
 * its firing and resolved notifications to the daemon's POST /v1/alertmanager (bearer token read
 * from a credentials file); the daemon stores each alert state once with its receivers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import type { AlertRecord } from '../../src/store/port.js';
import { generatedRoutingForTests, startAlertmanager, type AlertmanagerServer } from '../support/alertmanager.js';
import { decodeBatch } from '../../src/ingest/cloudevents.js';
import { callDaemon, TEST_TOKEN } from '../support/daemon.js';
import { sidecarEvent } from '../support/events.js';
import { mustParse } from '../support/fixtures.js';
import { startWebhook, type WebhookServer } from '../support/webhook.js';

function configText(hookUrl: string, journal = ''): string {
  return [
    'alerting:',
    '  oncall_receiver: oncall',
    '  receivers:',
    `    - { name: oncall, webhook_configs: [{ url: "${hookUrl}/oncall", send_resolved: true }] }`,
    `    - { name: fraud-ml, webhook_configs: [{ url: "${hookUrl}/owners", send_resolved: true }] }`,
    ...(journal === '' ? [] : [`  journal: ${journal}`]),
    'models:',
    '  - name: fraud-detector',
    '    namespace: payments',
    '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
    '    slos: [{ name: availability, objective: 99.9, sli: { availability: {} } }]',
  ].join('\n');
}

let dir: string;
let hook: WebhookServer;
let am: AlertmanagerServer;
let daemon: RunningDaemon;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelslo-journal-'));
  hook = await startWebhook();
  daemon = await startDaemon({ config: mustParse(configText(hook.url)), token: TEST_TOKEN, listen: '127.0.0.1:0', db: join(dir, 'modelslo.db') });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TEST_TOKEN}\n`);
  am = await startAlertmanager(generatedRoutingForTests(mustParse(configText(hook.url, `{ url: "${daemon.url}/v1/alertmanager", credentials_file: "${tokenFile}" }`))));
}, 30_000);

afterAll(async () => {
  await daemon?.close();
  await am?.stop();
  await hook?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const SCOPE = { namespace: 'payments', model: 'fraud-detector' };
const PAGE = { alertname: 'ModelSLOErrorBudgetBurn', severity: 'page', slo: 'availability', long_window: '1h', short_window: '5m', ...SCOPE };
// Of another SLO: a page inhibits the ticket of its own SLO, for every receiver, the journal too.
const TICKET = { alertname: 'ModelSLOErrorBudgetBurn', severity: 'ticket', slo: 'latency', long_window: '1d', short_window: '2h', ...SCOPE };

async function postAlerts(alerts: Array<{ labels: Record<string, string>; startsAt: string; endsAt?: string }>): Promise<void> {
  const res = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts.map((a) => ({ annotations: { summary: 'test' }, ...a }))) });
  expect(res.status).toBe(200);
}

async function journalUntil(pred: (rows: AlertRecord[]) => boolean): Promise<AlertRecord[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = await daemon.store.alertJournal({ ...SCOPE, fromMs: 0, toMs: Date.now() + 3_600_000 });
    if (pred(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`journal incomplete: ${JSON.stringify(rows)}\n${am.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the alert journal', () => {
  const pageStart = new Date(Date.now() - 120_000);
  const ticketStart = new Date(Date.now() - 60_000);

  it('stores a page and a ticket fired through the real Alertmanager, with the receivers of the generated routing', { timeout: 30_000 }, async () => {
    await postAlerts([{ labels: PAGE, startsAt: pageStart.toISOString() }, { labels: TICKET, startsAt: ticketStart.toISOString() }]);
    const rows = await journalUntil((r) => r.some((a) => a.labels.severity === 'page') && r.some((a) => a.labels.severity === 'ticket'));
    const page = rows.find((a) => a.labels.severity === 'page');
    expect(page).toMatchObject({ status: 'firing', alertname: 'ModelSLOErrorBudgetBurn', startsAtMs: pageStart.getTime(), endsAtMs: null, receivers: ['oncall'] });
    expect(rows.find((a) => a.labels.severity === 'ticket')).toMatchObject({ status: 'firing', startsAtMs: ticketStart.getTime(), receivers: ['fraud-ml'] });
    // The on-call got the page too (the journal route continues).
    await hook.waitFor((n) => n.path === '/oncall' && n.alerts.some((a) => a.labels.severity === 'page'));
  });

  it('stores the resolved notification with its end time, once, beside the firing one', { timeout: 30_000 }, async () => {
    const end = new Date(Date.now() - 5_000);
    await postAlerts([{ labels: PAGE, startsAt: pageStart.toISOString(), endsAt: end.toISOString() }]);
    const rows = await journalUntil((r) => r.some((a) => a.labels.severity === 'page' && a.status === 'resolved'));
    const pages = rows.filter((a) => a.labels.severity === 'page');
    expect(pages.map((a) => a.status).sort()).toEqual(['firing', 'resolved']);
    expect(pages.find((a) => a.status === 'resolved')).toMatchObject({ startsAtMs: pageStart.getTime(), endsAtMs: end.getTime(), receivers: ['oncall'] });
    // A drift alert of the same model goes to the owners.
    await postAlerts([{ labels: { alertname: 'ModelDrift', severity: 'ticket', feature: 'amount', ...SCOPE }, startsAt: new Date().toISOString() }]);
    const withDrift = await journalUntil((r) => r.some((a) => a.alertname === 'ModelDrift'));
    expect(withDrift.find((a) => a.alertname === 'ModelDrift')?.receivers).toEqual(['fraud-ml']);
    // Repeats of the same state are stored once.
    const again = await daemon.store.insertAlerts(pages);
    expect(again).toEqual({ inserted: 0, duplicates: 2 });
  });

  it('puts the notifications Alertmanager sent on the report\'s timeline, with their receivers', { timeout: 30_000 }, async () => {
    const now = Date.now();
    const events = Array.from({ length: 40 }, (_, i) => i).flatMap((i) => {
      const timeMs = now - 200_000 + i * 5000;
      return [sidecarEvent('request', `tl-${i}`, { timeMs }), sidecarEvent('response', `tl-${i}`, { timeMs, status: i % 4 === 0 ? 500 : 200 })];
    });
    const d = decodeBatch(Buffer.from(JSON.stringify(events)), { eventPayloadBytes: 1 << 20, jsonDepth: 64 });
    if (!d.ok) throw new Error(d.error);
    await daemon.store.insertEvents(d.value.events);
    const r = await callDaemon(daemon.url, 'GET', `/api/v1/models/payments/fraud-detector/report?from=${now - 600_000}&to=${now + 60_000}`);
    expect(r.status).toBe(200);
    const texts = (r.json.timeline as Array<{ text: string }>).map((e) => e.text);
    expect(texts).toContain('alert fired: ModelSLOErrorBudgetBurn (page, slo=availability, 1h/5m) → oncall');
    expect(texts).toContain('alert resolved: ModelSLOErrorBudgetBurn (page, slo=availability, 1h/5m) → oncall');
    expect(texts).toContain('alert fired: ModelSLOErrorBudgetBurn (ticket, slo=latency, 1d/2h) → fraud-ml');
    expect(texts.some((t) => t.startsWith('alert fired: ModelDrift (ticket, feature=amount) → fraud-ml'))).toBe(true);
    expect(r.json.detection.detectedMs).toBe(pageStart.getTime());
  });

  it('refuses a notification without the token, and a malformed one naming the field', async () => {
    const body = JSON.stringify({ status: 'firing', receiver: 'modelslo-journal', alerts: [{ status: 'firing', labels: {}, startsAt: 'x' }] });
    const anon = await fetch(`${daemon.url}/v1/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anon.status).toBe(401);
    const bad = await fetch(`${daemon.url}/v1/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` }, body });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^body\.alerts\.0\.(labels|startsAt)/);
  });
});
