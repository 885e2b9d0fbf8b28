/** Head sampling of request spans (traceparent always propagated), its config key and flag, and the batch handed to the capture worker. */
import { describe, expect, it } from 'vitest';
import { BatchBuilder, unpack, type PackedBatch, type RawExchange } from '../../src/sidecar/capture-batch.js';
import { decodeCaptureBatch, encodeCaptureBatchText } from '../../src/ingest/capture-batch.js';
import { resolveOptions } from '../../src/sidecar/options.js';
import { createTracer } from '../../src/sidecar/tracing.js';
import { parseConfig } from '../../src/spec/parse.js';
import { mustParse, oneModelText } from '../support/fixtures.js';

const SLO = '      - { name: availability, objective: 99.9, sli: { availability: {} } }';
const inputs = { upstream: 'http://127.0.0.1:1', daemon: 'http://127.0.0.1:1', listen: { host: '127.0.0.1', port: 0 } };

describe('head sampling', () => {
  const incoming = (flags: string): Record<string, string> => ({ traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-${flags}` });
  const cases: Array<[string, number, Record<string, string>, boolean, RegExp]> = [
    ['ratio 0 records no root span but still propagates a new traceparent (not sampled)', 0, {}, false, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/],
    ['ratio 1 records every root span', 1, {}, true, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/],
    ['ratio 0 follows a sampled incoming traceparent', 0, incoming('01'), true, /^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$/],
    ['ratio 1 follows an unsampled incoming traceparent, keeping its trace id', 1, incoming('00'), false, /^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-00$/],
  ];
  it.each(cases)('%s', async (_name, ratio, headers, recording, traceparent) => {
    const tracer = createTracer('http://127.0.0.1:1/v1/traces', undefined, {}, ratio);
    const outgoing: Record<string, string | string[]> = {};
    const span = tracer.start('POST v2', headers, outgoing, () => ({ 'modelslo.model': 'm' }));
    expect(span?.isRecording() ?? false).toBe(recording);
    expect(String(outgoing.traceparent)).toMatch(traceparent);
    await tracer.shutdown();
  });
});

describe('the root sampling ratio', () => {
  it('keeps about the configured share of root spans, and propagates a fresh traceparent for every other one', async () => {
    const tracer = createTracer('http://127.0.0.1:1/v1/traces', undefined, {}, 0.25);
    let recorded = 0;
    const traces = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const outgoing: Record<string, string | string[]> = {};
      if (tracer.start('POST v2', {}, outgoing, () => ({})) !== undefined) recorded += 1;
      traces.add(String(outgoing.traceparent).split('-')[1] ?? '');
    }
    // Binomial(4000, 0.25): sd ≈ 27, so ±150 is more than 5 sd.
    expect(recorded).toBeGreaterThan(850);
    expect(recorded).toBeLessThan(1150);
    expect(traces.size).toBe(4000);
    await tracer.shutdown();
  });
});

describe('sidecar.trace_sample_ratio and --trace-sample-ratio', () => {
  it('defaults to 0.1 and reads the config key', () => {
    expect(mustParse(oneModelText({ slos: SLO })).sidecar.traceSampleRatio).toBe(0.1);
    expect(mustParse(`${oneModelText({ slos: SLO })}\nsidecar: { trace_sample_ratio: 0.25 }\n`).sidecar.traceSampleRatio).toBe(0.25);
  });
  it('rejects a ratio outside [0, 1] in the config, naming the field', () => {
    const r = parseConfig(`${oneModelText({ slos: SLO })}\nsidecar: { trace_sample_ratio: 1.5 }\n`, 'x.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path).join(' ')).toContain('trace_sample_ratio');
  });
  it('takes the flag over the config and rejects a bad flag value', () => {
    const config = mustParse(`${oneModelText({ slos: SLO })}\nsidecar: { trace_sample_ratio: 0.25 }\n`);
    expect(resolveOptions(inputs, config, {}).traceSampleRatio).toBe(0.25);
    expect(resolveOptions({ ...inputs, traceSampleRatio: 1 }, config, {}).traceSampleRatio).toBe(1);
    expect(resolveOptions(inputs, undefined, {}).traceSampleRatio).toBe(0.1);
    expect(() => resolveOptions({ ...inputs, traceSampleRatio: Number.NaN }, undefined, {})).toThrow('--trace-sample-ratio');
  });
});

describe('the batch posted to the capture worker', () => {
  const x = (id: string, req: Buffer[], res: Buffer[], over: Partial<RawExchange> = {}): RawExchange => ({ id, start: 1, model: 'm', protocol: 'v2', path: '/p', requestType: 'application/json', requestChunks: req, requestTruncated: false, status: 200, latencyMs: 2, responseType: undefined, responseChunks: res, responseTruncated: true, ...over });
  const build = (maxExchanges: number, maxBytes: number): { b: BatchBuilder; full: PackedBatch[] } => {
    const full: PackedBatch[] = [];
    return { b: new BatchBuilder(maxExchanges, maxBytes, (batch) => full.push(batch)), full };
  };
  const bodies = (batch: PackedBatch): string[][] => unpack(batch).map(({ exchange: e }) => [e.id, Buffer.concat(e.requestChunks).toString(), Buffer.concat(e.responseChunks).toString()]);

  it('moves its own buffer: pooled body chunks stay intact and the worker sees the same bytes', () => {
    // Small Buffer.from() results are slices of Node's shared pool; transferring one would detach the pool.
    const chunks = ['{"a":', '1}', 'ok', 'xyz'].map((s) => Buffer.from(s));
    const { b } = build(10, 1 << 20);
    b.add(x('a', chunks.slice(0, 2), chunks.slice(2, 3)), false);
    b.add(x('b', [], chunks.slice(3), { responseTruncated: false, requestType: undefined }), false);
    const batch = b.take();
    if (batch === undefined) throw new Error('no batch');
    const moved = structuredClone(batch, { transfer: [batch.bytes] });
    expect(batch.bytes.byteLength).toBe(0); // detached here: it was moved
    expect(chunks.map((c) => c.toString())).toEqual(['{"a":', '1}', 'ok', 'xyz']);
    expect(bodies(moved)).toEqual([['a', '{"a":1}', 'ok'], ['b', '', 'xyz']]);
    expect(unpack(moved).map(({ exchange: e }) => [e.responseTruncated, e.requestType])).toEqual([[true, 'application/json'], [false, undefined]]);
    expect([moved.count, moved.length, moved.requestBytes, moved.responseBytes, moved.requestTruncated, moved.responseTruncated, moved.redact]).toEqual([2, 12, 7, 5, 0, 1, false]);
    expect(b.length).toBe(0);
    expect(b.take()).toBeUndefined();
  });

  it('is a compact capture batch as the daemon decodes it, once the worker puts the header in front', () => {
    const { b } = build(10, 1 << 20);
    b.add(x('q"1', [Buffer.from('{"x":1}')], [Buffer.from('{"y":2}')]), false);
    b.add(x('q2', [Buffer.from('raw\n')], [], { model: 'other', status: 503 }), true);
    const batch = b.take();
    if (batch === undefined) throw new Error('no batch');
    expect(batch.redact).toBe(true);
    const head = { namespace: 'ns', revision: 'r-00001', endpoint: '' };
    const got = decodeCaptureBatch(encodeCaptureBatchText(head, batch.exchanges, new Uint8Array(batch.bytes, 0, batch.length)), { eventPayloadBytes: 1 << 20, jsonDepth: 16 });
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect(got.value.events.map((e) => [e.id, e.kind, e.model, e.status ?? null])).toEqual([
      ['q"1', 'request', 'm', null], ['q"1', 'response', 'm', 200], ['q2', 'request', 'other', null], ['q2', 'response', 'other', 503],
    ]);
  });

  it('posts a batch when it holds maxExchanges, and keeps the rest for the next', () => {
    const { b, full } = build(3, 1 << 20);
    for (const id of ['a', 'b', 'c', 'd']) b.add(x(id, [Buffer.from(id)], [Buffer.from(id.toUpperCase())]), false);
    expect(full.map((f) => f.count)).toEqual([3]);
    expect(bodies(full[0] as PackedBatch)).toEqual([['a', 'a', 'A'], ['b', 'b', 'B'], ['c', 'c', 'C']]);
    expect(b.length).toBe(1);
  });

  it('keeps a batch within maxBytes (bodies and metadata), grows its buffer to fit, and sends an oversized exchange alone', () => {
    const { b, full } = build(100, 200 * 1024);
    const big = (id: string, kb: number): RawExchange => x(id, [Buffer.alloc(kb * 1024, id)], [Buffer.alloc(1024, id)]);
    b.add(big('a', 60), false);
    b.add(big('b', 60), false); // past the first 64 KiB buffer: it doubles
    b.add(big('c', 90), false); // would pass 200 KiB: a and b go first
    expect(full.map((f) => [f.count, f.length])).toEqual([[2, 2 * 61 * 1024]]);
    b.add(big('d', 300), false); // larger than a batch on its own: c goes, then d alone
    expect(full.map((f) => [f.count, f.length])).toEqual([[2, 2 * 61 * 1024], [1, 91 * 1024], [1, 301 * 1024]]);
    expect(bodies(full[2] as PackedBatch)[0]?.[1]).toBe('d'.repeat(300 * 1024));
    for (const f of full) expect(f.length + f.exchanges.length).toBeLessThanOrEqual(f.count === 1 ? Number.POSITIVE_INFINITY : 200 * 1024);
  });

  it('rejects a batch size below one exchange', () => expect(() => new BatchBuilder(0, 1, () => undefined)).toThrow('at least one exchange'));
});
