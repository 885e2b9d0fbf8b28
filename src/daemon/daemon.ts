/** The daemon's composition root: store, metrics, app, listener and background jobs. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { AlertmanagerClient, type AlertSink } from '../alerting/alertmanager-client.js';
import type { Config } from '../model/types.js';
import { parseListen } from '../ops/listen.js';
import { durationSeconds } from '../slo/burn-windows.js';
import { silentLogger } from '../ops/logger.js';
import type { Store } from '../store/port.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite.js';
import { CanaryRunner } from '../canary/runner.js';
import type { RolloutPort } from '../k8s/port.js';
import { createApp } from './app.js';
import { canaryDeps } from './canary-wiring.js';
import { AutoReports } from './auto-reports.js';
import { BatchDecoder } from './decode-thread.js';
import { CorrectnessJoiner } from './correctness-join.js';
import { DriftRunner } from './drift-runner.js';
import { startJobs } from './jobs.js';
import { createMetrics, type DaemonMetrics } from './metrics.js';

/** How to start the daemon; listen and db default to the config's daemon section. */
export interface DaemonOptions {
  config: Config;
  /** The bearer token; null runs without authentication (only with --insecure-no-auth). */
  token: string | null;
  listen?: string;
  db?: string;
  log?: Logger;
  /** Where drift and canary alerts go (default: an AlertmanagerClient on alerting.alertmanager_url when a model has drift or canary checks). */
  alertSink?: AlertSink | null;
  /** The Kubernetes API of canary analysis (default: @kubernetes/client-node from the kubeconfig or the in-cluster service account). */
  rollout?: RolloutPort;
}

/** A running daemon. */
export interface RunningDaemon {
  url: string;
  port: number;
  store: Store;
  metrics: DaemonMetrics;
  drift: DriftRunner;
  /** Canary analysis (null when no model has a canary section). */
  canary: CanaryRunner | null;
  reports: AutoReports;
  /** Joins ground-truth labels to predictions (also every few seconds on its own). */
  correctness: CorrectnessJoiner;
  /** Stops accepting, waits for in-flight requests (each commits before it answers), stops jobs, closes the store. */
  close(): Promise<void>;
}

/** Exports the writer's group commit: transactions (one WAL fsync each) and the write requests they held. */
function writerMetrics(metrics: DaemonMetrics, store: SqliteStore): void {
  const counter = (name: string, help: string, value: () => number): void => {
    new Counter({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  };
  counter('modelslo_store_write_transactions_total', 'Write transactions committed (or rolled back) by the store writer; each is one WAL fsync and holds one or more write requests (group commit).', () => store.writerStats().commits);
  counter('modelslo_store_write_requests_total', 'Write requests (ingest batches, span exports, drift results, upkeep) run by the store writer, each in its own savepoint.', () => store.writerStats().requests);
}

/** Opens the store (migrations applied, writer thread started) and listens. */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const log = opts.log ?? silentLogger();
  const dbFile = opts.db ?? opts.config.daemon.db;
  const { host, port } = parseListen(opts.listen ?? opts.config.daemon.listen);
  // Migrations are applied and the writer thread is running before anything listens (/readyz).
  const store = await openSqliteStore(dbFile);
  const metrics = createMetrics();
  writerMetrics(metrics, store);
  const hasDrift = opts.config.models.some((m) => m.drift !== undefined);
  const hasCanary = opts.config.models.some((m) => m.canary !== undefined);
  const sink =
    opts.alertSink !== undefined ? opts.alertSink
    : hasDrift || hasCanary ? new AlertmanagerClient({ url: opts.config.alerting.alertmanagerUrl, onRetry: (err) => (metrics.alertRetries.inc(), log.warn({ err: err.message }, 'alertmanager delivery failed; retrying')) })
    : null;
  const drift = new DriftRunner({ config: opts.config, store, metrics, log, sink });
  const canary = hasCanary ? new CanaryRunner(await canaryDeps({ config: opts.config, store, metrics, log, sink, ...(opts.rollout ? { rollout: opts.rollout } : {}) })) : null;
  const reports = new AutoReports({ config: opts.config, store, log, metrics });
  const decoder = new BatchDecoder();
  const joiner = new CorrectnessJoiner({ config: opts.config, store, metrics, log });
  const app = createApp({ config: opts.config, store, metrics, log, token: opts.token, drift, canary, reports, decoder, joiner });
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(port, host, (err?: Error) => (err === undefined ? resolve(s) : reject(err)));
      s.once('error', reject);
    });
  } catch (err) {
    metrics.stop();
    await decoder.close();
    await store.close();
    throw new Error(`cannot listen on ${host}:${port}`, { cause: err });
  }
  server.keepAliveTimeout = 65_000;
  const stopJobs = startJobs(store, opts.config.daemon, metrics, log);
  await drift.start();
  canary?.start();
  joiner.start();
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url, db: dbFile, auth: opts.token !== null, models: opts.config.models.length }, 'daemon listening');
  let closed: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    store,
    metrics,
    drift,
    canary,
    reports,
    correctness: joiner,
    close: () =>
      (closed ??= (async () => {
        // Within daemon.shutdown_timeout (25 s, under Kubernetes' 30 s grace period): in-flight
        // requests get 60 % of it to commit and answer, then their connections are closed.
        const budgetMs = durationSeconds(opts.config.daemon.shutdownTimeout) * 1000;
        const t0 = Date.now();
        stopJobs();
        await canary?.close();
        await drift.close();
        await joiner.close();
        await new Promise<void>((resolve) => {
          // A keep-alive connection whose request was in flight turns idle only after its (committed)
          // answer; close those as they turn idle, or close() would wait for the client's keep-alive.
          const sweep = setInterval(() => server.closeIdleConnections(), 50);
          const cut = setTimeout(() => {
            log.warn({ afterMs: Date.now() - t0 }, 'requests still in flight at the shutdown deadline: closing their connections');
            server.closeAllConnections();
          }, Math.round(budgetMs * 0.6));
          server.close(() => (clearInterval(sweep), clearTimeout(cut), resolve()));
          server.closeIdleConnections();
        });
        await reports.idle();
        metrics.stop();
        await decoder.close();
        await store.close();
        log.info({ tookMs: Date.now() - t0 }, 'daemon stopped; store closed');
      })()),
  };
}
