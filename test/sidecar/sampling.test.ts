/** Head sampling of request spans (traceparent always propagated), its config key and flag, and the batch handed to the capture worker. */
import { describe, expect, it } from 'vitest';
import { pack, unpack } from '../../src/sidecar/capture-batch.js';
import type { RawExchange } from '../../src/sidecar/capture-queue.js';
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
  it('moves its own buffer: pooled body chunks stay intact and the worker sees the same bytes', () => {
    // Small Buffer.from() results are slices of Node's shared pool; transferring one would detach the pool.
    const chunks = ['{"a":', '1}', 'ok', 'xyz'].map((s) => Buffer.from(s));
    const x = (id: string, req: Buffer[], res: Buffer[]): RawExchange => ({ id, start: 1, model: 'm', protocol: 'v2', path: '/p', requestType: 'application/json', requestChunks: req, requestTruncated: false, status: 200, latencyMs: 2, responseType: undefined, responseChunks: res, responseTruncated: true });
    const batch = pack([x('a', chunks.slice(0, 2), chunks.slice(2, 3)), x('b', [], chunks.slice(3))]);
    const moved = structuredClone(batch, { transfer: [batch.bytes] });
    expect(batch.bytes.byteLength).toBe(0); // detached here: it was moved
    expect(chunks.map((c) => c.toString())).toEqual(['{"a":', '1}', 'ok', 'xyz']);
    const out = unpack(moved);
    expect(out.map((e) => [e.id, Buffer.concat(e.requestChunks).toString(), Buffer.concat(e.responseChunks).toString(), e.responseTruncated])).toEqual([
      ['a', '{"a":1}', 'ok', true],
      ['b', '', 'xyz', true],
    ]);
  });
});
