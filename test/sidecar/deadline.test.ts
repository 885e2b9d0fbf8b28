/**
 * `sidecar.upstream_timeout` is one deadline from arrival to the last byte: a predictor trickling its
 * headers gets the client a 504 at the deadline, one trickling its body has the response cut at the
 * deadline (counted 504), time waiting for a pooled connection counts, and past
 * `sidecar.upstream_queue` waiting requests the client gets 503 at once. Measured within 10 %.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { metricValue, tempDir, testOptions } from './helpers.js';

const DEADLINE = 2_000;
let upstream: Server;
let sidecar: Sidecar;
let cleanup: () => Promise<void>;
const sockets = new Set<Socket>();

/** A predictor over raw TCP: trickles headers or body a byte at a time, or answers late. */
function startPredictor(): Promise<Server> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (d) => {
      const path = d.toString().split(' ')[1] ?? '/';
      let timer: NodeJS.Timeout | undefined;
      socket.on('close', () => clearInterval(timer));
      if (path === '/trickle-headers') {
        socket.write('HTTP/1.1 200 OK\r\n');
        timer = setInterval(() => socket.write('X'), 200);
      } else if (path === '/trickle-body') {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\n');
        timer = setInterval(() => socket.write('x'), 200);
      } else {
        timer = setTimeout(() => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'), 3 * DEADLINE);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  upstream = await startPredictor();
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  sidecar = await startSidecar(
    testOptions(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, 'http://127.0.0.1:9', tmp.dir, undefined, (o) => {
      o.upstreamTimeoutMs = DEADLINE;
      o.upstreamConnections = 2;
      o.upstreamQueue = 2;
      o.defaultModel = 'slow-model';
    }),
    { tracing: false },
  );
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await sidecar.close(1_000);
  await new Promise<void>((r) => upstream.close(() => r()));
  await cleanup();
});

/** Status (0: connection cut) and elapsed ms of one request. */
async function timed(path: string): Promise<{ status: number; ms: number; cut: boolean }> {
  const t0 = performance.now();
  try {
    const r = await fetch(`${sidecar.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    try {
      await r.text();
      return { status: r.status, ms: performance.now() - t0, cut: false };
    } catch {
      return { status: r.status, ms: performance.now() - t0, cut: true };
    }
  } catch {
    return { status: 0, ms: performance.now() - t0, cut: true };
  }
}

const within10 = (ms: number): void => {
  expect(ms).toBeGreaterThanOrEqual(DEADLINE * 0.98);
  expect(ms).toBeLessThanOrEqual(DEADLINE * 1.1);
};

describe('the upstream deadline', () => {
  it('answers 504 at the deadline to a predictor trickling its headers', async () => {
    const r = await timed('/trickle-headers');
    expect(r.status).toBe(504);
    within10(r.ms);
  });

  it('cuts a response whose body trickles past the deadline, at the deadline, and counts it 504', async () => {
    const before = metricValue(await sidecar.metrics.registry.metrics(), 'modelslo_other_requests_total', { code: '504' });
    const r = await timed('/trickle-body');
    expect(r.status).toBe(200);
    expect(r.cut).toBe(true);
    within10(r.ms);
    expect(metricValue(await sidecar.metrics.registry.metrics(), 'modelslo_other_requests_total', { code: '504' }) - before).toBe(1);
  });

  it('counts the time waiting for a pooled connection, and answers 503 at once past the queue limit', async () => {
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => new Promise<{ status: number; ms: number }>((resolve) => setTimeout(() => void timed('/v2/models/slow-model/infer').then(resolve), i * 20))));
    const busy = results.filter((r) => r.status === 503);
    const late = results.filter((r) => r.status === 504);
    // 2 connections + 2 waiting: those 4 reach the deadline (the predictor answers after 3× it), the other 3 are refused at once.
    expect(late).toHaveLength(4);
    expect(busy).toHaveLength(3);
    for (const r of late) within10(r.ms);
    for (const r of busy) expect(r.ms).toBeLessThan(DEADLINE * 0.1);
    const text = await sidecar.metrics.registry.metrics();
    expect(metricValue(text, 'modelslo_requests_total', { model: 'slow-model', code: '503' })).toBe(3);
    expect(metricValue(text, 'modelslo_requests_total', { model: 'slow-model', code: '504' })).toBe(4);
  });
});
