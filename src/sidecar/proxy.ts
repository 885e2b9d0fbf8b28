/**
 * The request path: stream the request to the predictor over pooled keep-alive connections (undici),
 * stream the response back, count it, and hand the raw bytes (up to the capture limit) to the capture
 * queue. Nothing here parses, redacts, or touches disk or the daemon; it cannot fail a response.
 * `sidecar.upstream_timeout` is one deadline from arrival to the last byte (time waiting for a pooled
 * connection included); past `sidecar.upstream_queue` requests waiting for a connection, 503 at once.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import type { Logger } from '../ops/logger.js';
import type { RawExchange } from './capture-queue.js';
import type { SidecarMetrics } from './metrics.js';
import type { ModelCapture, SidecarOptions } from './options.js';
import { classify } from './route.js';
import type { ServingState } from './serving-state.js';
import type { RequestTracer } from './tracing.js';

/** What the request path uses. */
export interface ProxyDeps {
  opts: SidecarOptions;
  pool: Pool;
  metrics: SidecarMetrics;
  /** Cold-start window and in-flight gauge. */
  serving: ServingState;
  tracer: RequestTracer | undefined;
  enqueue(x: RawExchange): void;
  log: Logger;
  /** Requests in flight to the predictor (holding or waiting for a pooled connection). */
  inflight: { n: number };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones undici sets itself; never forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect', 'proxy-authorization', 'proxy-authenticate']);

/**
 * The headers to forward: all but the hop-by-hop ones, and those the message's own `Connection`
 * header names (RFC 9110 §7.6.1: "a proxy … MUST remove … each connection option").
 */
export function endToEnd(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const conn = headers.connection;
  const named = conn === undefined ? undefined : new Set((Array.isArray(conn) ? conn.join(',') : conn).split(',').map((t) => t.trim().toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const v = headers[name];
    if (v !== undefined && !HOP.has(name) && named?.has(name) !== true) out[name] = v;
  }
  return out;
}

/** Answers without asking the predictor (OPTIONS *, targets that are not a path, too many waiting). */
function answer(res: ServerResponse, status: number, headers: Record<string, string>, error?: string): void {
  const body = error === undefined ? '' : JSON.stringify({ error });
  res.writeHead(status, { ...headers, ...(error === undefined ? {} : { 'content-type': 'application/json' }), 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Bytes of one body kept for capture, up to a limit, without copying. */
class Tap {
  chunks: Buffer[] = [];
  bytes = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  add(chunk: Buffer): void {
    if (this.truncated) return;
    const room = this.limit - this.bytes;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.bytes += chunk.length;
    } else {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.bytes = this.limit;
      this.truncated = true;
    }
  }
}

function sampled(capture: ModelCapture): boolean {
  return capture.sampleRate >= 1 || (capture.sampleRate > 0 && Math.random() < capture.sampleRate);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Proxies one request. */
export function proxyRequest(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse): void {
  const t0 = performance.now();
  const startEpoch = Date.now();
  const { opts } = deps;
  const path = req.url ?? '/';
  const route = classify(path);
  const model = route.model ?? opts.defaultModel;
  // Arrived while the predictor was not ready or warming up (one field read; see readiness.ts).
  const cold = t0 < deps.serving.coldUntil && route.kind === 'inference';
  const count = (code: number, seconds: number): void => {
    if (route.kind === 'inference') {
      deps.metrics.observe(model, route.protocol, code, seconds);
      if (cold) deps.serving.cold(model, route.protocol, code, seconds);
    } else deps.metrics.observeOther(model, route.protocol, route.kind, code);
  };
  // Only origin-form targets ("/path") go to the predictor: `OPTIONS *` is the sidecar's to answer
  // (RFC 9110 §9.3.7), and absolute or authority forms are not a reverse proxy's business.
  if (!path.startsWith('/')) {
    if (req.method === 'OPTIONS' && path === '*') answer(res, 200, { allow: 'GET, HEAD, POST, OPTIONS' });
    else answer(res, 400, { connection: 'close' }, `request target must be a path, got "${path.slice(0, 64)}"`);
    req.resume();
    count(res.statusCode, (performance.now() - t0) / 1000);
    return;
  }
  if (deps.inflight.n >= opts.upstreamConnections + opts.upstreamQueue) {
    answer(res, 503, { 'retry-after': '1' }, `predictor busy: ${deps.inflight.n} requests in flight or waiting (sidecar.upstream_connections + sidecar.upstream_queue)`);
    req.resume();
    count(503, (performance.now() - t0) / 1000);
    return;
  }
  const captured = route.kind === 'inference' || route.kind === 'unknown';
  const capture = captured && sampled(opts.models.get(model) ?? opts.fallbackCapture);
  const id = header(req.headers['ce-id']) ?? header(req.headers['x-request-id']) ?? randomUUID();

  const outgoing = endToEnd(req.headers);
  const span = deps.tracer?.start(`${req.method ?? 'GET'} ${route.protocol}`, req.headers, outgoing, {
    'modelslo.model': model,
    'modelslo.namespace': opts.namespace,
    'modelslo.request_id': id,
    'http.request.method': req.method ?? 'GET',
    'url.path': path.split('?')[0] ?? path,
  });

  const reqTap = capture ? new Tap(opts.capture.bodyLimitBytes) : undefined;
  const resTap = capture ? new Tap(opts.capture.bodyLimitBytes) : undefined;
  const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
  if (reqTap !== undefined && hasBody) {
    // Paused again at once: undici resumes the stream when it has a connection and listens too.
    req.on('data', (chunk: Buffer) => reqTap.add(chunk));
    req.pause();
  }

  const abort = new AbortController();
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, opts.upstreamTimeoutMs);
  deps.inflight.n += 1;
  const slot = route.kind === 'inference' ? deps.serving.inflight(model) : undefined;
  if (slot !== undefined) slot.n += 1;
  let status = 0;
  let responseType: string | undefined;
  let done = false;
  const finish = (code: number): void => {
    if (done) return;
    done = true;
    clearTimeout(deadline);
    deps.inflight.n -= 1;
    if (slot !== undefined) slot.n -= 1;
    const ms = performance.now() - t0;
    count(code, ms / 1000);
    if (span !== undefined) deps.tracer?.end(span, code);
    if (!captured) deps.metrics.capture('skipped', 2);
    if (reqTap === undefined || resTap === undefined || code === 499) return;
    deps.enqueue({
      id,
      start: startEpoch,
      model,
      protocol: route.protocol,
      path,
      requestType: req.headers['content-type'],
      requestChunks: reqTap.chunks,
      requestTruncated: reqTap.truncated,
      status: code,
      latencyMs: ms,
      responseType,
      responseChunks: resTap.chunks,
      responseTruncated: resTap.truncated,
    });
  };
  res.on('finish', () => finish(status));
  // The client went away before the response was complete: 499 (nginx's "client closed request").
  res.on('close', () => finish(res.writableFinished ? status : timedOut ? 504 : 499));

  const fail = (err: unknown): void => {
    const code = (err as { code?: string }).code ?? '';
    const timeout = timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    status = timeout ? 504 : 502;
    if (res.headersSent) {
      // Mid-body failure or the deadline passed while the body was streaming: the client sees a cut
      // response; counted as 504 (deadline) or 502 (predictor failed).
      res.destroy();
      finish(status);
      return;
    }
    const body = JSON.stringify({ error: timeout ? `predictor timed out after ${opts.upstreamTimeoutMs} ms` : `predictor unreachable: ${code || (err instanceof Error ? err.message : String(err))}` });
    resTap?.add(Buffer.from(body));
    responseType = 'application/json';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    deps.log.warn({ err: timedOut ? undefined : err, id, path, status }, 'predictor request failed');
  };

  deps.pool
    .request({ path, method: (req.method ?? 'GET'), headers: outgoing, body: hasBody ? req : null, signal: abort.signal })
    .then((up) => {
      status = up.statusCode;
      responseType = header(up.headers['content-type']);
      res.writeHead(up.statusCode, endToEnd(up.headers));
      if (resTap !== undefined) up.body.on('data', (chunk: Buffer) => resTap.add(chunk));
      up.body.on('error', fail);
      res.on('close', () => {
        if (!res.writableFinished) up.body.destroy();
      });
      up.body.pipe(res);
    })
    .catch(fail);
}
