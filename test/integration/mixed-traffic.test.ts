/**
 * Mixed traffic as Kubernetes and clients send it, through the real sidecar and the real daemon:
 * 200 V2 inferences with health, readiness and metadata calls between them. Every inference is
 * stored and joined, nothing is dropped, the probes are counted apart (capture `skipped`, their own
 * request counter) and stay out of the SLI counters; then the same with one malformed V2 body per batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { startTestDaemon, TEST_TOKEN, type TestDaemon } from '../support/daemon.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { metricValue, send, tempDir, testOptions, waitFor } from '../sidecar/helpers.js';

const PROBES = ['/v2/health/ready', '/v2/health/live', '/v2', '/v2/models/fraud-detector', '/v2/models/fraud-detector/ready'];
const N = 200;

let model: ModelServer;
let daemon: TestDaemon;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  model = await startModelServer({ record: false });
  daemon = await startTestDaemon();
  cleanup = (await tempDir()).cleanup;
});

afterAll(async () => {
  await daemon?.stop();
  await model?.stop();
  await cleanup?.();
});

interface Item {
  requestId: string;
  state: string;
  status: number | null;
  features: unknown[] | null;
  decodeError: string | null;
}

async function stored(prefix: string): Promise<Item[]> {
  const r = await daemon.get('/api/v1/models/payments/fraud-detector/predictions?limit=1000');
  return (r.body as { items: Item[] }).items.filter((p) => p.requestId.startsWith(prefix));
}

/** Sends N inferences (every `malformedEvery`-th with a V2 body whose data does not fit its shape) and 1–2 probes after each. */
async function run(sidecar: Sidecar, prefix: string, malformedEvery: number | undefined): Promise<{ probes: number; malformed: Set<string> }> {
  let probes = 0;
  const malformed = new Set<string>();
  for (let i = 0; i < N; i++) {
    const id = `${prefix}${i}`;
    const bad = malformedEvery !== undefined && i % malformedEvery === 3;
    if (bad) malformed.add(id);
    const body = JSON.stringify({ inputs: [{ name: 'amount', datatype: 'FP32', shape: [bad ? 2 : 1], data: [i] }] });
    const r = await send(`${sidecar.url}/v2/models/fraud-detector/infer`, { headers: { 'content-type': 'application/json', 'x-request-id': id }, body });
    expect(r.status).toBe(200);
    for (const p of i % 3 === 0 ? [PROBES[i % 5], PROBES[(i + 2) % 5]] : [PROBES[i % 5]]) {
      expect((await send(`${sidecar.url}${p ?? '/'}`)).status).toBe(200);
      probes += 1;
    }
  }
  sidecar.flushQueue();
  return { probes, malformed };
}

describe.each([
  ['probes and metadata calls mixed in', 'mix-', undefined],
  ['and one malformed V2 body per batch', 'bad-', 40],
])('200 inferences with %s', (_name, prefix, malformedEvery) => {
  let sidecar: Sidecar;
  let sent: { probes: number; malformed: Set<string> };
  beforeAll(async () => {
    const tmp = await tempDir();
    sidecar = await startSidecar(
      testOptions(model.url, daemon.url, tmp.dir, undefined, (o) => {
        o.token = TEST_TOKEN;
        o.defaultModel = 'fraud-detector';
        // 80 events a batch: each batch holds a malformed body in the second run.
        o.capture.batchEvents = 80;
      }),
      { tracing: false },
    );
    sent = await run(sidecar, prefix, malformedEvery);
  }, 120_000);
  afterAll(async () => {
    await sidecar?.close(2_000);
  });

  it('stores and joins every inference exchange; drops none', async () => {
    await waitFor('every inference joined', async () => (await stored(prefix)).filter((p) => p.state === 'joined').length === N, 30_000);
    const text = await sidecar.metrics.registry.metrics();
    expect(metricValue(text, 'modelslo_capture_events_total', { outcome: 'dropped' })).toBe(0);
    expect(metricValue(text, 'modelslo_capture_events_total', { outcome: 'shipped' })).toBe(2 * N);
    const items = await stored(prefix);
    expect(items).toHaveLength(N);
    const bad = items.filter((p) => sent.malformed.has(p.requestId));
    expect(bad).toHaveLength(sent.malformed.size);
    for (const p of bad) expect(p).toMatchObject({ features: null, decodeError: 'data.inputs[0].data: has 1 elements, shape [2] needs 2' });
    for (const p of items.filter((x) => !sent.malformed.has(x.requestId))) expect(p.decodeError).toBeNull();
  });

  it('counts probes apart: skipped by capture, in their own counter, not in the SLI counters', async () => {
    const text = await sidecar.metrics.registry.metrics();
    expect(metricValue(text, 'modelslo_capture_events_total', { outcome: 'skipped' })).toBe(2 * sent.probes);
    expect(metricValue(text, 'modelslo_requests_total')).toBe(N);
    expect(metricValue(text, 'modelslo_request_duration_seconds_count')).toBe(N);
    const health = metricValue(text, 'modelslo_other_requests_total', { route: 'health' });
    const metadata = metricValue(text, 'modelslo_other_requests_total', { route: 'metadata' });
    expect(health + metadata).toBe(sent.probes);
    expect(health).toBeGreaterThan(0);
    expect(metadata).toBeGreaterThan(0);
  });
});
