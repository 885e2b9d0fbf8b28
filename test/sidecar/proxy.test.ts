/** The request path against a real model server: byte-identical pass-through, metrics, events, traces, errors. */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_BATCH_TYPE } from '../../src/ingest/capture-batch.js';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { EVENT_TYPES } from '../../src/sidecar/events.js';
import { startEventReceiver, type EventReceiver } from '../support/event-receiver.js';
import { freePort } from '../support/free-port.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { metricValue, send, tempDir, testOptions, waitFor, type Reply } from './helpers.js';

let model: ModelServer;
let receiver: EventReceiver;
let sidecar: Sidecar;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  model = await startModelServer();
  receiver = await startEventReceiver();
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  sidecar = await startSidecar(testOptions(model.url, receiver.url, tmp.dir, undefined, (o) => {
    o.defaultModel = 'fraud-detector';
    o.capture.bodyLimitBytes = 1024;
  }));
});

afterAll(async () => {
  await sidecar.close(2_000);
  await model.stop();
  await receiver.down();
  await cleanup();
});

const v1 = JSON.stringify({ instances: [[1, 2, 3], [4, 5, 6]] });
const v2 = JSON.stringify({ id: 'r1', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }] });
const json = { 'content-type': 'application/json' };

const cases: Array<[string, string, { method?: string; headers?: Record<string, string>; body?: string }]> = [
  ['a V1 predict', '/v1/models/fraud-detector:predict', { headers: json, body: v1 }],
  ['a V2 infer', '/v2/models/fraud-detector/infer', { headers: json, body: v2 }],
  ['a V2 infer of a model version', '/v2/models/fraud-detector/versions/1/infer', { headers: json, body: v2 }],
  ['V2 model metadata', '/v2/models/fraud-detector', {}],
  ['V2 server readiness', '/v2/health/ready', {}],
  ['V1 model metadata', '/v1/models/fraud-detector', {}],
  ['a V1 predict the model rejects (400)', '/v1/models/fraud-detector:predict', { headers: json, body: '{"instances": 3}' }],
  ['an injected 503', '/v2/models/fraud-detector/infer', { headers: { ...json, 'x-test-status': '503' }, body: v2 }],
  ['an unknown path (404)', '/no/such/path', {}],
];

describe('requests through the sidecar', () => {
  it.each(cases)('%s returns the same status, content type and bytes as the model server', async (_name, path, init) => {
    const direct = await send(`${model.url}${path}`, init);
    const proxied = await send(`${sidecar.url}${path}`, init);
    expect(proxied.status).toBe(direct.status);
    expect(proxied.headers['content-type']).toBe(direct.headers['content-type']);
    expect(proxied.body.equals(direct.body)).toBe(true);
  });

  it('counts every request by model, protocol and code, exactly as sent', async () => {
    const before = (await send(`${sidecar.url}/metrics`)).body.toString();
    const plan: Array<[string, number]> = [['200', 7], ['500', 3], ['503', 2]];
    for (const [code, n] of plan) {
      for (let i = 0; i < n; i++) {
        const headers: Record<string, string> = code === '200' ? json : { ...json, 'x-test-status': code };
        const r = await send(`${sidecar.url}/v2/models/counted-model/infer`, { headers, body: v2 });
        expect(r.status).toBe(Number(code));
      }
    }
    const after = (await send(`${sidecar.url}/metrics`)).body.toString();
    for (const [code, n] of plan) {
      const labels = { model: 'counted-model', namespace: 'payments', protocol: 'v2', code };
      expect(metricValue(after, 'modelslo_requests_total', labels) - metricValue(before, 'modelslo_requests_total', labels)).toBe(n);
    }
    expect(metricValue(after, 'modelslo_request_duration_seconds_count', { model: 'counted-model', protocol: 'v2' })).toBe(12);
    expect(after).toContain('revision="fraud-detector-predictor-00001"');
    expect(after).toContain('modelslo_capture_queue_depth');
  });

  it('propagates ce-id and a child traceparent to the predictor and exports the server span over OTLP', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const ceId = `trace-test-${Date.now()}`;
    await send(`${sidecar.url}/v1/models/fraud-detector:predict`, { headers: { ...json, 'ce-id': ceId, traceparent: `00-${traceId}-00f067aa0ba902b7-01` }, body: v1 });
    const seen = model.seen.find((s) => s.headers['ce-id'] === ceId);
    expect(seen).toBeDefined();
    const tp = String(seen?.headers.traceparent);
    expect(tp).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(tp).not.toContain('00f067aa0ba902b7');
    const spans = (): Array<{ traceId: string; spanId: string; parentSpanId?: string; attributes: Array<{ key: string; value: Record<string, unknown> }> }> =>
      receiver.received
        .filter((r) => r.path === '/v1/traces')
        .flatMap((r) => (JSON.parse(r.body.toString()) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: [] }> }> }).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    await waitFor('the span at the receiver', () => spans().some((s) => s.traceId === traceId));
    const span = spans().find((s) => s.traceId === traceId);
    const attr = (k: string): unknown => Object.values(span?.attributes.find((a) => a.key === k)?.value ?? {})[0];
    expect(span?.spanId).toBe(tp.split('-')[2]);
    expect(span?.parentSpanId).toBe('00f067aa0ba902b7');
    expect(attr('modelslo.model')).toBe('fraud-detector');
    expect(attr('modelslo.namespace')).toBe('payments');
    expect(attr('modelslo.request_id')).toBe(ceId);
    expect(Number(attr('http.response.status_code'))).toBe(200);
    expect(receiver.received.find((r) => r.path === '/v1/traces')?.headers.authorization).toBe('Bearer test-token');
  });

  it('ships a request and a response event per exchange, sharing the request id, with status and latency (non-200 too)', async () => {
    const id = `req-${Date.now()}`;
    await send(`${sidecar.url}/v2/models/fraud-detector/infer`, { headers: { ...json, 'x-request-id': id, 'x-test-status': '500' }, body: v2 });
    sidecar.flushQueue();
    await waitFor('both events', () => receiver.events().filter((e) => e.id === id).length === 2);
    const [req, res] = [EVENT_TYPES.request, EVENT_TYPES.response].map((t) => receiver.events().find((e) => e.id === id && e.type === t));
    expect(req).toMatchObject({ specversion: '1.0', source: 'http://fraud-detector-predictor.payments/modelslo-sidecar', inferenceservicename: 'fraud-detector', namespace: 'payments', component: 'predictor', endpoint: 'default', modelsloprotocol: 'v2', modelslopath: '/v2/models/fraud-detector/infer', datacontenttype: 'application/json', data: JSON.parse(v2) as unknown });
    expect(res).toMatchObject({ modelslostatus: 500, data: { error: 'injected 500' } });
    expect(typeof res?.modelslolatencyms).toBe('number');
    expect(Date.parse(String(res?.time))).toBeGreaterThanOrEqual(Date.parse(String(req?.time)));
    const batch = receiver.received.find((r) => r.path === '/v1/events');
    // fraud-detector has no redaction rules: its raw bodies go unparsed, in a compact capture batch.
    expect(batch?.headers['content-type']).toBe(CAPTURE_BATCH_TYPE);
    expect(batch?.headers.authorization).toBe('Bearer test-token');
  });
});

describe('bodies the sidecar cannot or must not parse', () => {
  const big = Buffer.alloc(200_000, 'x');
  const binary = Buffer.from([0, 255, 1, 254, 2, 253, 10, 13]);
  const bodies: Array<[string, string, Buffer, (e: Record<string, unknown>) => void]> = [
    ['malformed JSON', 'application/json', Buffer.from('{"instances": [1, 2'), (e) => expect(Buffer.from(String(e.data_base64), 'base64').toString()).toBe('{"instances": [1, 2')],
    ['a binary octet-stream', 'application/octet-stream', binary, (e) => expect(Buffer.from(String(e.data_base64), 'base64').equals(binary)).toBe(true)],
    ['an oversized JSON body', 'application/json', Buffer.from(JSON.stringify({ pad: big.toString() })), (e) => {
      expect(e.modelslotruncated).toBe(true);
      expect(Buffer.from(String(e.data_base64), 'base64').length).toBe(1024);
    }],
    ['an oversized text body', 'text/plain', big, (e) => expect(e.modelslotruncated).toBe(true)],
  ];
  it.each(bodies)('%s passes through byte for byte and is captured opaque', async (_name, type, body, check) => {
    const id = `opaque-${Math.random()}`;
    const r: Reply = await send(`${sidecar.url}/echo`, { headers: { 'content-type': type, 'x-request-id': id }, body });
    expect(r.status).toBe(200);
    expect(r.body.equals(body)).toBe(true);
    sidecar.flushQueue();
    await waitFor('the events', () => receiver.events().filter((e) => e.id === id).length === 2);
    for (const e of receiver.events().filter((x) => x.id === id)) {
      expect(e.data).toBeUndefined();
      check(e);
    }
  });

  it('counts the truncated bodies and the captured payload bytes', async () => {
    const text = await (await request(`${sidecar.url}/metrics`)).body.text();
    // Both oversized bodies were cut on the way in and on the way back (the echo returns them).
    expect(metricValue(text, 'modelslo_capture_truncated_total', { direction: 'request' })).toBe(2);
    expect(metricValue(text, 'modelslo_capture_truncated_total', { direction: 'response' })).toBe(2);
    // Each truncated body contributes exactly the capture limit; the small ones their length.
    expect(metricValue(text, 'modelslo_capture_payload_bytes_total', { direction: 'request' })).toBeGreaterThanOrEqual(2 * 1024 + binary.length);
  });

  it('still serves after all of them', async () => {
    expect((await send(`${sidecar.url}/v1/models/fraud-detector:predict`, { headers: json, body: v1 })).status).toBe(200);
  });
});

describe('predictor failures and probes', () => {
  it('answers 502 with a JSON error when the predictor is unreachable, and counts it', async () => {
    const tmp = await tempDir();
    const deadPort = await freePort();
    const s = await startSidecar(testOptions(`http://127.0.0.1:${deadPort}`, receiver.url, tmp.dir, undefined, (o) => (o.defaultModel = 'm')), { tracing: false });
    try {
      const r = await send(`${s.url}/v1/models/m:predict`, { headers: json, body: v1 });
      expect(r.status).toBe(502);
      expect((JSON.parse(r.body.toString()) as { error: string }).error).toMatch(/predictor unreachable/);
      expect(metricValue(await s.metrics.registry.metrics(), 'modelslo_requests_total', { code: '502' })).toBe(1);
      expect((await send(`${s.url}/readyz`)).status).toBe(503);
      expect((await send(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close(1_000);
      await tmp.cleanup();
    }
  });

  it('answers 504 with a JSON error when the predictor exceeds the upstream timeout', async () => {
    const tmp = await tempDir();
    const s = await startSidecar(testOptions(model.url, receiver.url, tmp.dir, undefined, (o) => (o.upstreamTimeoutMs = 200)), { tracing: false });
    try {
      const r = await send(`${s.url}/v1/models/m:predict`, { headers: { ...json, 'x-test-delay-ms': '1000' }, body: v1 });
      expect(r.status).toBe(504);
      expect((JSON.parse(r.body.toString()) as { error: string }).error).toMatch(/timed out after 200 ms/);
      expect(metricValue(await s.metrics.registry.metrics(), 'modelslo_requests_total', { code: '504' })).toBe(1);
    } finally {
      await s.close(1_000);
      await tmp.cleanup();
    }
  });

  it('is ready exactly when the predictor is', async () => {
    expect((await send(`${sidecar.url}/readyz`)).status).toBe(200);
    model.knobs.ready = false;
    try {
      const r = await send(`${sidecar.url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.body.toString()).toContain('503');
    } finally {
      model.knobs.ready = true;
    }
  });

  it('streams a response whose client hangs up without failing the next one', async () => {
    const ac = new AbortController();
    const pending = request(`${sidecar.url}/v1/models/fraud-detector:predict`, { method: 'POST', headers: { ...json, 'x-test-delay-ms': '300' }, body: v1, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 400));
    expect(metricValue(await sidecar.metrics.registry.metrics(), 'modelslo_requests_total', { code: '499' })).toBe(1);
    expect((await send(`${sidecar.url}/v1/models/fraud-detector:predict`, { headers: json, body: v1 })).status).toBe(200);
  });
});
