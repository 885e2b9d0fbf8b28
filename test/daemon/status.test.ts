/** The status API over HTTP: models, SLO status computed from stored request records, predictions paging errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREDICTIONS_URL } from '../../src/rules/dashboards/debug.js';
import { BATCH_TYPE, sidecarEvent } from '../support/events.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon();
  // 200 responses in the last minute: 10 are 5xx (5% errors), 30 are slower than 200 ms (15%).
  const now = Date.now();
  const batch = Array.from({ length: 200 }, (_, i) => sidecarEvent('response', `st-${i}`, { status: i < 10 ? 503 : 200, latencyMs: i >= 170 ? 450 : 20, timeMs: now - 30_000 }));
  expect((await d.post('/v1/events', JSON.stringify(batch), BATCH_TYPE)).status).toBe(200);
});
afterAll(async () => {
  await d.stop();
});

interface SloBody {
  slos: Array<{ slo: string; source: string; budgetRemaining: number; errorRatios: Record<string, number | null>; burnRates: Array<{ severity: string; long: string; longBurnRate: number; firing: boolean }> }>;
}

describe('GET /api/v1/models/{ns}/{model}/slo', () => {
  it('computes budget remaining and burn rates from stored records, saying so', async () => {
    const r = await d.get('/api/v1/models/payments/fraud-detector/slo');
    expect(r.status).toBe(200);
    const [availability, latency] = (r.body as SloBody).slos;
    expect(availability?.source).toBe('store');
    expect(availability?.errorRatios['5m']).toBeCloseTo(10 / 200, 12);
    // budget 0.001: 0.05 / 0.001 = 50× burn; remaining = 1 − 0.05/0.001 = −49.
    expect(availability?.budgetRemaining).toBeCloseTo(1 - 0.05 / 0.001, 9);
    expect(availability?.burnRates.find((b) => b.long === '1h')).toMatchObject({ severity: 'page', firing: true });
    expect(availability?.burnRates.find((b) => b.long === '1h')?.longBurnRate).toBeCloseTo(50, 9);
    // latency budget 0.01: 0.15 / 0.01 = 15×, over the 13.44× page factor of a 28d window.
    expect(latency?.errorRatios['1h']).toBeCloseTo(30 / 200, 12);
    expect(latency?.burnRates.every((b) => b.firing)).toBe(true);
  });

  it('answers 404 naming a model that is not configured', async () => {
    expect(await d.get('/api/v1/models/payments/nope/slo')).toMatchObject({ status: 404, body: { error: 'model payments/nope is not in the config' } });
  });
});

describe('GET /api/v1/models and predictions', () => {
  it('lists configured models with stored counts', async () => {
    const r = await d.get('/api/v1/models');
    expect((r.body as { models: unknown[] }).models).toContainEqual(expect.objectContaining({ namespace: 'payments', model: 'fraud-detector', configured: true, slos: ['availability', 'latency'], predictions: expect.objectContaining({ total: 200, pending: 200 }) }));
  });

  it.each([
    ['limit=0', 'query.limit: must be an integer from 1 to 1000, got "0"'],
    ['from=yesterday', 'query.from: must be an RFC 3339 time or epoch milliseconds, got "yesterday"'],
    ['cursor=zzz', 'cursor: not a cursor returned by this API ("zzz")'],
  ])('answers 400 to %s, naming the parameter', async (query, error) => {
    expect(await d.get(`/api/v1/models/payments/fraud-detector/predictions?${query}`)).toMatchObject({ status: 400, body: { error } });
  });

  it('pages with limit and cursor', async () => {
    const first = await d.get('/api/v1/models/payments/fraud-detector/predictions?limit=150');
    const body = first.body as { items: unknown[]; cursor: string };
    expect(body.items).toHaveLength(150);
    const second = await d.get(`/api/v1/models/payments/fraud-detector/predictions?limit=150&cursor=${body.cursor}`);
    expect(second.body).toMatchObject({ cursor: null });
    expect((second.body as { items: unknown[] }).items).toHaveLength(50);
  });

  it("answers the debug dashboard's Recent predictions link, Grafana's epoch-ms time range filled in", async () => {
    const link = (fromMs: number, toMs: number): string =>
      PREDICTIONS_URL.replace('${daemon_url}', '').replace('${namespace}', 'payments').replace('${model}', 'fraud-detector').replace('${__from}', String(fromMs)).replace('${__to}', String(toMs));
    const now = Date.now();
    const within = await d.get(link(now - 120_000, now));
    expect(within.status).toBe(200);
    expect((within.body as { items: unknown[] }).items).toHaveLength(100);
    const after = await d.get(link(now - 10_000, now));
    expect((after.body as { items: unknown[] }).items).toHaveLength(0);
  });
});
