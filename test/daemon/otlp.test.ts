/** The real OpenTelemetry OTLP/HTTP exporters (JSON and protobuf) deliver spans that the daemon stores and attributes. */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_TYPE, sidecarEvent } from '../support/events.js';
import { startTestDaemon, TEST_TOKEN, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon();
  const batch = [sidecarEvent('request', 'otel-json-0'), sidecarEvent('response', 'otel-json-0')];
  expect((await d.post('/v1/events', JSON.stringify(batch), BATCH_TYPE)).status).toBe(200);
});
afterAll(async () => {
  await d.stop();
});

/** Real spans from the SDK: `n` spans of the model, every third one failing with HTTP 500. */
function makeSpans(prefix: string, n: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'fraud-detector-sidecar' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('modelslo-test');
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan('POST /v2/models/fraud-detector/infer', {
      attributes: { 'modelslo.model': 'fraud-detector', 'modelslo.namespace': 'payments', 'modelslo.request_id': `${prefix}-${i}`, 'http.response.status_code': i % 3 === 2 ? 500 : 200 },
    });
    if (i % 3 === 2) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
  return memory.getFinishedSpans();
}

function exportWith(exporter: JsonExporter | ProtoExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

function storedSpans(prefix: string): Array<{ trace_id: string; span_id: string; model: string; namespace: string; http_status: number; status_code: number; duration_ms: number; service_name: string }> {
  const db = new Database(d.dbFile, { readonly: true });
  try {
    return db.prepare('SELECT * FROM spans WHERE request_id LIKE ? ORDER BY request_id').all(`${prefix}-%`) as never;
  } finally {
    db.close();
  }
}

describe.each([
  ['JSON', 'otel-json', (url: string) => new JsonExporter({ url, headers: { Authorization: `Bearer ${TEST_TOKEN}` } })],
  ['protobuf', 'otel-proto', (url: string) => new ProtoExporter({ url, headers: { Authorization: `Bearer ${TEST_TOKEN}` } })],
])('the OTLP/HTTP %s exporter', (_name, prefix, make) => {
  it('delivers spans that are stored with their ids, model, namespace and HTTP status', async () => {
    const spans = makeSpans(prefix, 6);
    const exporter = make(`${d.url}/v1/traces`);
    const result = await exportWith(exporter, spans);
    await exporter.shutdown();
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    const rows = storedSpans(prefix);
    expect(rows).toHaveLength(6);
    for (const [i, row] of rows.entries()) {
      const sent = spans.find((s) => s.attributes['modelslo.request_id'] === `${prefix}-${i}`);
      expect(row).toMatchObject({ trace_id: sent?.spanContext().traceId, span_id: sent?.spanContext().spanId, model: 'fraud-detector', namespace: 'payments', http_status: i % 3 === 2 ? 500 : 200, status_code: i % 3 === 2 ? 2 : 0, service_name: 'fraud-detector-sidecar' });
    }
  });

  it('is refused without the token', async () => {
    const exporter = new JsonExporter({ url: `${d.url}/v1/traces` });
    const result = await exportWith(exporter, makeSpans(`${prefix}-noauth`, 1));
    await exporter.shutdown();
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(storedSpans(`${prefix}-noauth`)).toHaveLength(0);
  });
});

describe('attribution', () => {
  it('counts spans and errors per model and links a span to its prediction by request id', async () => {
    const models = await d.get('/api/v1/models');
    const entry = (models.body as { models: Array<{ namespace: string; model: string; spans: { total: number; errors: number; p99Ms: number | null } }> }).models.find((m) => m.model === 'fraud-detector');
    expect(entry?.spans.total).toBe(12);
    expect(entry?.spans.errors).toBe(4);
    expect(entry?.spans.p99Ms).not.toBeNull();
    const preds = await d.get('/api/v1/models/payments/fraud-detector/predictions');
    const linked = (preds.body as { items: Array<{ requestId: string; traceId: string | null }> }).items.find((p) => p.requestId === 'otel-json-0');
    expect(linked?.traceId).toBe(storedSpans('otel-json')[0]?.trace_id);
  });
});
