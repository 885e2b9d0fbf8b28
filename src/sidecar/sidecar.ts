/** The sidecar process's composition root: proxy server, metrics, capture worker, spool, shipper, tracer. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { silentLogger, type Logger } from '../ops/logger.js';
import { CaptureQueue, type RawExchange } from './capture-queue.js';
import { toEvents, type EventContext } from './events.js';
import { SidecarMetrics } from './metrics.js';
import type { SidecarOptions } from './options.js';
import { proxyRequest } from './proxy.js';
import { compileRedactions, type CompiledRedaction } from './redact.js';
import { Shipper } from './shipper.js';
import { Spool } from './spool.js';
import { createTracer, type RequestTracer } from './tracing.js';

/** A running sidecar. */
export interface Sidecar {
  url: string;
  port: number;
  metrics: SidecarMetrics;
  /** Exchanges waiting in memory. */
  queueLength(): number;
  /** Batches everything queued now (tests and shutdown). */
  flushQueue(): void;
  /** Stops accepting, drains in-flight requests, flushes the capture queue (delivering or spooling), stops. */
  close(drainMs?: number): Promise<void>;
}

/** Optional ports; defaults: a silent logger and OTLP tracing on. */
export interface SidecarPorts {
  log?: Logger;
  tracing?: boolean;
}

/** Starts the sidecar listening on opts.host:opts.port (port 0: any free port). */
export async function startSidecar(opts: SidecarOptions, ports: SidecarPorts = {}): Promise<Sidecar> {
  const log = ports.log ?? silentLogger();
  const queue = new CaptureQueue(Math.max(1, Math.floor(opts.capture.queueEvents / 2)));
  const metrics = new SidecarMetrics(opts.namespace, opts.revision, opts.bucketsSeconds, () => queue.length * 2);
  const spool = await Spool.open(opts.capture.spoolDir, opts.capture.spoolBytes);
  if (spool.length > 0) log.info({ batches: spool.length, bytes: spool.bytes }, 'capture spool holds batches from an earlier run: replaying');
  const shipper = new Shipper({ daemon: opts.daemon, token: opts.token, spool, metrics, log, ...opts.ship });
  shipper.resume();
  const upstream = new URL(opts.upstream);
  const pool = new Pool(upstream.origin, { connections: 256, keepAliveTimeout: 30_000, headersTimeout: opts.upstreamTimeoutMs, bodyTimeout: opts.upstreamTimeoutMs });
  const tracer: RequestTracer | undefined = ports.tracing === false ? undefined : createTracer(opts.otlpEndpoint, opts.token, { 'k8s.namespace.name': opts.namespace, 'modelslo.revision': opts.revision });

  const rules = new Map<string, CompiledRedaction[]>();
  for (const [name, capture] of opts.models) rules.set(name, compileRedactions(capture.redact));
  const fallbackRules = compileRedactions(opts.fallbackCapture.redact);
  const ctx: EventContext = { namespace: opts.namespace, revision: opts.revision, endpoint: opts.endpoint, redactKey: opts.redactKey, rulesOf: (m) => rules.get(m) ?? fallbackRules };

  const perBatch = Math.max(1, Math.floor(opts.capture.batchEvents / 2));
  /** Off the request path: raw exchanges → redacted CloudEvents → one serialized batch → shipper. */
  const work = (): void => {
    const taken = queue.take(perBatch);
    if (taken.length === 0) return;
    const events = [];
    let redacted = 0;
    for (const x of taken) {
      metrics.payload('request', x.requestChunks.reduce((n, c) => n + c.length, 0), x.requestTruncated);
      metrics.payload('response', x.responseChunks.reduce((n, c) => n + c.length, 0), x.responseTruncated);
      try {
        for (const e of toEvents(x, ctx)) {
          if (e.modelsloredacted !== undefined) redacted += 1;
          events.push(e);
        }
      } catch (err) {
        metrics.capture('dropped', 2);
        log.error({ err, id: x.id }, 'could not build capture events: dropped');
      }
    }
    metrics.capture('redacted', redacted);
    if (events.length > 0) shipper.submit(JSON.stringify(events), events.length);
    if (queue.length >= perBatch) schedule();
  };
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      work();
    });
  };
  const timer = setInterval(work, opts.capture.batchIntervalMs);
  timer.unref();
  const enqueue = (x: RawExchange): void => {
    if (queue.push(x) !== undefined) metrics.capture('dropped', 2);
    if (queue.length >= perBatch) schedule();
  };

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
  const deps = { opts, pool, metrics, tracer, enqueue, log };
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

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${opts.host}:${opts.port}`, { cause: err })));
    server.listen(opts.port, opts.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  log.info({ listen: `${opts.host}:${port}`, upstream: opts.upstream, daemon: opts.daemon, namespace: opts.namespace, revision: opts.revision }, 'sidecar listening');

  const flushQueue = (): void => {
    while (queue.length > 0) work();
  };
  return {
    url: `http://${host}:${port}`,
    port,
    metrics,
    queueLength: () => queue.length,
    flushQueue,
    async close(drainMs = 10_000) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drained = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), drainMs).unref())]);
      if (!drained) {
        log.warn({ drainMs }, 'in-flight requests did not finish in time: closing their connections');
        server.closeAllConnections();
      }
      clearInterval(timer);
      flushQueue();
      await shipper.close(drainMs);
      await tracer?.shutdown();
      await pool.close();
      log.info({ shipped: await metrics.captured('shipped'), spooled: await metrics.captured('spooled'), dropped: await metrics.captured('dropped'), spoolBatches: spool.length }, 'sidecar stopped');
    },
  };
}
