/**
 * A seeded corpus of malformed CloudEvents, V2 and OTLP bodies (fast-check): a request that is bad
 * as a whole gets a 4xx (none a 5xx or a crash) and leaves the store unchanged; a batch with one bad
 * event gets 200 with exactly that event refused by index, and a malformed V2 body is stored with
 * its decode error.
 */
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_TYPE, kserveHeaders, sidecarEvent } from '../support/events.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';

const SEED = 20240611;
let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon('limits: { json_depth: 32 }');
});
afterAll(async () => {
  await d.stop();
});

interface Case {
  what: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** Batches: the index of the event that must be refused (undefined: none, the body is stored with a decode error). */
  refused?: number | undefined;
}

const REQUIRED = ['specversion', 'id', 'source', 'type', 'inferenceservicename', 'namespace'];
/** Attribute → values that are invalid for it. */
const BAD_VALUES: Record<string, unknown[]> = {
  specversion: ['0.3', '2.0', 1, null],
  id: ['', 42, {}, 'x'.repeat(1100)],
  source: ['', [], true],
  type: ['com.example.other', '', 7],
  time: ['yesterday', '2024-13-45T00:00:00Z', '2024-01-01', 1700000000],
  inferenceservicename: ['', 3],
  modelsloprotocol: ['v3', 'V2', 2],
  modelslostatus: [99, 600, 'ok', 200.5, -1],
  modelslolatencyms: [-5, 'fast', true],
  modelslotruncated: ['yes', 1],
  data_base64: ['***', 'a', 17],
};

const V2_BAD: unknown[] = [
  {},
  { inputs: [] },
  { inputs: 'amount' },
  { inputs: [{ shape: [1], datatype: 'FP32', data: [1] }] },
  { inputs: [{ name: 'a', shape: [2], datatype: 'FP32', data: [1] }] },
  { inputs: [{ name: 'a', shape: [1], datatype: 'FLOAT', data: [1] }] },
  { inputs: [{ name: 'a', shape: [-1], datatype: 'FP32', data: [] }] },
  { inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: 1 }] },
  { inputs: [{ name: 'a', shape: '1', datatype: 'FP32', data: [1] }] },
  { inputs: [null] },
];

const batchCase = fc.record({ size: fc.integer({ min: 1, max: 6 }), at: fc.nat(), kind: fc.constantFrom<'missing' | 'bad' | 'v2' | 'shape'>('missing', 'bad', 'v2', 'shape'), pick: fc.nat(), pick2: fc.nat() }).map(({ size, at, kind, pick, pick2 }): Case => {
  const events: unknown[] = Array.from({ length: size }, (_, i) => sidecarEvent(i % 2 === 0 ? 'request' : 'response', `fz-${pick}-${i}`));
  const i = at % size;
  const ev = events[i] as Record<string, unknown>;
  let what: string;
  if (kind === 'missing') {
    const attr = REQUIRED[pick % REQUIRED.length] ?? 'id';
    delete ev[attr];
    what = `missing ${attr}`;
  } else if (kind === 'bad') {
    const attrs = Object.keys(BAD_VALUES);
    const attr = attrs[pick % attrs.length] ?? 'id';
    const values = BAD_VALUES[attr] ?? [];
    ev[attr] = values[pick2 % values.length];
    if (attr === 'data_base64') ev.data = undefined;
    what = `bad ${attr}`;
  } else if (kind === 'v2') {
    ev.type = 'org.kubeflow.serving.inference.request';
    ev.data = V2_BAD[pick % V2_BAD.length];
    what = 'malformed V2 body';
  } else {
    events[i] = [null, 'event', 42, [], true][pick % 5];
    what = 'not an object';
  }
  return { what: `batch: ${what}`, path: '/v1/events', headers: BATCH_TYPE, body: JSON.stringify(events), refused: kind === 'v2' ? undefined : i };
});

const garbageCase = fc.oneof(
  fc.string({ maxLength: 200 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }),
  fc.constantFrom('[]', '{}', 'null', '"x"', '7', `${'['.repeat(60)}${']'.repeat(60)}`),
).chain((text) => fc.constantFrom<Case>(
  { what: 'garbage batch', path: '/v1/events', headers: BATCH_TYPE, body: text },
  { what: 'garbage structured', path: '/', headers: { 'content-type': 'application/cloudevents+json' }, body: text },
  { what: 'garbage OTLP JSON', path: '/v1/traces', headers: { 'content-type': 'application/json' }, body: text },
));

const binaryCase = fc.record({ drop: fc.constantFrom('Ce-Specversion', 'Ce-Id', 'Ce-Source', 'Ce-Type', 'Ce-Inferenceservicename', 'Ce-Namespace'), v2: fc.nat() }).map(({ drop, v2 }): Case => {
  const h = kserveHeaders('request', `bin-${v2}`);
  delete h[drop];
  return { what: `binary without ${drop}`, path: '/', headers: h, body: '{"instances":[1]}' };
});

/** KServe's binary mode with a malformed V2 body: stored with its decode error, answered as before (200, one event). */
const binaryV2Case = fc.nat().map((v2): Case => ({ what: 'binary V2 malformed', path: '/', headers: { ...kserveHeaders('request', `bin-v2-${v2}`), 'Ce-Modelsloprotocol': 'v2' }, body: JSON.stringify(V2_BAD[v2 % V2_BAD.length]) }));

function otlpSamples(): { json: Record<string, unknown>; proto: Uint8Array } {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'fuzz' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const span = provider.getTracer('fuzz').startSpan('s', { attributes: { 'modelslo.model': 'fraud-detector' } });
  span.end();
  const spans = memory.getFinishedSpans();
  const json = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))) as Record<string, unknown>;
  const proto = ProtobufTraceSerializer.serializeRequest(spans);
  if (proto === undefined) throw new Error('no protobuf');
  return { json, proto };
}

const SPAN_BREAKERS: Array<[string, unknown]> = [
  ['traceId', 'abc'], ['traceId', '0'.repeat(32)], ['traceId', 5], ['spanId', 'zz'.repeat(8)], ['spanId', ''],
  ['startTimeUnixNano', 'soon'], ['startTimeUnixNano', '0'], ['endTimeUnixNano', '1'], ['attributes', 'x'],
  ['attributes', [{ value: { stringValue: 'no key' } }]], ['status', { code: 9 }], ['parentSpanId', 'xyz'],
];

function otlpCases(): fc.Arbitrary<Case> {
  const { json, proto } = otlpSamples();
  const jsonCase = fc.nat().map((k): Case => {
    const copy = structuredClone(json) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> };
    const [field, value] = SPAN_BREAKERS[k % SPAN_BREAKERS.length] ?? ['traceId', 'x'];
    const target = copy.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    if (target !== undefined) target[field] = value;
    return { what: `OTLP JSON ${field}`, path: '/v1/traces', headers: { 'content-type': 'application/json' }, body: JSON.stringify(copy) };
  });
  const protoCase = fc.integer({ min: 0, max: proto.length - 1 }).map((cut): Case => ({ what: 'OTLP protobuf truncated', path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from(proto.subarray(0, cut)) }));
  return fc.oneof(jsonCase, protoCase);
}

function counts(): number[] {
  const db = new Database(d.dbFile, { readonly: true });
  try {
    return ['events', 'predictions', 'spans'].map((t) => db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number);
  } finally {
    db.close();
  }
}

describe('a fuzz corpus of malformed bodies', () => {
  it('gets a 4xx for every request bad as a whole, never a 5xx, and leaves the store unchanged', async () => {
    const corpus = fc.sample(fc.oneof({ arbitrary: garbageCase, weight: 2 }, { arbitrary: binaryCase, weight: 1 }, { arbitrary: otlpCases(), weight: 3 }), { numRuns: 700, seed: SEED });
    const before = counts();
    const failures: string[] = [];
    for (let i = 0; i < corpus.length; i += 8) {
      await Promise.all(
        corpus.slice(i, i + 8).map(async (c) => {
          const r = await d.post(c.path, c.body, c.headers);
          const error = (r.body as { error?: unknown } | null)?.error;
          if (r.status < 400 || r.status >= 500 || typeof error !== 'string' || error === '') failures.push(`${c.what}: ${r.status} ${JSON.stringify(r.body)}`);
        }),
      );
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(counts()).toEqual(before);
    expect((await d.get('/healthz', false)).status).toBe(200);
  });

  it('refuses exactly the bad event of a batch by index (a malformed V2 body is stored instead), never the batch', async () => {
    const corpus = fc.sample(fc.oneof({ arbitrary: batchCase, weight: 5 }, { arbitrary: binaryV2Case, weight: 1 }), { numRuns: 600, seed: SEED + 1 });
    const failures: string[] = [];
    for (let i = 0; i < corpus.length; i += 8) {
      await Promise.all(
        corpus.slice(i, i + 8).map(async (c) => {
          const r = await d.post(c.path, c.body, c.headers);
          const body = r.body as { accepted?: number; refused?: Array<{ index: number; error: string }> } | null;
          const size = c.path === '/' ? 1 : (JSON.parse(String(c.body)) as unknown[]).length;
          const refused = body?.refused ?? [];
          const want = c.refused === undefined ? [] : [c.refused];
          const ok = r.status === 200 && body?.accepted === size - want.length && JSON.stringify(refused.map((x) => x.index)) === JSON.stringify(want) && refused.every((x) => x.error.startsWith(`events[${x.index}]`));
          if (!ok) failures.push(`${c.what}: ${r.status} ${JSON.stringify(r.body)}`);
        }),
      );
    }
    expect(failures.slice(0, 10)).toEqual([]);
    const db = new Database(d.dbFile, { readonly: true });
    try {
      expect(db.prepare("SELECT COUNT(*) FROM predictions WHERE request_id LIKE 'bin-v2-%' AND decode_error IS NOT NULL AND features IS NULL").pluck().get()).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
