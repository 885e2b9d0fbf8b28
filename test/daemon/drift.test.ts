/**
 * Drift checks in the real daemon, end to end: a real Alertmanager configured with the routing
 * `modelslo generate` writes (timers shortened), a webhook receiver, and the daemon ingesting
 * sidecar batches over HTTP. Drifting traffic → on-demand check → the owners' receiver gets
 * ModelDrift, the on-call's nothing; traffic back at the reference → the alert resolves. Also the
 * gauges on /metrics, the stored history, and the daemon's numbers against driftReport computed
 * directly on the rows that were sent.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the API's JSON answers are read loosely in assertions */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { driftReport } from '../../src/drift/report.js';
import type { DriftReport } from '../../src/drift/types.js';
import { generatedRoutingForTests, startAlertmanager, type AlertmanagerServer } from '../support/alertmanager.js';
import { callDaemon, TEST_TOKEN } from '../support/daemon.js';
import { sidecarEvent } from '../support/events.js';
import { mustParse } from '../support/fixtures.js';
import { startWebhook, type WebhookServer } from '../support/webhook.js';

/** A seeded generator (mulberry32) and normal draws (Box–Muller). */
function rng(seed: number): { uniform: () => number; normal: (mu: number, sd: number) => number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { uniform, normal: (mu, sd) => mu + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

interface Row {
  amount: number;
  country: string;
  prediction: number;
}

/** Rows from the reference distribution (shifted = drifting traffic). */
function rows(n: number, seed: number, shifted: boolean): Row[] {
  const r = rng(seed);
  const countries = shifted ? ['US', 'US', 'US', 'NL'] : ['NL', 'DE', 'FR', 'NL'];
  return Array.from({ length: n }, () => ({
    amount: Math.round(r.normal(shifted ? 160 : 100, 30) * 100) / 100,
    country: countries[Math.floor(r.uniform() * countries.length)] ?? 'NL',
    prediction: Math.round((shifted ? 0.5 + r.uniform() * 0.4 : r.uniform() * 0.3) * 1e4) / 1e4,
  }));
}

/** A sidecar batch: one V2 request and response per row. */
function batch(prefix: string, data: Row[], endpoint = 'default'): string {
  return JSON.stringify(
    data.flatMap((row, i) => [
      { ...sidecarEvent('request', `${prefix}-${i}`, { data: { inputs: [{ name: 'amount', shape: [1], datatype: 'FP64', data: [row.amount] }, { name: 'country', shape: [1], datatype: 'BYTES', data: [row.country] }] } }), endpoint },
      { ...sidecarEvent('response', `${prefix}-${i}`, { data: { model_name: 'fraud-detector', outputs: [{ name: 'fraud_probability', shape: [1], datatype: 'FP64', data: [row.prediction] }] } }), endpoint },
    ]),
  );
}

function configText(hookUrl: string, amUrl: string): string {
  return [
    'alerting:',
    `  alertmanager_url: ${amUrl}`,
    '  oncall_receiver: oncall',
    '  receivers:',
    `    - { name: oncall, webhook_configs: [{ url: "${hookUrl}/oncall", send_resolved: true }] }`,
    `    - { name: fraud-ml, webhook_configs: [{ url: "${hookUrl}/owners", send_resolved: true }] }`,
    'models:',
    '  - name: fraud-detector',
    '    namespace: payments',
    '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
    '    dashboard_url: http://grafana.test/d/debug?var-model=fraud-detector',
    '    slos: [{ name: availability, objective: 99.9, sli: { availability: {} } }]',
    '    drift:',
    '      reference: { file: ref.jsonl }',
    '      window: 4s',
    '      min_samples: 50',
    '      features: [{ name: amount, kind: numeric }, { name: country, kind: categorical }]',
    '      prediction: { path: "outputs[0].data[0]", kind: numeric }',
  ].join('\n');
}


const REFERENCE = rows(300, 1, false);
let dir: string;
let hook: WebhookServer;
let am: AlertmanagerServer;
let daemon: RunningDaemon;

const call = (method: 'GET' | 'POST', path: string, body?: string): ReturnType<typeof callDaemon> => callDaemon(daemon.url, method, path, body);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelslo-drift-'));
  writeFileSync(join(dir, 'ref.jsonl'), REFERENCE.map((r) => JSON.stringify(r)).join('\n'));
  hook = await startWebhook();
  am = await startAlertmanager(generatedRoutingForTests(mustParse(configText(hook.url, 'http://127.0.0.1:9093'))));
  // Parsed as if read from dir/modelslo.yaml: the relative reference resolves against dir.
  const config = mustParse(configText(hook.url, am.url), join(dir, 'modelslo.yaml'));
  daemon = await startDaemon({ config, token: TEST_TOKEN, listen: '127.0.0.1:0', db: join(dir, 'modelslo.db') });
}, 30_000);

afterAll(async () => {
  await daemon?.close();
  await am?.stop();
  await hook?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Run = { time: string; endpoint: string; window: { from: string; to: string }; level: string; features: Array<Record<string, any>> };

function expectSameNumbers(run: Run, direct: DriftReport): void {
  expect(run.level).toBe(direct.level);
  for (const f of direct.features) {
    const got = run.features.find((x) => x.feature === f.feature);
    expect(got, f.feature).toBeDefined();
    expect(got).toMatchObject({ test: f.test, level: f.level, referenceSize: f.referenceSize, currentSize: f.currentSize, threshold: f.thresholds.drift });
    for (const [k, v] of [['score', f.score], ['pValue', f.pValue], ['adjustedPValue', f.adjustedPValue]] as const) {
      if (v === undefined || v === null) expect(got?.[k]).toBeNull();
      else expect(Math.abs((got?.[k] as number) - v)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)));
    }
  }
}

const direct = (current: Row[]): DriftReport =>
  driftReport(
    (['amount', 'country', 'prediction'] as const).map((name) => ({
      name,
      kind: name === 'country' ? ('categorical' as const) : ('numeric' as const),
      reference: REFERENCE.map((r) => r[name]) as number[] | string[],
      current: current.map((r) => r[name]) as number[] | string[],
    })),
    { minSamples: 50, correction: 'benjamini-hochberg', driftShare: 0.5 },
  );

describe('drift checks in the daemon, with a real Alertmanager', () => {
  const drifting = rows(200, 2, true);
  const calm = rows(200, 3, false);
  let firstRun: Run;
  let t0: number;

  it('alerts the owners (never the on-call) when traffic drifts, with numbers equal to driftReport on the same rows', async () => {
    const status = await call('GET', '/api/v1/models/payments/fraud-detector/drift');
    expect(status.json).toMatchObject({ status: 'ready', reference: { rows: 300, features: [{ feature: 'amount', kind: 'numeric', test: 'ks', size: 300 }, { feature: 'country', test: 'chi_square' }, { feature: 'prediction', test: 'ks' }] } });
    expect(status.json.reference.source).toBe(`file ${join(dir, 'ref.jsonl')}`);
    t0 = Date.now();
    expect((await call('POST', '/v1/events', batch('drift', drifting))).status).toBe(200);
    const run = await call('POST', '/api/v1/models/payments/fraud-detector/drift/run');
    expect(run.status).toBe(200);
    expect(run.json.runs).toHaveLength(1);
    firstRun = run.json.runs[0] as Run;
    expect(firstRun.endpoint).toBe('all');
    expectSameNumbers(firstRun, direct(drifting));
    expect(firstRun.level).toBe('drift');

    const firing = await hook.waitFor((n) => n.path === '/owners' && n.status === 'firing' && n.alerts.length === 3);
    expect(firing.receiver).toBe('fraud-ml');
    const amount = firing.alerts.find((a) => a.labels.feature === 'amount');
    expect(amount?.labels).toEqual({ alertname: 'ModelDrift', severity: 'ticket', model: 'fraud-detector', namespace: 'payments', feature: 'amount', owner: 'fraud-ml' });
    expect(amount?.annotations.summary).toMatch(/^payments\/fraud-detector: feature amount drifted \(ks p-value .+, threshold 0\.05\)$/);
    expect(amount?.annotations.top_features?.split(', ').sort()).toEqual(['amount', 'country', 'prediction']);
    expect(amount?.annotations.dashboard).toBe('http://grafana.test/d/debug?var-model=fraud-detector');
  });

  it('exports the gauges with the configured features only, the prediction as feature="prediction"', async () => {
    const text = (await call('GET', '/metrics')).text;
    const series = (name: string): Array<Record<string, string>> =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`))
        .map((l) => Object.fromEntries([...l.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]])) as Record<string, string>);
    const scores = series('modelslo_drift_score');
    expect(scores.map((s) => `${s.feature}/${s.test}`).sort()).toEqual(['amount/ks', 'country/chi_square', 'prediction/ks']);
    expect(scores.every((s) => s.model === 'fraud-detector' && s.namespace === 'payments')).toBe(true);
    const amountScore = firstRun.features.find((f) => f.feature === 'amount')?.score as number;
    expect(text).toMatch(new RegExp(`modelslo_drift_score\\{[^}]*feature="amount"[^}]*\\} ${String(amountScore).slice(0, 8)}`));
    for (const f of ['amount', 'country', 'prediction']) expect(text).toMatch(new RegExp(`modelslo_drift_detected\\{model="fraud-detector",namespace="payments",feature="${f}"\\} 1`));
    expect(text).toMatch(/modelslo_drift_checks_total\{model="fraud-detector",namespace="payments",outcome="ok"\} 1/);
  });

  it('resolves the alert when traffic is back at the reference distribution; the on-call receiver got nothing', async () => {
    // Let the drifting rows leave the 4 s window.
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + 4500 - Date.now())));
    expect((await call('POST', '/v1/events', batch('calm', calm))).status).toBe(200);
    const run = await call('POST', '/api/v1/models/payments/fraud-detector/drift/run');
    const second = run.json.runs[0] as Run;
    expectSameNumbers(second, direct(calm));
    expect(second.level).not.toBe('drift');
    const resolvedFeatures = (): string[] => [...new Set(hook.received.filter((n) => n.path === '/owners').flatMap((n) => n.alerts.filter((a) => a.status === 'resolved').map((a) => a.labels.feature ?? '')))].sort();
    await hook.waitFor(() => resolvedFeatures().length === 3);
    expect(resolvedFeatures()).toEqual(['amount', 'country', 'prediction']);
    await new Promise((r) => setTimeout(r, 2500));
    expect(hook.received.filter((n) => n.path === '/oncall')).toEqual([]);
    expect((await call('GET', '/metrics')).text).toMatch(/modelslo_drift_detected\{model="fraud-detector",namespace="payments",feature="amount"\} 0/);
  });

  it('keeps the history: window, test, score, p-value, threshold and sample sizes of each run', async () => {
    const all = await call('GET', `/api/v1/models/payments/fraud-detector/drift?from=${new Date(t0 - 60_000).toISOString()}&to=${Date.now() + 1000}`);
    expect(all.status).toBe(200);
    const runs = all.json.runs as Run[];
    expect(runs).toHaveLength(2);
    expect(runs[0]?.level).toBe('drift');
    expect(runs[1]?.level).not.toBe('drift');
    const amount = runs[0]?.features.find((f) => f.feature === 'amount');
    expect(amount).toEqual({ ...firstRun.features.find((f) => f.feature === 'amount') });
    expect(amount).toMatchObject({ test: 'ks', threshold: 0.05, referenceSize: 300, currentSize: 200, level: 'drift' });
    expect(typeof amount?.score).toBe('number');
    expect(typeof amount?.pValue).toBe('number');
    expect(Date.parse(runs[0]?.window.to ?? '') - Date.parse(runs[0]?.window.from ?? '')).toBe(4000);
    const latest = await call('GET', '/api/v1/models/payments/fraud-detector/drift');
    expect(latest.json.latest).toHaveLength(1);
    expect(latest.json.latest[0].time).toBe(runs[1]?.time);
    expect(latest.json.lastRun).toMatchObject({ samples: 200 });
    const none = await call('GET', '/api/v1/models/payments/fraud-detector/drift?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z');
    expect(none.json.runs).toEqual([]);
    expect((await call('GET', '/api/v1/models/payments/fraud-detector/drift?from=yesterday')).json).toEqual({ error: 'query.from: must be an RFC 3339 time or epoch milliseconds, got "yesterday"' });
    expect((await call('GET', '/api/v1/models/payments/nope/drift')).status).toBe(404);
  });
});
