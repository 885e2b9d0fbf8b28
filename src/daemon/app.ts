/** The daemon's express app: health, auth, metrics, ingest and status routes, JSON errors. */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../model/types.js';
import { tokenMatches } from '../ops/secrets.js';
import type { Store } from '../store/port.js';
import type { CanaryRunner } from '../canary/runner.js';
import { canaryRunHandler, canaryStatusHandler } from './canary-routes.js';
import type { BatchDecoder } from './decode-thread.js';
import { ingestGate } from './ingest-gate.js';
import { eventsHandler, tracesHandler } from './ingest-routes.js';
import { journalHandler } from './journal-route.js';
import type { AutoReports } from './auto-reports.js';
import { reportHandler, reportsHandler, storedReportHandler } from './report-routes.js';
import { driftRunHandler, driftStatusHandler } from './drift-routes.js';
import type { DriftRunner } from './drift-runner.js';
import type { DaemonMetrics } from './metrics.js';
import type { CorrectnessJoiner } from './correctness-join.js';
import { correctnessHandler } from './correctness-routes.js';
import { feedbackHandler } from './feedback-route.js';
import { modelsHandler, predictionsHandler, sloHandler } from './status-routes.js';

/** What the app is built from. */
export interface AppDeps {
  config: Config;
  store: Store;
  metrics: DaemonMetrics;
  log: Logger;
  /** The bearer token; null only with --insecure-no-auth. */
  token: string | null;
  /** The drift checks (GET …/drift, POST …/drift/run). */
  drift: DriftRunner;
  /** Canary analysis (GET …/canary, POST …/canary/run); null when no model has a canary section. */
  canary?: CanaryRunner | null;
  /** The reports drafted when an incident ends (report.auto). */
  reports: AutoReports;
  /** Decodes ingest batches off the event loop (else they are decoded inline). */
  decoder?: BatchDecoder;
  /** Joins ground-truth labels to predictions (POST /v1/feedback). */
  joiner: CorrectnessJoiner;
}

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap = (h: Handler) => (req: Request, res: Response, next: NextFunction): void => {
  h(req, res).catch(next);
};

/** Builds the app (does not listen). */
export function createApp(deps: AppDeps): express.Express {
  const { config, store, metrics, log, token, drift, reports } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const { ready, detail } = store.readiness();
    res.status(ready ? 200 : 503).json({ status: detail, migrations: ready ? 'applied' : 'unknown' });
  });

  app.use((req, res, next) => {
    if (token === null || tokenMatches(req.headers.authorization, token)) return next();
    metrics.requests.inc({ route: req.path, code: '401' });
    // Two challenges (RFC 9110 §11.6.1): Bearer for modelslo's clients, Basic for KServe's logger (token as password).
    res.status(401).set('WWW-Authenticate', 'Bearer realm="modelslo", Basic realm="modelslo"').json({ error: 'missing or invalid token (Authorization: Bearer TOKEN, or Basic auth with the token as password)' });
  });

  app.get(
    '/metrics',
    wrap(async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    }),
  );

  const limits = { eventPayloadBytes: config.daemon.limits.eventPayloadBytes, jsonDepth: config.daemon.limits.jsonDepth };
  const raw = express.raw({ type: () => true, limit: config.daemon.limits.bodyBytes });
  const ingest = { store, metrics, log, limits, ...(deps.decoder === undefined ? {} : { decoder: deps.decoder }) };
  const gate = ingestGate(metrics, config.daemon.limits.bodyBytes, config.daemon.limits.inflightBytes);
  app.post(['/', '/v1/events'], gate, raw, wrap(eventsHandler(ingest)));
  app.post('/v1/traces', gate, raw, wrap(tracesHandler(ingest)));
  app.post('/v1/feedback', gate, raw, wrap(feedbackHandler({ config, store, metrics, log, joiner: deps.joiner })));
  app.post('/v1/alertmanager', gate, raw, wrap(journalHandler({ config, store, metrics, log, onStored: (r) => reports.onNotification(r) })));

  app.get('/api/v1/models', wrap(modelsHandler(config, store)));
  app.get('/api/v1/models/:ns/:model/slo', wrap(sloHandler(config, store)));
  app.get('/api/v1/models/:ns/:model/predictions', wrap(predictionsHandler(store)));
  app.get('/api/v1/models/:ns/:model/drift', wrap(driftStatusHandler(config, store, drift)));
  app.post('/api/v1/models/:ns/:model/drift/run', wrap(driftRunHandler(config, drift)));
  app.get('/api/v1/models/:ns/:model/correctness', wrap(correctnessHandler(config, store)));
  app.get('/api/v1/models/:ns/:model/canary', wrap(canaryStatusHandler(config, store, deps.canary ?? null)));
  app.post('/api/v1/models/:ns/:model/canary/run', wrap(canaryRunHandler(config, deps.canary ?? null)));
  app.get('/api/v1/models/:ns/:model/report', wrap(reportHandler(config, store)));
  app.get('/api/v1/models/:ns/:model/reports', wrap(reportsHandler(config, reports)));
  app.get('/api/v1/models/:ns/:model/reports/:id', wrap(storedReportHandler(config, reports)));

  app.use((req, res) => {
    res.status(404).json({ error: `no route ${req.method} ${req.path}` });
  });
  // body-parser errors carry a status (413 too large, 400 aborted, 415 bad encoding); others are ours.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; limit?: number; message?: string };
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      const message = e.type === 'entity.too.large' ? `body: larger than the limit of ${e.limit ?? config.daemon.limits.bodyBytes} bytes (daemon.limits.body_bytes); nothing was stored` : `body: ${e.message ?? 'unreadable'}`;
      metrics.requests.inc({ route: req.path, code: String(e.status) });
      res.status(e.status).json({ error: message });
      return;
    }
    log.error({ err, path: req.path }, 'request failed');
    res.status(500).json({ error: 'internal error (logged)' });
  });
  return app;
}
