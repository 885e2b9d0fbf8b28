/**
 * Drift references and endpoints in the real daemon: the canary split (default and canary
 * computed apart), bad reference files (the status says why, the daemon keeps serving), and a
 * reference taken from a time range of stored traffic, checked on a node-cron schedule of one
 * second, with Alertmanager unreachable (retries counted, the check still succeeds).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { callDaemon, TEST_TOKEN } from '../support/daemon.js';
import { sidecarEvent } from '../support/events.js';
import { mulberry32 } from '../../src/demo/prng.js';
import { mustParse } from '../support/fixtures.js';
import { freePort } from '../support/free-port.js';

const rng = mulberry32;

interface Row {
  amount: number;
  country: string;
  prediction: number;
}

function rows(n: number, seed: number, shifted: boolean): Row[] {
  const u = rng(seed);
  const countries = shifted ? ['US', 'US', 'US', 'NL'] : ['NL', 'DE', 'FR', 'NL'];
  return Array.from({ length: n }, () => ({
    amount: Math.round((shifted ? 150 : 100) + (u() - 0.5) * 60),
    country: countries[Math.floor(u() * countries.length)] ?? 'NL',
    prediction: Math.round((shifted ? 0.5 + u() * 0.4 : u() * 0.3) * 1e4) / 1e4,
  }));
}

function batch(prefix: string, data: Row[], opts: { endpoint?: string; model?: string; timeMs?: number } = {}): string {
  const model = opts.model ?? 'fraud-detector';
  const at = { model, ...(opts.timeMs !== undefined ? { timeMs: opts.timeMs } : {}) };
  return JSON.stringify(
    data.flatMap((row, i) => [
      { ...sidecarEvent('request', `${prefix}-${i}`, { ...at, data: { inputs: [{ name: 'amount', shape: [1], datatype: 'FP64', data: [row.amount] }, { name: 'country', shape: [1], datatype: 'BYTES', data: [row.country] }] } }), endpoint: opts.endpoint ?? 'default' },
      { ...sidecarEvent('response', `${prefix}-${i}`, { ...at, data: { model_name: model, outputs: [{ name: 'fraud_probability', shape: [1], datatype: 'FP64', data: [row.prediction] }] } }), endpoint: opts.endpoint ?? 'default' },
    ]),
  );
}

const model = (name: string, drift: string[]): string[] => [
  `  - name: ${name}`,
  '    namespace: payments',
  '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
  '    slos: [{ name: availability, objective: 99.9, sli: { availability: {} } }]',
  '    drift:',
  ...drift.map((l) => `      ${l}`),
];
const FEATURES = ['min_samples: 50', 'features: [{ name: amount, kind: numeric }, { name: country, kind: categorical }]'];

let dir: string;
let amUrl: string;
const daemons: RunningDaemon[] = [];

async function start(models: string[]): Promise<RunningDaemon> {
  const text = ['alerting:', `  alertmanager_url: ${amUrl}`, '  oncall_receiver: oncall', '  receivers: [{ name: oncall }, { name: fraud-ml }]', 'models:', ...models].join('\n');
  const d = await startDaemon({ config: mustParse(text, join(dir, 'modelslo.yaml')), token: TEST_TOKEN, listen: '127.0.0.1:0', db: join(dir, 'modelslo.db') });
  daemons.push(d);
  return d;
}

const call = (d: RunningDaemon, method: 'GET' | 'POST', path: string, body?: string): ReturnType<typeof callDaemon> => callDaemon(d.url, method, path, body);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelslo-drift-ref-'));
  amUrl = `http://127.0.0.1:${await freePort()}`; // nothing listens: Alertmanager unreachable
  writeFileSync(join(dir, 'ref.csv'), ['amount,country,prediction', ...rows(300, 1, false).map((r) => `${r.amount},${r.country},${r.prediction}`)].join('\n'));
  writeFileSync(join(dir, 'bad.jsonl'), '{"amount": 1, "country": "NL"}\nnot json\n');
  writeFileSync(join(dir, 'nocol.jsonl'), '{"price": 1}\n{"price": 2}\n');
});

afterAll(async () => {
  for (const d of daemons) await d.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('drift references and endpoints', () => {
  it('computes default and canary apart when both are in the window, recording the endpoint', async () => {
    const d = await start(model('fraud-detector', ['reference: { file: ref.csv }', ...FEATURES, 'prediction: { path: fraud_probability, kind: numeric }']));
    expect((await call(d, 'POST', '/v1/events', batch('d', rows(150, 2, false)))).status).toBe(200);
    expect((await call(d, 'POST', '/v1/events', batch('c', rows(150, 3, true), { endpoint: 'canary' }))).status).toBe(200);
    const run = await call(d, 'POST', '/api/v1/models/payments/fraud-detector/drift/run');
    expect(run.status).toBe(200);
    const runs = run.json.runs as Array<{ endpoint: string; level: string; features: Array<{ feature: string; currentSize: number; level: string }> }>;
    expect(runs.map((r) => r.endpoint)).toEqual(['default', 'canary']);
    expect(runs[0]?.level).not.toBe('drift');
    expect(runs[1]?.level).toBe('drift');
    expect(runs.every((r) => r.features.every((f) => f.currentSize === 150))).toBe(true);
    expect(runs[1]?.features.map((f) => f.feature)).toEqual(['amount', 'country', 'prediction']);
    const latest = await call(d, 'GET', '/api/v1/models/payments/fraud-detector/drift');
    expect((latest.json.latest as Array<{ endpoint: string }>).map((r) => r.endpoint)).toEqual(['default', 'canary']);
    // Gauges and alerts follow the primary (default) traffic; canary drift is the canary analysis' concern.
    expect((await call(d, 'GET', '/metrics')).text).toMatch(/modelslo_drift_detected\{model="fraud-detector",namespace="payments",feature="amount"\} 0/);
    await d.close();
  });

  it.each([
    ['a line that is not JSON', 'bad.jsonl', '{dir}/bad.jsonl:2: not JSON'],
    ['a missing file', 'missing.jsonl', '{dir}/missing.jsonl: cannot read (ENOENT)'],
    ['a file without the feature', 'nocol.jsonl', 'feature "amount" (numeric, path amount) has no values in the 2 reference rows'],
  ])('gives a status that says why for %s, and keeps serving', async (_name, file, why) => {
    const d = await start(model('fraud-detector', [`reference: { file: ${file} }`, ...FEATURES]));
    const status = await call(d, 'GET', '/api/v1/models/payments/fraud-detector/drift');
    expect(status.json.status).toBe('reference_error');
    expect(status.json.error).toBe(`could not load reference "${join(dir, file)}": ${why.replace('{dir}', dir)}`);
    const run = await call(d, 'POST', '/api/v1/models/payments/fraud-detector/drift/run');
    expect(run.status).toBe(409);
    expect(run.json.error).toContain('could not load reference');
    expect((await call(d, 'GET', '/healthz')).status).toBe(200);
    expect((await call(d, 'POST', '/v1/events', batch(`x-${file}`, rows(2, 9, false)))).json).toMatchObject({ stored: 4 });
    expect((await call(d, 'GET', '/metrics')).text).toMatch(/modelslo_background_failures_total\{job="drift-reference"\} 1/);
    await d.close();
  });

  it('takes the reference from stored traffic, checks on its cron schedule, and counts retries while Alertmanager is down', async () => {
    const now = Date.now();
    const writer = await start([...model('other', ['reference: { file: ref.csv }', ...FEATURES])]);
    expect((await call(writer, 'POST', '/v1/events', batch('past', rows(200, 4, false), { model: 'ranker', timeMs: now - 2 * 3600_000 }))).status).toBe(200);
    await writer.close();
    const range = `reference: { from: "${new Date(now - 3 * 3600_000).toISOString()}", to: "${new Date(now - 3600_000).toISOString()}" }`;
    const d = await start(model('ranker', [range, 'schedule: "* * * * * *"', ...FEATURES, 'prediction: { path: "outputs[0].data[0]", kind: numeric }']));
    const status = await call(d, 'GET', '/api/v1/models/payments/ranker/drift');
    expect(status.json).toMatchObject({ status: 'ready', reference: { rows: 200, features: [{ feature: 'amount', size: 200 }, { feature: 'country', size: 200 }, { feature: 'prediction', size: 200 }] } });
    expect(status.json.reference.source).toMatch(/^stored traffic /);
    expect((await call(d, 'POST', '/v1/events', batch('now', rows(120, 5, true), { model: 'ranker' }))).status).toBe(200);
    const deadline = Date.now() + 10_000;
    let latest: Array<{ level: string; features: Array<{ currentSize: number }> }> = [];
    while (Date.now() < deadline) {
      latest = (await call(d, 'GET', '/api/v1/models/payments/ranker/drift')).json.latest;
      if (latest.length > 0 && latest[0]?.features[0]?.currentSize === 120) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(latest[0]?.level).toBe('drift');
    let metrics = '';
    while (Date.now() < deadline) {
      metrics = (await call(d, 'GET', '/metrics')).text;
      if (/modelslo_alertmanager_retries_total [1-9]/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(metrics).toMatch(/modelslo_alertmanager_retries_total [1-9]/);
    expect(metrics).toMatch(/modelslo_drift_checks_total\{model="ranker",namespace="payments",outcome="ok"\} [1-9]/);
    expect((await call(d, 'GET', '/healthz')).status).toBe(200);
  });
});
