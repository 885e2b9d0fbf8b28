/**
 * Model load time, readiness transitions, cold starts and requests in flight, against a predictor
 * that takes a known time to load and is restarted during the test. One story, in order: first
 * load, cold requests while loading and warming up, warm requests, a restart, slow requests held.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/spec/parse.js';
import { resolveOptions } from '../../src/sidecar/options.js';
import { answersReady } from '../../src/sidecar/readiness.js';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { startEventReceiver, type EventReceiver } from '../support/event-receiver.js';
import { loadingPredictor, type LoadingPredictor } from '../support/loading-predictor.js';
import { metricValue, send, tempDir, testOptions, waitFor } from './helpers.js';

const FIRST_LOAD_MS = 1_500;
const SECOND_LOAD_MS = 2_000;
const WARMUP_MS = 2_500;
const INTERVAL_MS = 100;
/** Load times are seen at the poll interval; the margin allows for a loaded 2-core machine. */
const MARGIN_S = 0.75;

const ids = { model: 'm', namespace: 'payments', revision: 'fraud-detector-predictor-00001' };
const infer = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] });

let predictor: LoadingPredictor;
let receiver: EventReceiver;
let sidecar: Sidecar;
let cleanup: () => Promise<void>;
let sidecarStart = 0;
let firstObserved = Number.NaN;

async function scrape(): Promise<string> {
  return (await send(`${sidecar.url}/metrics`)).body.toString('utf8');
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue(await scrape(), name, { ...ids, ...labels });
}

/** Sends `n` V2 inference requests to `model` at once; their status codes. */
async function inferN(n: number, model = 'm'): Promise<number[]> {
  const replies = await Promise.all(Array.from({ length: n }, () => send(`${sidecar.url}/v2/models/${model}/infer`, { headers: { 'content-type': 'application/json' }, body: infer })));
  return replies.map((r) => r.status);
}

const CONFIG = `
models:
  - name: fraud-detector
    namespace: payments
    owners: [{ team: fraud-ml, receiver: fraud-ml }]
    slos: [{ name: availability, objective: 99.9, window: 28d, sli: { availability: {} } }]
alerting: { oncall_receiver: fraud-ml, receivers: [{ name: fraud-ml }] }
sidecar:
  readiness: { path: "/v1/models/{model}", interval: 2s, timeout: 500ms, warmup: 5m }
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  predictor = await loadingPredictor();
  receiver = await startEventReceiver();
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  sidecarStart = performance.now();
  sidecar = await startSidecar(
    testOptions(predictor.url, receiver.url, tmp.dir, undefined, (o) => {
      o.defaultModel = 'm';
      o.readiness = { intervalMs: INTERVAL_MS, timeoutMs: 2_000, warmupMs: WARMUP_MS };
    }),
    { tracing: false },
  );
  await predictor.start(FIRST_LOAD_MS);
});

afterAll(async () => {
  await sidecar.close(2_000);
  await predictor.stop();
  await receiver.down();
  await cleanup();
});

describe('the predictor loading and restarting', () => {
  it('counts requests sent while the predictor loads as cold starts', async () => {
    expect(await metric('modelslo_predictor_ready')).toBe(0);
    expect(await inferN(3)).toEqual([503, 503, 503]);
    expect(performance.now()).toBeLessThan(predictor.readyAt);
    expect(await metric('modelslo_cold_start_requests_total', { protocol: 'v2', code: '503' })).toBe(3);
  });

  it('measures the first load time from sidecar start', async () => {
    await waitFor('the predictor ready', async () => (await metric('modelslo_predictor_ready')) === 1);
    const expected = (predictor.readyAt - sidecarStart) / 1000;
    expect(expected).toBeGreaterThanOrEqual(FIRST_LOAD_MS / 1000);
    expect(await metric('modelslo_predictor_load_seconds_count')).toBe(1);
    firstObserved = await metric('modelslo_predictor_load_seconds_sum');
    expect(Math.abs(firstObserved - expected)).toBeLessThan(MARGIN_S);
    expect(await metric('modelslo_predictor_readiness_transitions_total', { to: 'ready' })).toBe(1);
    expect(await metric('modelslo_predictor_readiness_transitions_total', { to: 'not_ready' })).toBe(0);
  });

  it('counts requests within the warm-up as cold starts, and not those after it', async () => {
    const seenReady = performance.now();
    expect(await inferN(2)).toEqual([200, 200]);
    // The warm-up counts from when the sidecar saw readiness, before this test did.
    expect(performance.now() - seenReady).toBeLessThan(WARMUP_MS - 1_000);
    await sleep(WARMUP_MS + 500 - (performance.now() - seenReady));
    expect(await inferN(4)).toEqual([200, 200, 200, 200]);
    expect(await metric('modelslo_cold_start_requests_total', { code: '200' })).toBe(2);
    expect(await metric('modelslo_cold_start_requests_total')).toBe(5);
    expect(await metric('modelslo_cold_start_request_duration_seconds_count', { protocol: 'v2' })).toBe(5);
    // Cold starts are counted in the request SLIs too.
    expect(await metric('modelslo_requests_total', { code: '200' })).toBe(6);
    expect(await metric('modelslo_requests_total')).toBe(9);
  });

  it('sees readiness lost when the predictor stops and measures the reload from the loss', async () => {
    await predictor.stop();
    await waitFor('readiness lost', async () => (await metric('modelslo_predictor_ready')) === 0);
    expect(await metric('modelslo_predictor_readiness_transitions_total', { to: 'not_ready' })).toBe(1);
    expect(await inferN(2)).toEqual([502, 502]);
    await predictor.start(SECOND_LOAD_MS);
    expect(await inferN(1)).toEqual([503]);
    await waitFor('the predictor ready again', async () => (await metric('modelslo_predictor_ready')) === 1);
    expect(await metric('modelslo_predictor_readiness_transitions_total', { to: 'ready' })).toBe(2);
    expect(await metric('modelslo_predictor_load_seconds_count')).toBe(2);
    const expectedSecond = (predictor.readyAt - predictor.stoppedAt) / 1000;
    expect(expectedSecond).toBeGreaterThanOrEqual(SECOND_LOAD_MS / 1000);
    const second = (await metric('modelslo_predictor_load_seconds_sum')) - firstObserved;
    expect(Math.abs(second - expectedSecond)).toBeLessThan(MARGIN_S);
    expect(await metric('modelslo_cold_start_requests_total', { code: '502' })).toBe(2);
    expect(await metric('modelslo_cold_start_requests_total', { code: '503' })).toBe(4);
    expect(await metric('modelslo_cold_start_requests_total')).toBe(8);
  });

  it('gauges inference requests in flight while slow requests are held, back to 0 after', async () => {
    expect(await metric('modelslo_requests_in_flight')).toBe(0);
    const pending = inferN(3, 'slow');
    await waitFor('3 slow requests held', () => predictor.held() === 3);
    expect(await metric('modelslo_requests_in_flight', { model: 'slow' })).toBe(3);
    expect(await metric('modelslo_requests_in_flight', { model: 'm' })).toBe(0);
    predictor.release();
    expect(await pending).toEqual([200, 200, 200]);
    await waitFor('no request in flight', async () => (await metric('modelslo_requests_in_flight', { model: 'slow' })) === 0);
  });
});

describe('what counts as a ready answer', () => {
  it.each([
    { name: 'a V2 200 with an empty body', status: 200, body: '', ready: true },
    { name: 'a V2 200 with {"ready": true}', status: 200, body: '{"ready": true}', ready: true },
    { name: 'a V1 200 with {"name": "m", "ready": false}', status: 200, body: '{"name":"m","ready":false}', ready: false },
    { name: 'a V1 200 with {"name": "m", "ready": true}', status: 200, body: '{"name":"m","ready":true}', ready: true },
    { name: 'a 503', status: 503, body: '{"ready": true}', ready: false },
    { name: 'a 404 (path not served)', status: 404, body: '', ready: false },
  ])('$name is ready: $ready', ({ status, body, ready }) => {
    expect(answersReady(status, body)).toBe(ready);
  });
});

describe('readiness options', () => {
  const base = { upstream: 'http://127.0.0.1:8080', daemon: 'http://127.0.0.1:9464', listen: { host: '127.0.0.1', port: 0 }, model: 'fraud-detector' };

  it('defaults to the V2 server-ready path, 1 s interval and timeout, 60 s warm-up', () => {
    const o = resolveOptions(base, undefined, {});
    expect(o.readyPath).toBe('/v2/health/ready');
    expect(o.readiness).toEqual({ intervalMs: 1_000, timeoutMs: 1_000, warmupMs: 60_000 });
  });

  it('puts the model into a V1 path and takes durations from flags', () => {
    const o = resolveOptions({ ...base, readyPath: '/v1/models/{model}', readyInterval: '500ms', readyTimeout: '2s', warmup: '0s' }, undefined, {});
    expect(o.readyPath).toBe('/v1/models/fraud-detector');
    expect(o.readiness).toEqual({ intervalMs: 500, timeoutMs: 2_000, warmupMs: 0 });
  });

  it.each([
    [{ readyInterval: '0s' }, '--ready-interval must be more than 0'],
    [{ readyTimeout: 'soon' }, '--ready-timeout must be a duration'],
    [{ warmup: '-1s' }, '--warmup must be a duration'],
    [{ readyPath: 'v2/health/ready' }, '--ready-path must be a path'],
  ])('refuses %j naming the flag', (flags, message) => {
    expect(() => resolveOptions({ ...base, ...flags }, undefined, {})).toThrow(message);
  });

  it('reads sidecar.readiness from the config file', () => {
    const parsed = parseConfig(CONFIG, 'modelslo.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const o = resolveOptions(base, parsed.config, {});
    expect(o.readyPath).toBe('/v1/models/fraud-detector');
    expect(o.readiness).toEqual({ intervalMs: 2_000, timeoutMs: 500, warmupMs: 300_000 });
  });
});
