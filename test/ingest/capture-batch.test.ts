/**
 * The sidecar's compact capture batch: decoded, it gives exactly the events the sidecar's CloudEvents
 * of the same exchanges give; bad input is refused naming the field; limits hold.
 */
import { describe, expect, it } from 'vitest';
import { captureRecords, decodeCaptureBatch, encodeCaptureBatch, type CaptureExchange } from '../../src/ingest/capture-batch.js';
import { decodeBatch } from '../../src/ingest/cloudevents.js';
import { toEvents, type EventContext } from '../../src/sidecar/events.js';
import type { RawExchange } from '../../src/sidecar/capture-batch.js';

const LIMITS = { eventPayloadBytes: 4096, jsonDepth: 16 };
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const HEAD = { namespace: 'payments', revision: 'fraud-detector-predictor-00003', endpoint: 'canary' };
const CTX: EventContext = { ...HEAD, redactKey: Buffer.from('k'), rulesOf: () => [] };

const V2 = JSON.stringify({ inputs: [{ name: 'amount', datatype: 'FP32', shape: [1], data: [42.5] }] });
const V2_OUT = JSON.stringify({ outputs: [{ name: 'fraud_probability', datatype: 'FP32', shape: [1], data: [0.07] }] });

function exchange(id: string, over: Partial<RawExchange> = {}): RawExchange {
  return {
    id, start: NOW - 1000, model: 'fraud-detector', protocol: 'v2', path: '/v2/models/fraud-detector/infer',
    requestType: 'application/json', requestChunks: [Buffer.from(V2)], requestTruncated: false,
    status: 200, latencyMs: 12.3456, responseType: 'application/json', responseChunks: [Buffer.from(V2_OUT)], responseTruncated: false,
    ...over,
  };
}

/** What the sidecar's compact batch would carry for these exchanges. */
function compact(xs: RawExchange[]): Buffer {
  const metas: CaptureExchange[] = xs.map(({ requestChunks, responseChunks, ...m }) => ({ ...m, requestBytes: Buffer.concat(requestChunks).length, responseBytes: Buffer.concat(responseChunks).length }));
  return encodeCaptureBatch(HEAD, metas, Buffer.concat(xs.flatMap((x) => [...x.requestChunks, ...x.responseChunks])));
}

const header = (over: Record<string, unknown>, exchanges: unknown[] = [{ id: 'a', requestBytes: 0, responseBytes: 0 }]): Buffer =>
  Buffer.from(`${JSON.stringify({ format: 'modelslo-capture', version: 1, ...HEAD, exchanges, ...over })}\n`);

describe('compact capture batches', () => {
  it('decode into the same events as the CloudEvents of the same exchanges, body by body', () => {
    const xs = [
      exchange('v2'),
      exchange('error', { status: 500, responseChunks: [Buffer.from('{"error":"boom"}')] }),
      exchange('malformed', { requestChunks: [Buffer.from('{"instances": [1, 2')] }),
      exchange('binary', { requestType: 'application/octet-stream', requestChunks: [Buffer.from([0, 255, 10, 13, 128])] }),
      exchange('cut', { requestChunks: [Buffer.from(V2.slice(0, 20))], requestTruncated: true }),
      exchange('empty', { requestChunks: [], requestType: undefined, responseChunks: [], responseType: undefined }),
      exchange('chunks', { requestChunks: [Buffer.from(V2.slice(0, 7)), Buffer.from(V2.slice(7))], protocol: 'v1', path: '/v1/models/fraud-detector:predict' }),
    ];
    const viaCloudEvents = decodeBatch(Buffer.from(JSON.stringify(xs.flatMap((x) => toEvents(x, CTX)))), LIMITS, NOW);
    const viaCompact = decodeCaptureBatch(compact(xs), LIMITS, NOW);
    expect(viaCloudEvents.ok && viaCloudEvents.value.refused).toEqual([]);
    expect(viaCompact.ok && viaCompact.value.refused).toEqual([]);
    expect(viaCompact.ok && viaCompact.value.events).toEqual(viaCloudEvents.ok && viaCloudEvents.value.events);
    expect(viaCompact.ok && viaCompact.value.events.length).toBe(14);
  });

  it.each([
    ['no header line', Buffer.from('{"format":"modelslo-capture"'), /^header: no newline/],
    ['a header that is not JSON', Buffer.from('{"format":\n'), /^header: not valid JSON/],
    ['another format', header({ format: 'other' }), 'header.format: must be "modelslo-capture", got "other"'],
    ['a later version', header({ version: 2 }), 'header.version: must be 1, got 2'],
    ['no namespace', header({ namespace: undefined }), 'header.namespace: missing'],
    ['no exchanges', header({}, []), 'header.exchanges: must be a non-empty array'],
    ['a negative byte count', header({}, [{ id: 'a', requestBytes: -1, responseBytes: 0 }]), 'exchanges[0].requestBytes: must be a byte count, got -1'],
    ['bodies longer than the counts', Buffer.concat([header({}), Buffer.from('xy')]), 'exchanges: the bodies\' byte counts add up to 0, but 2 bytes follow the header'],
  ])('refuse the whole batch naming the field when it has %s', (_what, body, error) => {
    const r = decodeCaptureBatch(body, LIMITS, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it.each([
    ['status', 700, 'exchanges[1].status: must be an HTTP status (integer 100–599), got 700'],
    ['id', undefined, 'exchanges[1].id: missing'],
    ['protocol', 'v3', 'exchanges[1].protocol: must be v1, v2 or other, got "v3"'],
    ['latencyMs', -5, 'exchanges[1].latencyMs: must be a non-negative number of milliseconds, got -5'],
    ['requestTruncated', 'yes', 'exchanges[1].requestTruncated: must be true or false, got "yes"'],
  ])('refuse only the exchange (both its events) whose %s is %j, naming it, and take its neighbours', (name, value, error) => {
    const xs = [exchange('a'), exchange('b'), exchange('c')];
    const text = compact(xs).toString('latin1');
    const nl = text.indexOf('\n');
    const h = JSON.parse(text.slice(0, nl)) as { exchanges: Array<Record<string, unknown>> };
    const bad = h.exchanges[1] ?? {};
    bad[name] = value;
    const body = Buffer.concat([Buffer.from(`${JSON.stringify(h)}\n`), Buffer.from(text.slice(nl + 1), 'latin1')]);
    const r = decodeCaptureBatch(body, LIMITS, NOW);
    expect(r.ok && r.value.refused).toEqual([{ index: 2, error }, { index: 3, error }]);
    expect(r.ok && r.value.events.map((e) => `${e.kind}:${e.id}`)).toEqual(['request:a', 'response:a', 'request:c', 'response:c']);
  });

  it('refuse a body over the per-event limit, naming the exchange and direction', () => {
    const big = JSON.stringify({ inputs: [{ name: 'x', datatype: 'BYTES', shape: [1], data: ['y'.repeat(5000)] }] });
    const r = decodeCaptureBatch(compact([exchange('big', { requestChunks: [Buffer.from(big)] })]), LIMITS, NOW);
    expect(r.ok && r.value.refused).toEqual([{ index: 0, error: `exchanges[0].request.data: ${big.length} bytes, over the per-event limit of 4096` }]);
    expect(r.ok && r.value.events.map((e) => e.kind)).toEqual(['response']);
  });

  it('keep a JSON body nested deeper than the limit as raw bytes instead of parsing it', () => {
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    const got = captureRecords(compact([exchange('deep', { requestChunks: [Buffer.from(deep)] })]), LIMITS);
    expect(got.ok && got.value.records[0]?.body.bytes?.toString()).toBe(deep);
  });
});
