/** The sidecar process's composition root: proxy server, metrics, tracer, and the capture worker thread (events, spool, shipper). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { silentLogger, type Logger } from '../ops/logger.js';
import { BatchBuilder, type PackedBatch, type RawExchange } from './capture-batch.js';
import { CaptureWorker } from './capture-thread.js';
import { SidecarMetrics } from './metrics.js';
import type { SidecarOptions } from './options.js';
import { proxyRequest } from './proxy.js';
import { httpProbe, ReadinessWatcher } from './readiness.js';
import { ServingState } from './serving-state.js';
import { createTracer, type RequestTracer } from './tracing.js';

/** A running sidecar. */
export interface Sidecar {
  url: string;
  port: number;
  metrics: SidecarMetrics;
  /** The predictor's readiness as last probed (load time, cold-start window). */
  readiness: ReadinessWatcher;
  /** Exchanges waiting in memory on the request thread. */
  queueLength(): number;
  /** Posts everything queued now to the capture worker (tests and shutdown); it is shipped or spooled from there. */
  flushQueue(): void;
  /**
   * Stops accepting, drains in-flight requests, flushes the capture queue (delivering or spooling),
   * stops; all within `budgetMs` (default `sidecar.shutdown_timeout`, 25 s) plus a second, whatever
   * the predictor and the daemon do.
   */
  close(budgetMs?: number): Promise<void>;
}

/** Optional ports; defaults: a silent logger and OTLP tracing on. */
export interface SidecarPorts {
  log?: Logger;
  tracing?: boolean;
}

/** Starts the sidecar listening on opts.host:opts.port (port 0: any free port). */
export async function startSidecar(opts: SidecarOptions, ports: SidecarPorts = {}): Promise<Sidecar> {
  const startedAt = performance.now();
  const log = ports.log ?? silentLogger();
  // Full batches go to `post` (below), once the capture worker it posts to has started.
  const perBatch = Math.max(1, Math.floor(Math.min(opts.capture.batchEvents, opts.capture.queueEvents) / 2));
  const builder = new BatchBuilder(perBatch, opts.capture.batchBytes, (batch) => post(batch));
  const metrics = new SidecarMetrics(opts.namespace, opts.revision, opts.bucketsSeconds, () => builder.length * 2);
  const capture = await CaptureWorker.start(opts, metrics, log);
  const upstream = new URL(opts.upstream);
  const pool = new Pool(upstream.origin, { connections: opts.upstreamConnections, keepAliveTimeout: 30_000, headersTimeout: opts.upstreamTimeoutMs, bodyTimeout: opts.upstreamTimeoutMs });
  const tracer: RequestTracer | undefined =
    ports.tracing === false ? undefined : createTracer(opts.otlpEndpoint, opts.token, { 'k8s.namespace.name': opts.namespace, 'modelslo.revision': opts.revision }, opts.traceSampleRatio);

  /**
   * Each finished exchange is added to the batch being built (its bodies copied at once); a full
   * batch, and every `batch_interval` whatever is waiting, is posted to the capture worker, which does
   * the rest. At most `min(batch_events, queue_events) / 2` exchanges wait on the request thread.
   */
  const post = (batch: PackedBatch): void => {
    metrics.payload('request', batch.requestBytes, batch.requestTruncated);
    metrics.payload('response', batch.responseBytes, batch.responseTruncated);
    capture.submit(batch);
  };
  const flushQueue = (): void => {
    const batch = builder.take();
    if (batch !== undefined) post(batch);
  };
  const timer = setInterval(flushQueue, opts.capture.batchIntervalMs);
  timer.unref();
  const enqueue = (x: RawExchange, redact: boolean): void => builder.add(x, redact);

  let closing = false;
  const ready = async (res: ServerResponse): Promise<void> => {
    let ok = false;
    let detail = 'shutting down';
    if (!closing) {
      try {
        const r = await pool.request({ path: opts.readyPath, method: 'GET', headersTimeout: 2_000, bodyTimeout: 2_000 });
        await r.body.dump();
        ok = r.statusCode < 300;
        detail = `predictor ${opts.readyPath}: ${r.statusCode}`;
      } catch (err) {
        detail = `predictor unreachable: ${(err as { code?: string }).code ?? String(err)}`;
      }
    }
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: ok, detail }));
  };
  const serving = new ServingState(metrics.registry, opts.namespace, opts.revision, opts.bucketsSeconds, opts.defaultModel);
  // A pool of its own: probes never wait behind inference requests for a connection.
  const probePool = new Pool(upstream.origin, { connections: 1, keepAliveTimeout: 30_000 });
  const readiness = new ReadinessWatcher({
    probe: httpProbe(probePool, opts.readyPath, opts.readiness.timeoutMs),
    intervalMs: opts.readiness.intervalMs,
    warmupMs: opts.readiness.warmupMs,
    failureThreshold: opts.readiness.failureThreshold,
    state: serving,
    registry: metrics.registry,
    model: opts.defaultModel,
    namespace: opts.namespace,
    revision: opts.revision,
    startedAt,
    log,
  });
  const deps = { opts, pool, metrics, serving, tracer, enqueue, log, inflight: { n: 0 } };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    if (url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (url === '/readyz') {
      void ready(res);
    } else {
      proxyRequest(deps, req, res);
    }
  };

  // headersTimeout: a client has this long to send its headers (slowloris); Node's default is 60 s.
  const server: Server = createServer({ keepAliveTimeout: 65_000, headersTimeout: opts.clientHeadersTimeoutMs, connectionsCheckingInterval: Math.min(1_000, opts.clientHeadersTimeoutMs) }, handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen on ${opts.host}:${opts.port}`, { cause: err })));
      server.listen(opts.port, opts.host, resolve);
    });
  } catch (err) {
    await capture.close(0);
    await tracer?.shutdown();
    await pool.close();
    await probePool.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  readiness.start();
  log.info({ listen: `${opts.host}:${port}`, upstream: opts.upstream, daemon: opts.daemon, namespace: opts.namespace, revision: opts.revision }, 'sidecar listening');

  return {
    url: `http://${host}:${port}`,
    port,
    metrics,
    readiness,
    queueLength: () => builder.length,
    flushQueue,
    async close(budgetMs = opts.shutdownBudgetMs) {
      // The budget, in order: 40 % to drain in-flight requests, then the rest (less a margin for
      // spans and sockets) to deliver or spool captures; each step is cut at its share.
      const end = Date.now() + budgetMs;
      const left = (): number => Math.max(0, end - Date.now());
      closing = true;
      await readiness.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drainMs = Math.round(budgetMs * 0.4);
      const drained = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), drainMs).unref())]);
      if (!drained) {
        log.warn({ drainMs, inflight: deps.inflight.n }, 'in-flight requests did not finish in time: closing their connections');
        server.closeAllConnections();
      }
      clearInterval(timer);
      flushQueue();
      const margin = Math.min(1_000, Math.round(budgetMs * 0.1));
      await capture.close(Math.max(0, left() - 2 * margin));
      await Promise.race([tracer?.shutdown(), new Promise((r) => setTimeout(r, Math.max(0, left() - margin)).unref())]);
      await pool.destroy();
      await probePool.destroy();
      log.info({ shipped: await metrics.captured('shipped'), spooled: await metrics.captured('spooled'), dropped: await metrics.captured('dropped'), skipped: await metrics.captured('skipped'), tookMs: budgetMs - left() }, 'sidecar stopped');
    },
  };
}
