/**
 * The request path: stream the request to the predictor over pooled keep-alive connections (undici),
 * stream the response back, count it, and hand the raw bytes (up to the capture limit) to the capture
 * queue. Nothing here parses, redacts, or touches disk or the daemon; it cannot fail a response.
 * `sidecar.upstream_timeout` is one deadline from arrival to the last byte (time waiting for a pooled
 * connection included); past `sidecar.upstream_queue` requests waiting for a connection, 503 at once.
 */
import type { Span } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { util, type Dispatcher, type Pool } from 'undici';
import type { Logger } from '../ops/logger.js';
import type { RawExchange } from './capture-batch.js';
import type { ModelMetrics, SidecarMetrics } from './metrics.js';
import type { ModelCapture, SidecarOptions } from './options.js';
import { classify, type Route } from './route.js';
import type { InflightSlot, ServingState } from './serving-state.js';
import type { RequestTracer } from './tracing.js';

const { headerNameToString } = util;

/** What the request path uses. */
export interface ProxyDeps {
  opts: SidecarOptions;
  pool: Pool;
  metrics: SidecarMetrics;
  /** Cold-start window and in-flight gauge. */
  serving: ServingState;
  tracer: RequestTracer | undefined;
  /** Hands a finished exchange to capture; `redact`: its model has redaction rules. */
  enqueue(x: RawExchange, redact: boolean): void;
  log: Logger;
  /** Requests in flight to the predictor (holding or waiting for a pooled connection). */
  inflight: { n: number };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones undici sets itself; never forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect', 'proxy-authorization', 'proxy-authenticate']);

const PLAIN_CONNECTION = /^\s*keep-alive\s*$/i;

/**
 * The headers to forward: all but the hop-by-hop ones, and those the message's own `Connection`
 * header names (RFC 9110 §7.6.1: "a proxy … MUST remove … each connection option").
 */
export function endToEnd(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const conn = headers.connection;
  // `keep-alive` (nearly every request's) names only a hop-by-hop header: no set to build.
  const plain = conn === undefined || (typeof conn === 'string' && PLAIN_CONNECTION.test(conn));
  const named = plain ? undefined : new Set((Array.isArray(conn) ? conn.join(',') : conn).split(',').map((t) => t.trim().toLowerCase()));
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

/**
 * Request bodies of a known length up to this are read whole before the predictor is asked (one
 * write, none of a stream's per-chunk work; nginx buffers bodies the same way), larger or chunked
 * ones are streamed. Every model server reads the whole body before it answers, so nothing waits longer.
 */
const BUFFERED_BODY_BYTES = 64 * 1024;

/** Raised into undici's abort when the request's deadline passes. */
class DeadlineError extends Error {}

function sampled(capture: ModelCapture): boolean {
  return capture.sampleRate >= 1 || (capture.sampleRate > 0 && Math.random() < capture.sampleRate);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The response headers to send on: the predictor's raw header lines (undici's Buffers, in order,
 * repeated names such as `set-cookie` kept apart) less the hop-by-hop ones and those its own
 * `Connection` names, as the flat name/value list `res.writeHead` takes. Also returns its content type.
 */
function responseHeaders(raw: Buffer[]): { lines: string[]; contentType: string | undefined } {
  let named: Set<string> | undefined;
  let contentType: string | undefined;
  let lines: string[] = [];
  // One pass; only a `Connection` naming other headers (rare) costs a second, over the kept lines.
  for (let i = 0; i < raw.length; i += 2) {
    const name = headerNameToString(raw[i] as Buffer);
    const value = (raw[i + 1] as Buffer).toString('latin1');
    if (name === 'connection' && !PLAIN_CONNECTION.test(value)) for (const t of value.split(',')) (named ??= new Set()).add(t.trim().toLowerCase());
    if (HOP.has(name)) continue;
    if (name === 'content-type' && contentType === undefined) contentType = value;
    lines.push(name, value);
  }
  if (named !== undefined) {
    const kept: string[] = [];
    for (let i = 0; i < lines.length; i += 2) if (!named.has(lines[i] as string)) kept.push(lines[i] as string, lines[i + 1] as string);
    lines = kept;
    if (named.has('content-type')) contentType = undefined;
  }
  return { lines, contentType };
}

/** The exchange a response belongs to (set before its listeners are added). */
const EXCHANGE = Symbol('modelslo.exchange');
type Tagged<T> = T & { [EXCHANGE]: Exchange };

/** Listeners shared by every request (`this` is the emitter): no closure per request. */
function onRequestData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
  this[EXCHANGE].reqTap?.add(chunk);
}
function onBufferedData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
  this[EXCHANGE].bodyChunks.push(chunk);
}
function onBufferedEnd(this: Tagged<IncomingMessage>): void {
  this[EXCHANGE].bodyReceived();
}
function onResponseClose(this: Tagged<ServerResponse>): void {
  this[EXCHANGE].closed();
}
function onResponseDrain(this: Tagged<ServerResponse>): void {
  this[EXCHANGE].drained();
}
function expire(x: Exchange): void {
  x.expire();
}

/**
 * One proxied request, and undici's dispatch handler for it: the predictor's response is written to
 * the client as it arrives (headers, then each chunk, with undici's socket paused while the client
 * is slow), with no stream, promise or pipe in between. Every per-request field lives here.
 */
class Exchange implements Dispatcher.DispatchHandler {
  status = 0;
  responseType: string | undefined;
  /** A buffered request body's chunks as they arrive (see BUFFERED_BODY_BYTES). */
  readonly bodyChunks: Buffer[] = [];
  readonly reqTap: Tap | undefined;
  readonly resTap: Tap | undefined;
  private done = false;
  private timedOut = false;
  private abort: ((err: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly slot: InflightSlot | undefined;

  constructor(
    private readonly deps: ProxyDeps,
    private readonly req: IncomingMessage,
    private readonly res: Tagged<ServerResponse>,
    private readonly route: Route,
    private readonly model: string,
    private readonly bound: ModelMetrics,
    private readonly cold: boolean,
    private readonly t0: number,
    private readonly startEpoch: number,
    private readonly id: string,
    private readonly captured: boolean,
    /** The model's capture policy when this exchange is captured (sampled in). */
    private readonly policy: ModelCapture | undefined,
    private readonly span: Span | undefined,
    private readonly outgoing: Record<string, string | string[]>,
  ) {
    const limit = deps.opts.capture.bodyLimitBytes;
    this.reqTap = policy === undefined ? undefined : new Tap(limit);
    this.resTap = policy === undefined ? undefined : new Tap(limit);
    this.timer = setTimeout(expire, deps.opts.upstreamTimeoutMs, this);
    deps.inflight.n += 1;
    this.slot = route.kind === 'inference' ? deps.serving.inflight(model) : undefined;
    if (this.slot !== undefined) this.slot.n += 1;
  }

  // undici's DispatchHandler (the callback form its HTTP/1.1 client calls directly).
  onConnect(abort: (err: Error) => void): void {
    this.abort = abort;
    if (this.timedOut || this.done) abort(this.timedOut ? new DeadlineError('deadline') : new Error('client closed the request'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational: not forwarded (as undici's request API)
    this.status = statusCode;
    this.resume = resume;
    const { lines, contentType } = responseHeaders(rawHeaders);
    this.responseType = contentType;
    this.res.writeHead(statusCode, lines);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.resTap?.add(chunk);
    if (this.res.write(chunk)) return true;
    this.res.once('drain', onResponseDrain);
    return false;
  }

  onComplete(): void {
    this.res.end();
  }

  onError(err: Error): void {
    if (this.done) return; // the client went away first: already counted
    const code = (err as { code?: string }).code ?? '';
    const timeout = this.timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    const status = timeout ? 504 : 502;
    this.status = status;
    const { res } = this;
    if (res.headersSent) {
      // Mid-body failure or the deadline passed while the body was streaming: the client sees a cut
      // response; counted as 504 (deadline) or 502 (predictor failed).
      res.destroy();
      this.finish(status);
      return;
    }
    const { opts } = this.deps;
    const body = JSON.stringify({ error: timeout ? `predictor timed out after ${opts.upstreamTimeoutMs} ms` : `predictor unreachable: ${code || err.message}` });
    this.resTap?.add(Buffer.from(body));
    this.responseType = 'application/json';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    this.deps.log.warn({ err: this.timedOut ? undefined : err, id: this.id, path: this.req.url, status }, 'predictor request failed');
  }

  /** Sends the request to the predictor, its body streamed from the client (`req`), buffered, or none. */
  send(body: IncomingMessage | Buffer | null): void {
    const { req } = this;
    this.deps.pool.dispatch({ path: req.url ?? '/', method: req.method ?? 'GET', headers: this.outgoing, body }, this);
  }

  /** The whole of a buffered request body has arrived: captured, then sent in one write. */
  bodyReceived(): void {
    if (this.done || this.timedOut) return; // answered already (the deadline passed while the client was sending)
    const chunks = this.bodyChunks;
    if (this.reqTap !== undefined) for (const c of chunks) this.reqTap.add(c);
    this.send(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
  }

  /** The response's 'drain': the client caught up, so undici may read on. */
  drained(): void {
    this.resume?.();
  }

  /**
   * The deadline passed: abort the predictor request; one still waiting for a pooled connection is
   * answered 504 now, and aborted the moment undici connects it.
   */
  expire(): void {
    this.timedOut = true;
    if (this.abort !== undefined) this.abort(new DeadlineError('deadline'));
    else this.onError(new DeadlineError('deadline'));
  }

  /** The response closed: finished, or the client went away first (499, nginx's "client closed request"). */
  closed(): void {
    if (this.res.writableFinished) {
      this.finish(this.status);
      return;
    }
    const code = this.timedOut ? 504 : 499;
    this.finish(code);
    this.abort?.(new Error('client closed the request'));
  }

  private finish(code: number): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    const { deps, route } = this;
    deps.inflight.n -= 1;
    if (this.slot !== undefined) this.slot.n -= 1;
    const ms = performance.now() - this.t0;
    count(deps, route, this.model, this.bound, this.cold, code, ms / 1000);
    if (this.span !== undefined) deps.tracer?.end(this.span, code);
    if (!this.captured) deps.metrics.capture('skipped', 2);
    const { reqTap, resTap, req, policy } = this;
    if (reqTap === undefined || resTap === undefined || policy === undefined || code === 499) return;
    deps.enqueue({
      id: this.id,
      start: this.startEpoch,
      model: this.model,
      protocol: route.protocol,
      path: req.url ?? '/',
      requestType: req.headers['content-type'],
      requestChunks: reqTap.chunks,
      requestTruncated: reqTap.truncated,
      status: code,
      latencyMs: ms,
      responseType: this.responseType,
      responseChunks: resTap.chunks,
      responseTruncated: resTap.truncated,
    }, policy.redact.length > 0);
  }
}

/** Counts one finished request: inference requests in the SLI metrics (and cold starts), others apart. */
function count(deps: ProxyDeps, route: Route, model: string, bound: ModelMetrics, cold: boolean, code: number, seconds: number): void {
  if (route.kind === 'inference') {
    bound.observe(route.protocol, code, seconds);
    if (cold) deps.serving.cold(model, route.protocol, code, seconds);
  } else bound.observeOther(route.protocol, route.kind, code);
}

/** Proxies one request. */
export function proxyRequest(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse): void {
  const t0 = performance.now();
  const { opts } = deps;
  const path = req.url ?? '/';
  const route = classify(path);
  const model = route.model ?? opts.defaultModel;
  const bound = deps.metrics.forModel(model);
  // Arrived while the predictor was not ready or warming up (one field read; see readiness.ts).
  const cold = t0 < deps.serving.coldUntil && route.kind === 'inference';
  // Only origin-form targets ("/path") go to the predictor: `OPTIONS *` is the sidecar's to answer
  // (RFC 9110 §9.3.7), and absolute or authority forms are not a reverse proxy's business.
  if (!path.startsWith('/')) {
    if (req.method === 'OPTIONS' && path === '*') answer(res, 200, { allow: 'GET, HEAD, POST, OPTIONS' });
    else answer(res, 400, { connection: 'close' }, `request target must be a path, got "${path.slice(0, 64)}"`);
    req.resume();
    count(deps, route, model, bound, cold, res.statusCode, (performance.now() - t0) / 1000);
    return;
  }
  if (deps.inflight.n >= opts.upstreamConnections + opts.upstreamQueue) {
    answer(res, 503, { 'retry-after': '1' }, `predictor busy: ${deps.inflight.n} requests in flight or waiting (sidecar.upstream_connections + sidecar.upstream_queue)`);
    req.resume();
    count(deps, route, model, bound, cold, 503, (performance.now() - t0) / 1000);
    return;
  }
  const captured = route.kind === 'inference' || route.kind === 'unknown';
  const policy = opts.models.get(model) ?? opts.fallbackCapture;
  const capture = captured && sampled(policy);
  const id = header(req.headers['ce-id']) ?? header(req.headers['x-request-id']) ?? randomUUID();

  const outgoing = endToEnd(req.headers);
  // Sampling is decided first: an unsampled request builds no span and no attributes.
  const span = deps.tracer?.start(`${req.method ?? 'GET'} ${route.protocol}`, req.headers, outgoing, () => ({
    'modelslo.model': model,
    'modelslo.namespace': opts.namespace,
    'modelslo.request_id': id,
    'http.request.method': req.method ?? 'GET',
    'url.path': path.split('?')[0] ?? path,
  }));

  const x = new Exchange(deps, req, res as Tagged<ServerResponse>, route, model, bound, cold, t0, Date.now(), id, captured, capture ? policy : undefined, span, outgoing);
  (req as Tagged<IncomingMessage>)[EXCHANGE] = x;
  (res as Tagged<ServerResponse>)[EXCHANGE] = x;
  res.on('close', onResponseClose);
  const length = req.headers['content-length'];
  if (length !== undefined && length !== '0' && Number(length) <= BUFFERED_BODY_BYTES) {
    req.on('data', onBufferedData);
    req.on('end', onBufferedEnd);
    return;
  }
  const hasBody = length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
  if (x.reqTap !== undefined && hasBody) {
    // Paused again at once: undici resumes the stream when it has a connection and listens too.
    req.on('data', onRequestData);
    req.pause();
  }
  x.send(hasBody ? req : null);
}
