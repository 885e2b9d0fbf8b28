/** The daemon's Prometheus metrics (prom-client), on its own registry. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric the daemon exports, and the registry that holds them. */
export interface DaemonMetrics {
  registry: Registry;
  /** Events, spans and labels by kind (event | span | label) and outcome (stored | duplicate | rejected). */
  ingested: Counter<'kind' | 'outcome'>;
  /** HTTP ingest requests by route and status code. */
  requests: Counter<'route' | 'code'>;
  batchSize: Histogram<'kind'>;
  storeSeconds: Histogram<'op'>;
  joinExpired: Counter;
  retentionRemoved: Counter<'what'>;
  jobFailures: Counter<'job'>;
  /** Latest drift score per configured feature (the prediction as feature="prediction"). */
  driftScore: Gauge<'model' | 'namespace' | 'feature' | 'test'>;
  /** 1 when the feature is at level drift in the latest check, else 0. */
  driftDetected: Gauge<'model' | 'namespace' | 'feature'>;
  /** Drift checks by outcome (ok | failed). */
  driftChecks: Counter<'model' | 'namespace' | 'outcome'>;
  /** Failed deliveries to Alertmanager (each retried later). */
  alertRetries: Counter;
  /** Canary decisions by verdict (decision = promote | step | hold | rollback). */
  canaryDecisions: Counter<'namespace' | 'model' | 'decision'>;
  /** Canary rounds that failed, by part (kubernetes | analysis | store | alert). */
  canaryFailures: Counter<'namespace' | 'model' | 'reason'>;
  canaryAnalysisSeconds: Histogram;
  /** Stops the event-loop monitor. */
  stop(): void;
}

/** Creates the metrics; the event-loop lag gauge reports percentiles since the previous scrape. */
export function createMetrics(): DaemonMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  new Gauge({
    name: 'modelslo_event_loop_lag_seconds',
    help: 'Event-loop delay of the daemon since the previous scrape, by statistic (p50, p99, max).',
    labelNames: ['stat'],
    registers: [registry],
    collect() {
      // monitorEventLoopDelay reports nanoseconds; an empty histogram reports NaN/huge values, so guard.
      const ok = loop.count > 0;
      this.set({ stat: 'p50' }, ok ? loop.percentile(50) / 1e9 : 0);
      this.set({ stat: 'p99' }, ok ? loop.percentile(99) / 1e9 : 0);
      this.set({ stat: 'max' }, ok ? loop.max / 1e9 : 0);
      loop.reset();
    },
  });
  return {
    registry,
    ingested: new Counter({ name: 'modelslo_ingest_events_total', help: 'Ingested CloudEvents, spans and feedback labels by kind and outcome.', labelNames: ['kind', 'outcome'], registers: [registry] }),
    requests: new Counter({ name: 'modelslo_ingest_requests_total', help: 'Ingest HTTP requests by route and status code.', labelNames: ['route', 'code'], registers: [registry] }),
    batchSize: new Histogram({ name: 'modelslo_ingest_batch_size', help: 'Events or spans per accepted ingest request.', labelNames: ['kind'], buckets: [1, 10, 50, 100, 250, 500, 1000, 5000], registers: [registry] }),
    storeSeconds: new Histogram({ name: 'modelslo_store_operation_seconds', help: 'Latency of store operations (one transaction each).', labelNames: ['op'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
    joinExpired: new Counter({ name: 'modelslo_join_expired_total', help: 'Request or response halves whose pair did not arrive within the join TTL.', registers: [registry] }),
    retentionRemoved: new Counter({ name: 'modelslo_retention_removed_total', help: 'Rows whose payloads (payloads) or records (records) retention removed.', labelNames: ['what'], registers: [registry] }),
    jobFailures: new Counter({ name: 'modelslo_background_failures_total', help: 'Failed runs of background jobs (logged, retried at the next run).', labelNames: ['job'], registers: [registry] }),
    driftScore: new Gauge({ name: 'modelslo_drift_score', help: 'Score of the latest drift check per feature and test (KS D, chi-square, normed W1, PSI, JS, Hellinger or L-infinity).', labelNames: ['model', 'namespace', 'feature', 'test'], registers: [registry] }),
    driftDetected: new Gauge({ name: 'modelslo_drift_detected', help: 'Whether the feature drifted in the latest drift check (1) or not (0).', labelNames: ['model', 'namespace', 'feature'], registers: [registry] }),
    driftChecks: new Counter({ name: 'modelslo_drift_checks_total', help: 'Drift checks by model and outcome (ok, failed).', labelNames: ['model', 'namespace', 'outcome'], registers: [registry] }),
    alertRetries: new Counter({ name: 'modelslo_alertmanager_retries_total', help: 'Failed deliveries of alerts to Alertmanager; each is retried with backoff.', registers: [registry] }),
    canaryDecisions: new Counter({ name: 'modelslo_canary_decisions_total', help: 'Canary decisions by model and decision (promote, step, hold, rollback).', labelNames: ['namespace', 'model', 'decision'], registers: [registry] }),
    canaryFailures: new Counter({ name: 'modelslo_canary_failures_total', help: 'Failures of canary rounds by part (kubernetes: the API refused or failed; analysis; store; alert); each round is retried at the next interval.', labelNames: ['namespace', 'model', 'reason'], registers: [registry] }),
    canaryAnalysisSeconds: new Histogram({ name: 'modelslo_canary_analysis_seconds', help: 'Time of one canary analysis (records read, statistics, decision), without the Kubernetes calls.', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] }),
    stop: () => loop.disable(),
  };
}

/** Times `fn` into the store histogram. */
export async function timed<T>(metrics: DaemonMetrics, op: string, fn: () => Promise<T>): Promise<T> {
  const end = metrics.storeSeconds.startTimer({ op });
  try {
    return await fn();
  } finally {
    end();
  }
}
