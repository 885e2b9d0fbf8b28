/** Pure decoding: CloudEvents modes, KServe V1/V2 payloads, OTLP protobuf from the real serializer, JSON depth. */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, decodeBinary, decodeStructured } from '../../src/ingest/cloudevents.js';
import { jsonDepth } from '../../src/ingest/json-limits.js';
import { requestFeatures, responsePredictions } from '../../src/ingest/kserve-payload.js';
import { decodeOtlpProto } from '../../src/ingest/otlp-proto.js';
import { kserveHeaders, sidecarEvent } from '../support/events.js';

const LIMITS = { eventPayloadBytes: 4096, jsonDepth: 16 };
const lower = (h: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

describe('CloudEvents', () => {
  it('decodes binary mode as KServe sends it', () => {
    const r = decodeBinary(lower(kserveHeaders('response', 'abc', { endpoint: 'canary' })), Buffer.from('{"predictions":[1,0]}'), LIMITS);
    expect(r).toMatchObject({ ok: true, value: [{ id: 'abc', kind: 'response', model: 'fraud-detector', namespace: 'payments', endpoint: 'canary', protocol: 'v1', metadata: '{}', decoded: '[1,0]' }] });
  });

  it('decodes structured mode and data_base64 bodies as bytes', () => {
    const ev = { ...sidecarEvent('request', 'b64'), data: undefined, data_base64: Buffer.from('raw bytes').toString('base64'), datacontenttype: 'application/octet-stream', modelslotruncated: true };
    const r = decodeStructured(Buffer.from(JSON.stringify(ev)), LIMITS);
    expect(r.ok && Buffer.isBuffer(r.value[0]?.payload) && r.value[0]?.payload.toString()).toBe('raw bytes');
    expect(r.ok && r.value[0]?.truncated).toBe(true);
  });

  it.each([
    ['specversion', '0.3', 'events[1].ce-specversion: must be "1.0", got "0.3"'],
    ['type', 'x.y', 'events[1].ce-type: must be org.kubeflow.serving.inference.request or org.kubeflow.serving.inference.response, got "x.y"'],
    ['time', 'noon', 'events[1].ce-time: must be an RFC 3339 timestamp, got "noon"'],
    ['modelslostatus', 700, 'events[1].ce-modelslostatus: must be an HTTP status (integer 100–599), got 700'],
  ])('refuses only the event, naming it and the attribute, when %s is %j', (attr, value, error) => {
    const batch = [sidecarEvent('request', 'a'), { ...sidecarEvent('response', 'a'), [attr]: value }, sidecarEvent('response', 'b')];
    const r = decodeBatch(Buffer.from(JSON.stringify(batch)), LIMITS);
    expect(r.ok && r.value.refused).toEqual([{ index: 1, error }]);
    expect(r.ok && r.value.events.map((e) => `${e.kind}:${e.id}`)).toEqual(['request:a', 'response:b']);
  });
});

describe('KServe payloads', () => {
  it('turns V2 tensors into named columns, wide tensors into name[j]', () => {
    const body = { inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [[1, 2], [3, 4]] }, { name: 'c', shape: [2], datatype: 'BYTES', data: ['a', 'b'] }] };
    expect(requestFeatures(body, 'v2', 'data')).toEqual([{ 'x[0]': 1, 'x[1]': 2, c: 'a' }, { 'x[0]': 3, 'x[1]': 4, c: 'b' }]);
    expect(responsePredictions({ outputs: [{ name: 'p', shape: [2], datatype: 'FP64', data: [0.1, 0.9] }] }, 'v2', 'data')).toEqual([{ p: 0.1 }, { p: 0.9 }]);
  });

  it('names V1 instance arrays f0…', () => {
    expect(requestFeatures({ instances: [[5, 'x']] }, 'v1', 'data')).toEqual([{ f0: 5, f1: 'x' }]);
  });
});

describe('OTLP protobuf', () => {
  it('decodes what the real serializer writes', () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'svc' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
    const span = provider.getTracer('t').startSpan('infer', { attributes: { 'modelslo.model': 'm', 'modelslo.namespace': 'n', 'http.status_code': 503, ratio: 0.5, ok: true } });
    span.end();
    const [sent] = memory.getFinishedSpans();
    const bytes = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans());
    const r = decodeOtlpProto(bytes ?? new Uint8Array());
    expect(r).toMatchObject({ ok: true, value: [{ traceId: sent?.spanContext().traceId, spanId: sent?.spanContext().spanId, name: 'infer', model: 'm', namespace: 'n', httpStatus: 503, serviceName: 'svc' }] });
    expect(r.ok && JSON.parse(r.value[0]?.attributes ?? '{}')).toMatchObject({ span: { ratio: 0.5, ok: true } });
  });
});

describe('JSON depth', () => {
  it('equals the nesting of generated JSON values (strings with brackets do not count)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const depthOf = (x: unknown): number => (typeof x === 'object' && x !== null ? 1 + Math.max(0, ...Object.values(x).map(depthOf)) : 0);
        expect(jsonDepth(Buffer.from(JSON.stringify(v)))).toBe(depthOf(v));
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
