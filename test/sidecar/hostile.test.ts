/**
 * A corpus of hostile HTTP/1.1 inputs sent to the sidecar over raw TCP (request smuggling forms,
 * oversized headers, invalid chunking, foreign request targets, slowloris), kept as a regression
 * test: the sidecar answers each with a 4xx or closes the connection, and the predictor never
 * receives any of them — neither the request nor anything smuggled in its body.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { tempDir, testOptions } from './helpers.js';

let model: ModelServer;
let sidecar: Sidecar;
let port = 0;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  model = await startModelServer();
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  sidecar = await startSidecar(testOptions(model.url, 'http://127.0.0.1:9', tmp.dir, undefined, (o) => (o.clientHeadersTimeoutMs = 1_000)), { tracing: false });
  port = Number(new URL(sidecar.url).port);
});

afterAll(async () => {
  await sidecar.close(1_000);
  await model.stop();
  await cleanup();
});

/** Writes `parts` (with `gapMs` between them) and collects everything the sidecar answers until it closes. */
function exchange(parts: string[], gapMs = 0, maxMs = 5_000): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = (): void => resolve({ text, ms: Date.now() - t0 });
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', done);
    setTimeout(() => socket.destroy(), maxMs).unref();
    void (async () => {
      for (const p of parts) {
        if (socket.destroyed) return;
        socket.write(p);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  });
}

const INFER = 'POST /v2/models/m/infer HTTP/1.1\r\nHost: sidecar\r\n';
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: sidecar\r\n\r\n';

const CORPUS: Array<[string, string]> = [
  ['Content-Length with Transfer-Encoding (CL.TE)', `${INFER}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['Transfer-Encoding with Content-Length (TE.CL)', `${INFER}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\n${SMUGGLED.slice(0, 8)}\r\n0\r\n\r\n`],
  ['two different Content-Lengths', `${INFER}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}${SMUGGLED}`],
  ['a Content-Length list', `${INFER}Content-Length: 2, 40\r\n\r\n{}${SMUGGLED}`],
  ['an obfuscated Transfer-Encoding (xchunked)', `${INFER}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['Transfer-Encoding: chunked, identity', `${INFER}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['a space before the colon of Transfer-Encoding', `${INFER}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['an obs-fold header line', `${INFER}X-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n`],
  ['an invalid chunk size', `${INFER}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
  ['a chunk longer than its size', `${INFER}Transfer-Encoding: chunked\r\n\r\n2\r\n{}}}}\r\n0\r\n\r\n`],
  ['a negative Content-Length', `${INFER}Content-Length: -1\r\n\r\n`],
  ['bare LF line endings', 'POST /v2/models/m/infer HTTP/1.1\nHost: sidecar\nContent-Length: 2\n\n{}'],
  ['a NUL in a header value', `${INFER}X-Bad: a\u0000b\r\nContent-Length: 0\r\n\r\n`],
  ['a control character in the path', 'GET /v2/models/m\u0001/infer HTTP/1.1\r\nHost: sidecar\r\n\r\n'],
  ['a header of 64 KiB', `${INFER}X-Big: ${'a'.repeat(64 * 1024)}\r\nContent-Length: 0\r\n\r\n`],
  ['an absolute-form target to another host', 'GET http://evil.example/v2/models/m/infer HTTP/1.1\r\nHost: evil.example\r\n\r\n'],
  ['an authority-form target', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n'],
  ['HTTP/1.1 without a Host', 'GET /v2/models/m HTTP/1.1\r\n\r\n'],
  ['an unknown HTTP version', 'GET /v2/models/m HTTP/7.0\r\nHost: sidecar\r\n\r\n'],
];

/** What the predictor received since `before`, less the sidecar's own readiness probes. */
function proxied(before: number): typeof model.seen {
  return model.seen.slice(before).filter((s) => s.path !== '/v2/health/ready');
}

describe('hostile inputs', () => {
  it.each(CORPUS)('%s: refused with a 4xx or a closed connection; the predictor receives nothing', async (_name, raw) => {
    const before = model.seen.length;
    const { text } = await exchange([raw]);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    expect(status === 0 || (status >= 400 && status < 500)).toBe(true);
    expect(text).not.toMatch(/^HTTP\/1\.1 [235]\d\d/m);
    expect(proxied(before)).toEqual([]);
  });

  it('closes a slowloris connection (headers a byte at a time) after the client headers timeout; the predictor receives nothing', async () => {
    const before = model.seen.length;
    const raw = `${INFER}X-Slow: ${'s'.repeat(200)}\r\nContent-Length: 0\r\n\r\n`;
    const { text, ms } = await exchange(raw.split(''), 20, 15_000);
    // Timeout 1 s, checked each second by Node: closed within ~3 s, long before the 5 s the bytes would take.
    expect(ms).toBeLessThan(3_500);
    expect(text === '' || /^HTTP\/1\.1 408/.test(text)).toBe(true);
    expect(proxied(before)).toEqual([]);
  });

  it('still proxies a well-formed chunked request after the corpus, byte for byte', async () => {
    const before = model.seen.length;
    const { text } = await exchange(['POST /echo HTTP/1.1\r\nHost: sidecar\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n']);
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text.endsWith('hello')).toBe(true);
    expect(proxied(before).map((s) => [s.path, s.body.toString()])).toEqual([['/echo', 'hello']]);
  });
});
