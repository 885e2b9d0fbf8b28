/**
 * The two roles together, as deployed: a real model server, the sidecar in front of it shipping
 * captures (CloudEvents batches) and spans (OTLP/HTTP) to the real daemon with its bearer token.
 * The daemon must store every exchange as one joined prediction with status, latency and decoded
 * features, link it to its span, and compute the SLO status from those records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { startTestDaemon, TEST_TOKEN, type TestDaemon } from '../support/daemon.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { send, tempDir, testOptions, waitFor } from '../sidecar/helpers.js';

interface Prediction {
  requestId: string;
  state: string;
  status: number | null;
  latencyMs: number | null;
  features: Array<Record<string, unknown>> | null;
  predictions: unknown[] | null;
  traceId: string | null;
  revision: string | null;
}

let model: ModelServer;
let daemon: TestDaemon;
let sidecar: Sidecar;
let cleanup: () => Promise<void>;

const OK = 24;
const FAILED = 6;
const ids: string[] = [];

beforeAll(async () => {
  model = await startModelServer();
  daemon = await startTestDaemon();
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  sidecar = await startSidecar(
    testOptions(model.url, daemon.url, tmp.dir, undefined, (o) => {
      o.token = TEST_TOKEN;
      o.defaultModel = 'fraud-detector';
    }),
  );
  for (let i = 0; i < OK + FAILED; i++) {
    const id = `it-${i}-${Date.now()}`;
    ids.push(id);
    const body = JSON.stringify({ id, inputs: [{ name: 'amount', datatype: 'FP32', shape: [1], data: [10 + i] }, { name: 'country', datatype: 'BYTES', shape: [1], data: [i % 2 === 0 ? 'NL' : 'DE'] }] });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': id };
    if (i >= OK) headers['x-test-status'] = '500';
    const r = await send(`${sidecar.url}/v2/models/fraud-detector/infer`, { headers, body });
    expect(r.status).toBe(i >= OK ? 500 : 200);
  }
  sidecar.flushQueue();
}, 60_000);

afterAll(async () => {
  await sidecar?.close(2_000);
  await daemon?.stop();
  await model?.stop();
  await cleanup?.();
});

async function predictions(): Promise<Prediction[]> {
  const r = await daemon.get('/api/v1/models/payments/fraud-detector/predictions?limit=500');
  return ((r.body as { items?: Prediction[] } | null)?.items ?? []).filter((p) => ids.includes(p.requestId));
}

describe('sidecar → daemon', () => {
  it('stores every exchange once, joined, with status, latency and revision', async () => {
    await waitFor('all predictions joined', async () => (await predictions()).filter((p) => p.state === 'joined').length === ids.length, 20_000);
    const got = await predictions();
    expect(got).toHaveLength(ids.length);
    expect(new Set(got.map((p) => p.requestId)).size).toBe(ids.length);
    expect(got.filter((p) => p.status === 500)).toHaveLength(FAILED);
    expect(got.filter((p) => p.status === 200)).toHaveLength(OK);
    for (const p of got) {
      expect(p.latencyMs).toBeGreaterThanOrEqual(0);
      expect(p.revision).toBe('fraud-detector-predictor-00001');
    }
  });

  it('decodes the V2 inputs into named feature columns', async () => {
    const byId = new Map((await predictions()).map((p) => [p.requestId, p]));
    const first = byId.get(ids[0] ?? '');
    expect(first?.features?.[0]).toMatchObject({ amount: 10, country: 'NL' });
    expect(byId.get(ids[1] ?? '')?.features?.[0]).toMatchObject({ amount: 11, country: 'DE' });
  });

  it('links predictions to the spans the sidecar exported', async () => {
    await waitFor('trace ids on predictions', async () => (await predictions()).filter((p) => p.traceId !== null).length === ids.length, 20_000);
    const models = (await daemon.get('/api/v1/models')).body as { models: Array<{ model: string; spans: { total: number; errors: number } }> };
    const spans = models.models.find((m) => m.model === 'fraud-detector')?.spans;
    expect(spans?.total).toBeGreaterThanOrEqual(ids.length);
    expect(spans?.errors).toBeGreaterThanOrEqual(FAILED);
  });

  it('computes the availability SLO from the stored records: the injected error ratio', async () => {
    const r = await daemon.get('/api/v1/models/payments/fraud-detector/slo');
    const slos = (r.body as { slos: Array<{ slo: string; source: string; errorRatios: Record<string, number | null>; requests: number | null }> }).slos;
    const availability = slos.find((s) => s.slo === 'availability');
    expect(availability?.source).toBe('store');
    expect(availability?.errorRatios['5m']).toBeCloseTo(FAILED / (OK + FAILED), 12);
  });
});
