/** The daemon's composition root: store, metrics, app, listener and background jobs. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { AlertmanagerClient, type AlertSink } from '../alerting/alertmanager-client.js';
import type { Config } from '../model/types.js';
import { parseListen } from '../ops/listen.js';
import { silentLogger } from '../ops/logger.js';
import type { Store } from '../store/port.js';
import { openSqliteStore } from '../store/sqlite.js';
import { createApp } from './app.js';
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
  /** Where drift alerts go (default: an AlertmanagerClient on alerting.alertmanager_url when a model has drift checks). */
  alertSink?: AlertSink | null;
}

/** A running daemon. */
export interface RunningDaemon {
  url: string;
  port: number;
  store: Store;
  metrics: DaemonMetrics;
  drift: DriftRunner;
  /** Stops accepting, waits for in-flight requests (each commits before it answers), stops jobs, closes the store. */
  close(): Promise<void>;
}

/** Opens the store (migrations applied) and listens. */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const log = opts.log ?? silentLogger();
  const dbFile = opts.db ?? opts.config.daemon.db;
  const { host, port } = parseListen(opts.listen ?? opts.config.daemon.listen);
  const store = openSqliteStore(dbFile);
  const metrics = createMetrics();
  const hasDrift = opts.config.models.some((m) => m.drift !== undefined);
  const sink =
    opts.alertSink !== undefined ? opts.alertSink
    : hasDrift ? new AlertmanagerClient({ url: opts.config.alerting.alertmanagerUrl, onRetry: (err) => (metrics.alertRetries.inc(), log.warn({ err: err.message }, 'alertmanager delivery failed; retrying')) })
    : null;
  const drift = new DriftRunner({ config: opts.config, store, metrics, log, sink });
  const app = createApp({ config: opts.config, store, metrics, log, token: opts.token, drift });
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(port, host, (err?: Error) => (err === undefined ? resolve(s) : reject(err)));
      s.once('error', reject);
    });
  } catch (err) {
    metrics.stop();
    await store.close();
    throw new Error(`cannot listen on ${host}:${port}`, { cause: err });
  }
  server.keepAliveTimeout = 65_000;
  const stopJobs = startJobs(store, opts.config.daemon, metrics, log);
  await drift.start();
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
    close: () =>
      (closed ??= (async () => {
        stopJobs();
        await drift.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        metrics.stop();
        await store.close();
        log.info('daemon stopped; store closed');
      })()),
  };
}
