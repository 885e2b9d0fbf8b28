/**
 * The readiness watcher: polls the predictor's readiness and measures model load time (M4) and sets
 * the cold-start window (M7). KServe's model servers answer `GET /v2/health/ready` with 200 once every
 * model is loaded (Open Inference Protocol, "Server Ready"; KServe's Python ModelServer serves it
 * beside its V1 routes) and V1's `GET /v1/models/<model>` with `{"name": …, "ready": bool}`
 * (kserve.github.io, Data Plane V1). Ready: a 2xx answer within the timeout whose body, when it is a
 * JSON object with a boolean `ready`, says true.
 */
import { SIDECAR_METRICS } from '../model/metric-names.js';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Pool } from 'undici';
import type { Logger } from '../ops/logger.js';
import type { ServingState } from './serving-state.js';

/**
 * Bounds (s) of modelslo_predictor_load_seconds: from a small model served from local disk (1 s) to
 * a large one pulled from object storage onto a GPU (30 min).
 */
export const LOAD_BUCKETS_SECONDS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1200, 1800];

/** Bytes of a readiness answer read at most (V1 answers are tiny JSON objects). */
const BODY_LIMIT = 64 * 1024;

/** One readiness probe: true when the predictor answers ready. */
export type ReadinessProbe = () => Promise<boolean>;

/** Whether a readiness answer says ready (2xx, and `ready` not false when the body says it). */
export function answersReady(status: number, body: string): boolean {
  if (status < 200 || status >= 300) return false;
  if (!body.trimStart().startsWith('{')) return true;
  try {
    const v = JSON.parse(body) as { ready?: unknown };
    return typeof v.ready === 'boolean' ? v.ready : true;
  } catch {
    return true;
  }
}

/** A probe of `GET {pool origin}{path}`, cut at `timeoutMs` (a pool of its own: busy inference connections never delay it). */
export function httpProbe(pool: Pool, path: string, timeoutMs: number): ReadinessProbe {
  return async () => {
    const r = await pool.request({ path, method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
    let body = '';
    for await (const chunk of r.body as AsyncIterable<Buffer>) {
      if (body.length < BODY_LIMIT) body += chunk.toString('utf8');
    }
    return answersReady(r.statusCode, body);
  };
}

/** What the watcher needs. */
export interface ReadinessConfig {
  probe: ReadinessProbe;
  intervalMs: number;
  warmupMs: number;
  /** Consecutive failed probes before a ready predictor counts as not ready (one slow answer is not a loss). */
  failureThreshold: number;
  state: ServingState;
  registry: Registry;
  model: string;
  namespace: string;
  revision: string;
  /** When the sidecar started (performance.now() ms): the first load time counts from here. */
  startedAt: number;
  log: Logger;
}

/** Polls readiness every intervalMs (never two probes at once) and keeps its metrics. */
export class ReadinessWatcher {
  /** The predictor's readiness as last probed. */
  ready = false;
  /** Since when (performance.now() ms) the predictor has not been ready. */
  private since: number;
  /** Failed probes in a row while ready, and when the first of them started. */
  private failures = 0;
  private firstFailure = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private running: Promise<void> | undefined;
  private readonly gauge: { set(v: number): void };
  private readonly load: { observe(v: number): void };
  private readonly toReady: { inc(v?: number): void };
  private readonly toNotReady: { inc(v?: number): void };

  constructor(private readonly cfg: ReadinessConfig) {
    this.since = cfg.startedAt;
    const labels = { model: cfg.model, namespace: cfg.namespace, revision: cfg.revision };
    const names = ['model', 'namespace', 'revision'] as const;
    this.gauge = new Gauge({ name: SIDECAR_METRICS.predictorReady, help: 'Whether the predictor answers ready (1) or not (0), as last probed at sidecar.readiness.path.', labelNames: names, registers: [cfg.registry] }).labels(labels);
    this.gauge.set(0);
    this.load = new Histogram({
      name: SIDECAR_METRICS.predictorLoad,
      help: 'Time until the predictor answered ready: from sidecar start the first time, then from each loss of readiness (model load time).',
      labelNames: names,
      buckets: LOAD_BUCKETS_SECONDS,
      registers: [cfg.registry],
    }).labels(labels);
    const transitions = new Counter({ name: SIDECAR_METRICS.readinessTransitions, help: 'Changes of the predictor\'s readiness, by the state changed to (ready, not_ready).', labelNames: [...names, 'to'], registers: [cfg.registry] });
    this.toReady = transitions.labels({ ...labels, to: 'ready' });
    this.toNotReady = transitions.labels({ ...labels, to: 'not_ready' });
    this.toReady.inc(0);
    this.toNotReady.inc(0);
  }

  /** Starts polling now. */
  start(): void {
    this.running = this.tick();
  }

  /** Stops polling (waits for a probe under way). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    const t = performance.now();
    let ok: boolean;
    try {
      ok = await this.cfg.probe();
    } catch {
      ok = false;
    }
    if (this.closed) return;
    const now = performance.now();
    if (ok && !this.ready) {
      const seconds = (now - this.since) / 1000;
      this.ready = true;
      this.load.observe(seconds);
      this.toReady.inc();
      this.gauge.set(1);
      this.cfg.state.coldUntil = now + this.cfg.warmupMs;
      this.cfg.log.info({ loadSeconds: seconds }, 'predictor ready');
    } else if (ok) {
      this.failures = 0;
    } else if (this.ready) {
      if (this.failures === 0) this.firstFailure = t;
      this.failures += 1;
    }
    if (!ok && this.ready && this.failures >= this.cfg.failureThreshold) {
      // The loss happened between the last ready probe and the first failed one; counted from that one.
      this.ready = false;
      this.failures = 0;
      this.since = this.firstFailure;
      this.toNotReady.inc();
      this.gauge.set(0);
      this.cfg.state.coldUntil = Number.POSITIVE_INFINITY;
      this.cfg.log.warn({}, 'predictor not ready');
    }
    this.timer = setTimeout(() => {
      this.running = this.tick();
    }, Math.max(0, this.cfg.intervalMs - (now - t)));
    this.timer.unref();
  }
}
