/**
 * The request path: stream the request to the predictor over pooled keep-alive connections (undici),
 * stream the response back, count it, and hand the raw bytes (up to the capture limit) to the capture
 * queue. Nothing here parses, redacts, or touches disk or the daemon; it cannot fail a response.
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
import type { RequestTracer } from './tracing.js';

/** What the request path uses. */
export interface ProxyDeps {
  opts: SidecarOptions;
  pool: Pool;
  metrics: SidecarMetrics;
  tracer: RequestTracer | undefined;
  enqueue(x: RawExchange): void;
  log: Logger;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones undici sets itself; never forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect', 'proxy-authorization', 'proxy-authenticate']);

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
  const capture = sampled(opts.models.get(model) ?? opts.fallbackCapture);
  const id = header(req.headers['ce-id']) ?? header(req.headers['x-request-id']) ?? randomUUID();

  const outgoing: Record<string, string | string[]> = {};
  for (const name in req.headers) {
    const v = req.headers[name];
    if (v !== undefined && !HOP.has(name)) outgoing[name] = v;
  }
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

  let status = 0;
  let responseType: string | undefined;
  let done = false;
  const finish = (code: number): void => {
    if (done) return;
    done = true;
    const ms = performance.now() - t0;
    deps.metrics.observe(model, route.protocol, code, ms / 1000);
    if (span !== undefined) deps.tracer?.end(span, code);
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
  res.on('close', () => finish(res.writableFinished ? status : 499));

  const fail = (err: unknown): void => {
    const code = (err as { code?: string }).code ?? '';
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    status = timeout ? 504 : 502;
    if (res.headersSent) {
      // Mid-body failure: the client sees a cut response; count what it got as a 502.
      status = 502;
      res.destroy();
      finish(502);
      return;
    }
    const body = JSON.stringify({ error: timeout ? `predictor timed out after ${opts.upstreamTimeoutMs} ms` : `predictor unreachable: ${code || (err instanceof Error ? err.message : String(err))}` });
    resTap?.add(Buffer.from(body));
    responseType = 'application/json';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    deps.log.warn({ err, id, path, status }, 'predictor request failed');
  };

  deps.pool
    .request({ path, method: (req.method ?? 'GET'), headers: outgoing, body: hasBody ? req : null })
    .then((up) => {
      status = up.statusCode;
      responseType = header(up.headers['content-type']);
      const headers: Record<string, string | string[]> = {};
      for (const name in up.headers) {
        const v = up.headers[name];
        if (v !== undefined && !HOP.has(name)) headers[name] = v;
      }
      res.writeHead(up.statusCode, headers);
      if (resTap !== undefined) up.body.on('data', (chunk: Buffer) => resTap.add(chunk));
      up.body.on('error', fail);
      res.on('close', () => {
        if (!res.writableFinished) up.body.destroy();
      });
      up.body.pipe(res);
    })
    .catch(fail);
}
