/**
 * Admission of ingest bodies: at most `daemon.limits.inflight_bytes` of bodies are read, decoded and
 * written at once, so the daemon's memory stays bounded however many clients post together. A
 * request is counted at its Content-Length (a chunked one at `body_bytes`, the most it may send)
 * before its body is read, and released when its answer is done; past the bound it gets 503 with
 * Retry-After at once, which the sidecar and KServe's logger retry. One request is always let in,
 * so a body larger than the bound alone still gets its answer.
 */
import type { NextFunction, Request, Response } from 'express';
import { Gauge } from 'prom-client';
import type { DaemonMetrics } from './metrics.js';

/** Refused bodies up to this size are drained (the connection is kept); larger ones close it. */
const DRAIN_BYTES = 64 * 1024;

/** Builds the middleware; `bodyBytes` is the per-request body limit, `inflightBytes` the bound. */
export function ingestGate(metrics: DaemonMetrics, bodyBytes: number, inflightBytes: number) {
  let held = 0;
  new Gauge({
    name: 'modelslo_ingest_inflight_bytes',
    help: 'Bytes of ingest bodies being read, decoded and written now (bounded by daemon.limits.inflight_bytes).',
    registers: [metrics.registry],
    collect() {
      this.set(held);
    },
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const length = Number(req.headers['content-length']);
    const want = Number.isSafeInteger(length) && length >= 0 ? Math.min(length, bodyBytes) : bodyBytes;
    if (held > 0 && held + want > inflightBytes) {
      metrics.requests.inc({ route: req.path, code: '503' });
      // A small body is read and discarded so the connection stays usable; a large one is not read
      // at all (reading it would cost this event loop as much as taking it): the connection closes.
      if (want <= DRAIN_BYTES) req.resume();
      else res.set('Connection', 'close').once('finish', () => req.socket.destroySoon());
      res.status(503).set('Retry-After', '1').json({ error: `busy: ${held} bytes of ingest bodies in flight (daemon.limits.inflight_bytes ${inflightBytes}); nothing of this request was stored; retry later` });
      return;
    }
    held += want;
    res.once('close', () => (held -= want));
    next();
  };
}
