/**
 * `sidecar.upstream_timeout` is one deadline from arrival to the last byte: a predictor trickling its
 * headers gets the client a 504 at the deadline, one trickling its body has the response cut at the
 * deadline (counted 504), time waiting for a pooled connection counts, a client trickling a body the
 * sidecar reads whole gets its 504 at the deadline with nothing sent to the predictor, and past
 * `sidecar.upstream_queue` waiting requests the client gets 503 at once. Measured within 10 %.
 * The same raw predictor checks that hop-by-hop headers stop at the sidecar both ways.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { metricValue, tempDir, testOptions } from './helpers.js';

const DEADLINE = 2_000;
let upstream: Server;
let sidecar: Sidecar;
let cleanup: () => Promise<void>;
const sockets = new Set<Socket>();
/** The head of every request the predictor received (request line and headers). */
const heads: string[] = [];

/** A predictor over raw TCP: trickles headers or body a byte at a time, or answers late. */
function startPredictor(): Promise<Server> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (d) => {
      heads.push(d.toString('latin1').split('\r\n\r\n')[0] ?? '');
      const path = d.toString().split(' ')[1] ?? '/';
      let timer: NodeJS.Timeout | undefined;
      socket.on('close', () => clearInterval(timer));
      if (path === '/trickle-headers') {
        socket.write('HTTP/1.1 200 OK\r\n');
        timer = setInterval(() => socket.write('X'), 200);
      } else if (path === '/headers') {
        socket.write(
          'HTTP/1.1 200 OK\r\nConnection: x-hop, keep-alive\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-End: kept\r\ncontent-length: 2\r\n\r\nok',
        );
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

/** Writes a request head with `Content-Length: length`, then one body byte every `gapMs`; resolves with what the sidecar answered and when. */
function trickleBody(path: string, length: number, gapMs: number): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = connect(sidecar.port, '127.0.0.1');
    let text = '';
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < length) socket.write('x', () => undefined);
      sent += 1;
    }, gapMs);
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        clearInterval(timer);
        socket.destroy();
        resolve({ text, ms: performance.now() - t0 });
      }
    });
    socket.write(`POST ${path} HTTP/1.1\r\nHost: sidecar\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
  });
}

describe('a request body the sidecar reads whole first', () => {
  it('answers 504 at the deadline when the client trickles it, and sends the predictor nothing', async () => {
    const before = heads.length;
    const r = await trickleBody('/v2/models/slow-model/infer?trickled', 100, 300);
    expect(r.text.split('\r\n')[0]).toBe('HTTP/1.1 504 Gateway Timeout');
    within10(r.ms);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heads.slice(before).filter((h) => h.includes('trickled'))).toEqual([]);
  });
});

describe('hop-by-hop headers', () => {
  it('are not forwarded either way, nor those Connection names; repeated headers are kept apart', async () => {
    const before = heads.length;
    const text = await new Promise<string>((resolve) => {
      const socket = connect(sidecar.port, '127.0.0.1');
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (got.endsWith('\r\n\r\nok')) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.write('GET /headers HTTP/1.1\r\nHost: sidecar\r\nConnection: x-client-hop\r\nX-Client-Hop: no\r\nX-Kept: yes\r\nTE: trailers\r\n\r\n');
    });
    const lines = text.split('\r\n\r\n')[0]?.split('\r\n').map((l) => l.toLowerCase()) ?? [];
    expect(lines[0]).toBe('http/1.1 200 ok');
    expect(lines).toContain('x-end: kept');
    expect(lines.filter((l) => l.startsWith('set-cookie:'))).toEqual(['set-cookie: a=1', 'set-cookie: b=2']);
    expect(lines.filter((l) => l.startsWith('x-hop') || l === 'keep-alive: timeout=5')).toEqual([]);
    const head = heads.slice(before).find((h) => h.startsWith('GET /headers')) ?? '';
    expect(head.toLowerCase()).toContain('x-kept: yes');
    expect(head.toLowerCase()).not.toContain('x-client-hop');
    expect(head.toLowerCase()).not.toMatch(/^te:/m);
  });
});
