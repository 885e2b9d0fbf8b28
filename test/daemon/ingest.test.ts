/** The daemon over HTTP with real clients: KServe logger events, sidecar batches, dedupe, auth, limits. */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_BATCH_TYPE, encodeCaptureBatch } from '../../src/ingest/capture-batch.js';
import { BATCH_TYPE, kserveHeaders, sidecarEvent } from '../support/events.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon('limits: { body_bytes: 65536, event_payload_bytes: 8192, json_depth: 16 }');
});
afterAll(async () => {
  await d.stop();
});

interface Item {
  requestId: string;
  state: string;
  status: number | null;
  latencyMs: number | null;
  endpoint: string;
  features: Array<Record<string, unknown>> | null;
  predictions: Array<Record<string, unknown>> | null;
  request: unknown;
  response: unknown;
}

async function prediction(id: string, model = 'fraud-detector'): Promise<Item | undefined> {
  const r = await d.get(`/api/v1/models/payments/${model}/predictions?limit=1000`);
  expect(r.status).toBe(200);
  return (r.body as { items: Item[] }).items.find((i) => i.requestId === id);
}

function rowCount(table: string): number {
  const db = new Database(d.dbFile, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const V1_REQUEST = JSON.stringify({ instances: [{ amount: 10.5, country: 'DE' }, { amount: 99, country: 'FR' }] });
const V1_RESPONSE = JSON.stringify({ predictions: [0.1, 0.9] });

describe('KServe payload logger (binary mode, its exact header set)', () => {
  it('joins a request then its response into one prediction with V1 features and predictions', async () => {
    const req = await d.post('/', V1_REQUEST, kserveHeaders('request', 'kserve-a'));
    expect(req).toMatchObject({ status: 200, body: { stored: 1, duplicates: 0 } });
    expect((await prediction('kserve-a'))?.state).toBe('pending');
    const res = await d.post('/', V1_RESPONSE, kserveHeaders('response', 'kserve-a'));
    expect(res.status).toBe(200);
    const p = await prediction('kserve-a');
    expect(p).toMatchObject({ state: 'joined', endpoint: 'default', status: null, request: JSON.parse(V1_REQUEST), response: JSON.parse(V1_RESPONSE) });
    expect(p?.features).toEqual([{ amount: 10.5, country: 'DE' }, { amount: 99, country: 'FR' }]);
    expect(p?.predictions).toEqual([0.1, 0.9]);
  });

  it('joins a response that arrives before its request (also on /v1/events)', async () => {
    expect((await d.post('/v1/events', V1_RESPONSE, kserveHeaders('response', 'kserve-b', { endpoint: 'canary' }))).status).toBe(200);
    expect((await prediction('kserve-b'))?.state).toBe('pending');
    expect((await d.post('/v1/events', V1_REQUEST, kserveHeaders('request', 'kserve-b', { endpoint: 'canary' }))).status).toBe(200);
    expect(await prediction('kserve-b')).toMatchObject({ state: 'joined', endpoint: 'canary', predictions: [0.1, 0.9] });
  });

  it('stores a repeated (source, id, type) once', async () => {
    const first = await d.post('/', V1_REQUEST, kserveHeaders('request', 'kserve-dup'));
    const again = await d.post('/', V1_REQUEST, kserveHeaders('request', 'kserve-dup'));
    expect(first.body).toMatchObject({ stored: 1, duplicates: 0 });
    expect(again.body).toMatchObject({ stored: 0, duplicates: 1 });
    const db = new Database(d.dbFile, { readonly: true });
    const n = (db.prepare("SELECT COUNT(*) AS n FROM events WHERE id = 'kserve-dup'").get() as { n: number }).n;
    db.close();
    expect(n).toBe(1);
  });

  it('names the missing header', async () => {
    const h = kserveHeaders('request', 'x');
    delete h['Ce-Inferenceservicename'];
    expect(await d.post('/', V1_REQUEST, h)).toMatchObject({ status: 400, body: { error: 'ce-inferenceservicename: missing' } });
  });
});

describe('compact capture batches (application/x-modelslo-capture-batch)', () => {
  const TYPE = { 'content-type': CAPTURE_BATCH_TYPE };
  const head = { namespace: 'payments', revision: 'fraud-detector-predictor-00002', endpoint: 'default' };
  const ex = (id: string, request: string, response: string, status = 200) => ({
    id, start: Date.now() - 50, model: 'fraud-detector', protocol: 'v2' as const, path: '/v2/models/fraud-detector/infer', status, latencyMs: 7.5,
    requestType: 'application/json', responseType: 'application/json', requestBytes: Buffer.byteLength(request), responseBytes: Buffer.byteLength(response), requestTruncated: false, responseTruncated: false,
  });
  const V2_IN = JSON.stringify({ inputs: [{ name: 'amount', datatype: 'FP32', shape: [1], data: [42.5] }, { name: 'country', datatype: 'BYTES', shape: [1], data: ['NL'] }] });
  const V2_OUT = JSON.stringify({ outputs: [{ name: 'fraud_probability', datatype: 'FP32', shape: [1], data: [0.07] }] });

  it('stores both events of each exchange, joined, with V2 features, predictions, status and latency', async () => {
    const body = encodeCaptureBatch(head, [ex('cb-1', V2_IN, V2_OUT), ex('cb-2', V2_IN, '{"error":"overloaded"}', 503)], Buffer.from(V2_IN + V2_OUT + V2_IN + '{"error":"overloaded"}'));
    expect(await d.post('/v1/events', body, TYPE)).toMatchObject({ status: 200, body: { accepted: 4, stored: 4, duplicates: 0, refused: [] } });
    expect(await prediction('cb-1')).toMatchObject({ state: 'joined', status: 200, latencyMs: 7.5, features: [{ amount: 42.5, country: 'NL' }], predictions: [{ fraud_probability: 0.07 }] });
    expect(await prediction('cb-2')).toMatchObject({ state: 'joined', status: 503, predictions: null, response: { error: 'overloaded' } });
    expect(await d.post('/v1/events', body, TYPE)).toMatchObject({ status: 200, body: { stored: 0, duplicates: 4 } });
  });

  it('answers 400 naming the field when the header is bad, and stores nothing', async () => {
    const before = rowCount('events');
    const bad = Buffer.from(`${JSON.stringify({ format: 'modelslo-capture', version: 1, ...head, exchanges: [{ ...ex('cb-bad', '{}', '{}'), responseBytes: 99 }] })}\n{}{}`);
    expect(await d.post('/v1/events', bad, TYPE)).toMatchObject({ status: 400, body: { error: "exchanges: the bodies' byte counts add up to 101, but 4 bytes follow the header" } });
    expect(await d.post('/v1/events', Buffer.from('no header line'), TYPE)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^header: no newline/) } });
    expect(rowCount('events')).toBe(before);
  });

  it('refuses one exchange with a bad field by index, naming it, and stores its neighbour', async () => {
    const body = encodeCaptureBatch(head, [{ ...ex('cb-3', '{}', '{}'), status: 42 }, ex('cb-4', V2_IN, V2_OUT)], Buffer.from('{}{}' + V2_IN + V2_OUT));
    const error = 'exchanges[0].status: must be an HTTP status (integer 100–599), got 42';
    expect(await d.post('/v1/events', body, TYPE)).toMatchObject({ status: 200, body: { accepted: 2, stored: 2, refused: [{ index: 0, error }, { index: 1, error }] } });
    expect(await prediction('cb-4')).toMatchObject({ state: 'joined' });
  });

  it('needs the token like every other ingest request', async () => {
    const body = encodeCaptureBatch(head, [ex('cb-5', V2_IN, V2_OUT)], Buffer.from(V2_IN + V2_OUT));
    expect((await d.post('/v1/events', body, TYPE, false)).status).toBe(401);
  });
});

describe('sidecar batches (application/cloudevents-batch+json)', () => {
  it('stores a batch and decodes V2 tensors into named columns, with status and latency', async () => {
    const batch = [sidecarEvent('request', 'sc-1'), sidecarEvent('response', 'sc-1', { status: 200, latencyMs: 31 }), sidecarEvent('response', 'sc-2', { status: 503, latencyMs: 2, data: { error: 'overloaded' } })];
    const r = await d.post('/v1/events', JSON.stringify(batch), BATCH_TYPE);
    expect(r).toMatchObject({ status: 200, body: { accepted: 3, stored: 3 } });
    expect(await prediction('sc-1')).toMatchObject({ state: 'joined', status: 200, latencyMs: 31, features: [{ amount: 42.5, country: 'NL' }], predictions: [{ fraud_probability: 0.07 }] });
    expect(await prediction('sc-2')).toMatchObject({ state: 'pending', status: 503, predictions: null, response: { error: 'overloaded' } });
  });

  it('refuses only the 4th event of a batch, which lacks an id, naming it by index, and stores the other four', async () => {
    const before = rowCount('events');
    const batch = [0, 1, 2, 3, 4].map((i) => sidecarEvent('request', `bad-batch-${i}`));
    delete batch[3]?.id;
    const r = await d.post('/v1/events', JSON.stringify(batch), BATCH_TYPE);
    expect(r).toMatchObject({ status: 200, body: { accepted: 4, stored: 4, refused: [{ index: 3, error: 'events[3].ce-id: missing' }] } });
    expect(rowCount('events')).toBe(before + 4);
    for (const i of [0, 1, 2, 4]) expect(await prediction(`bad-batch-${i}`)).toMatchObject({ state: 'pending' });
  });

  it('stores a malformed V2 body raw, with the reason naming the tensor, beside its neighbours', async () => {
    const ev = sidecarEvent('request', 'v2-bad', { data: { inputs: [{ name: 'amount', shape: [2], datatype: 'FP32', data: [1] }] } });
    const r = await d.post('/v1/events', JSON.stringify([sidecarEvent('request', 'ok-1'), ev]), BATCH_TYPE);
    expect(r).toMatchObject({ status: 200, body: { accepted: 2, stored: 2, refused: [] } });
    expect(await prediction('v2-bad')).toMatchObject({ features: null, decodeError: 'data.inputs[0].data: has 1 elements, shape [2] needs 2', request: { inputs: [{ name: 'amount', data: [1] }] } });
    expect(await prediction('ok-1')).toMatchObject({ decodeError: null, features: [{ amount: 42.5, country: 'NL' }] });
  });

  it('refuses the whole request only when it is not a JSON array of events', async () => {
    expect(await d.post('/v1/events', '{"not":"a list"}', BATCH_TYPE)).toMatchObject({ status: 400, body: { error: 'events: must be a non-empty JSON array of CloudEvents' } });
    expect(await d.post('/v1/events', '[{"specversion":"1.0"', BATCH_TYPE)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^body: not valid JSON/) } });
  });

  it('clamps a far-future ce-time to the time of receipt, so retention can age it out', async () => {
    const t0 = Date.now();
    const ev = sidecarEvent('request', 'future-1', { timeMs: Date.UTC(2999, 0, 1) });
    expect((await d.post('/v1/events', JSON.stringify([ev]), BATCH_TYPE)).status).toBe(200);
    const p = (await prediction('future-1')) as unknown as { timeMs: number };
    expect(p.timeMs).toBeGreaterThanOrEqual(t0);
    expect(p.timeMs).toBeLessThanOrEqual(Date.now());
    const soon = sidecarEvent('request', 'future-2', { timeMs: t0 + 60_000 });
    expect((await d.post('/v1/events', JSON.stringify([soon]), BATCH_TYPE)).status).toBe(200);
    expect(await prediction('future-2')).toMatchObject({ timeMs: t0 + 60_000 });
  });
});

describe('safety', () => {
  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', 'Bearer wrong-token'],
    ['a token without the Bearer scheme', 'test-token-4b1d2c9e8f7a'],
  ])('answers 401 to %s', async (_name, authorization) => {
    const r = await d.post('/v1/events', '[]', { ...BATCH_TYPE, ...(authorization === undefined ? {} : { authorization }) }, false);
    expect(r.status).toBe(401);
    expect((await d.get('/api/v1/models', false)).status).toBe(401);
  });

  it('serves /healthz and /readyz without a token', async () => {
    expect((await d.get('/healthz', false)).status).toBe(200);
    expect(await d.get('/readyz', false)).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('answers 413 to a body over daemon.limits.body_bytes and stores nothing', async () => {
    const before = rowCount('events');
    const big = JSON.stringify(Array.from({ length: 100 }, (_, i) => sidecarEvent('request', `big-${i}`, { data: { instances: ['x'.repeat(700)] } })));
    expect(big.length).toBeGreaterThan(65536);
    const r = await d.post('/v1/events', big, BATCH_TYPE);
    expect(r.status).toBe(413);
    expect((r.body as { error: string }).error).toContain('daemon.limits.body_bytes');
    expect(rowCount('events')).toBe(before);
  });

  it('rejects an event payload over the per-event cap and JSON nested past the depth limit', async () => {
    const fat = sidecarEvent('request', 'fat', { data: { instances: ['y'.repeat(9000)] } });
    expect((await d.post('/v1/events', JSON.stringify([fat]), BATCH_TYPE)).body).toMatchObject({ stored: 0, refused: [{ index: 0, error: expect.stringMatching(/^events\[0\]\.data: \d+ bytes, over the per-event limit of 8192$/) }] });
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    expect(await d.post('/', deep, kserveHeaders('request', 'deep'))).toMatchObject({ status: 400, body: { error: 'body: JSON nested deeper than 16 levels' } });
  });

  it('never writes the token to /metrics and counts outcomes there', async () => {
    const m = await d.get('/metrics');
    expect(m.status).toBe(200);
    expect(m.text).not.toContain('test-token');
    expect(m.text).toMatch(/modelslo_ingest_events_total\{kind="event",outcome="stored"\} [1-9]/);
    expect(m.text).toMatch(/modelslo_ingest_events_total\{kind="event",outcome="rejected"\} [1-9]/);
    expect(m.text).toMatch(/modelslo_ingest_batch_size_bucket\{le="500",kind="event"\} [1-9]/);
    expect(m.text).toContain('modelslo_store_operation_seconds_bucket');
    expect(m.text).toMatch(/modelslo_event_loop_lag_seconds\{stat="p99"\}/);
    expect(m.text).toContain('nodejs_eventloop_lag_seconds');
  });
});
