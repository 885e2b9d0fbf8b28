/**
 * The daemon down, slow (5 s answers) and restarting: every predictor response still arrives, the
 * request path's p99 stays within noise of a baseline measured in the same test, memory stays bounded,
 * and after recovery every event is delivered exactly once (count and ids).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { startEventReceiver, type EventReceiver } from '../support/event-receiver.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { percentile, send, tempDir, testOptions, waitFor } from './helpers.js';

let model: ModelServer;
let receiver: EventReceiver;
let sidecar: Sidecar;
let cleanup: () => Promise<void>;
const QUEUE_EVENTS = 2_000;

beforeAll(async () => {
  model = await startModelServer({ record: false });
  receiver = await startEventReceiver();
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  sidecar = await startSidecar(
    testOptions(model.url, receiver.url, tmp.dir, undefined, (o) => {
      o.capture.batchEvents = 40;
      o.capture.queueEvents = QUEUE_EVENTS;
    }),
    { tracing: false },
  );
});
afterAll(async () => {
  await sidecar.close(2_000);
  await model.stop();
  await receiver.down();
  await cleanup();
});

const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
const sentIds: string[] = [];
let maxQueue = 0;

/** Sends `n` requests, 8 at a time; returns latencies (ms) and the statuses seen. */
async function phase(name: string, n: number): Promise<{ latencies: number[]; statuses: number[] }> {
  const latencies: number[] = [];
  const statuses: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const id = `${name}-${next++}`;
      sentIds.push(id);
      const t0 = performance.now();
      const r = await send(`${sidecar.url}/v2/models/fraud-detector/infer`, { headers: { 'content-type': 'application/json', 'x-request-id': id }, body });
      latencies.push(performance.now() - t0);
      statuses.push(r.status);
      maxQueue = Math.max(maxQueue, sidecar.queueLength() * 2);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { latencies, statuses };
}

it('keeps serving through daemon outages and delivers every spooled event exactly once after', async () => {
  await phase('warmup', 100);
  const baseline = await phase('baseline', 300);
  const heapBefore = process.memoryUsage().heapUsed;

  await receiver.down();
  const down = await phase('down', 300);

  await receiver.up();
  receiver.slowMs = 5_000;
  const arrivedBeforeSlow = receiver.received.length;
  const slow = await phase('slow', 300);
  // Let the 5 s answer come back, so the slow daemon really answered slowly (not reset by the restart below).
  await waitFor('a slow answer', () => receiver.received.length > arrivedBeforeSlow, 8_000);
  expect(Date.now() - (receiver.received.at(-1)?.at ?? 0)).toBeLessThan(1_000);

  receiver.slowMs = 0;
  setTimeout(() => void receiver.down(), 50);
  setTimeout(() => void receiver.up(), 600);
  const restarting = await phase('restarting', 300);
  const heapAfter = process.memoryUsage().heapUsed;

  const p99 = (xs: number[]): number => percentile(xs, 99);
  const bound = p99(baseline.latencies) * 4 + 30;
  for (const [name, p] of Object.entries({ down, slow, restarting })) {
    expect(p.statuses.filter((s) => s === 200), `${name}: every response arrives`).toHaveLength(300);
    expect(p99(p.latencies), `${name}: p99 ${p99(p.latencies).toFixed(1)} ms vs baseline ${p99(baseline.latencies).toFixed(1)} ms`).toBeLessThan(bound);
  }
  expect(maxQueue).toBeLessThanOrEqual(QUEUE_EVENTS);
  expect(heapAfter - heapBefore).toBeLessThan(64 * 1024 * 1024);

  sidecar.flushQueue();
  const expected = sentIds.length * 2;
  await waitFor(`${expected} events at the receiver`, () => receiver.events().length >= expected, 40_000);
  await new Promise((r) => setTimeout(r, 500));
  const events = receiver.events();
  expect(events).toHaveLength(expected);
  const perId = new Map<string, string[]>();
  for (const e of events) perId.set(String(e.id), [...(perId.get(String(e.id)) ?? []), String(e.type)]);
  expect([...perId.keys()].sort()).toEqual([...sentIds].sort());
  for (const types of perId.values()) expect(types.sort()).toEqual(['org.kubeflow.serving.inference.request', 'org.kubeflow.serving.inference.response']);
  expect(await sidecar.metrics.captured('spooled')).toBeGreaterThan(0);
  expect(await sidecar.metrics.captured('dropped')).toBe(0);
  expect(await sidecar.metrics.captured('shipped')).toBe(expected);
}, 90_000);
