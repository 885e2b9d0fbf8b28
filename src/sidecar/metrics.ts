/** The sidecar's Prometheus metrics (names as DESIGN.md fixes them), on a registry of its own. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Protocol, RouteKind } from './route.js';

/** Outcomes of a captured event. */
export type CaptureOutcome = 'shipped' | 'spooled' | 'dropped' | 'redacted' | 'skipped';

interface Child {
  inc(): void;
}
interface Observer {
  observe(v: number): void;
}

/** Request metrics plus capture health; `observe` is the request path's only call. */
export class SidecarMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'model' | 'namespace' | 'revision' | 'protocol' | 'code'>;
  private readonly others: Counter<'model' | 'namespace' | 'revision' | 'protocol' | 'route' | 'code'>;
  private readonly duration: Histogram<'model' | 'namespace' | 'revision' | 'protocol'>;
  private readonly events: Counter<'outcome'>;
  private readonly payloadBytes: Counter<'direction'>;
  private readonly truncated: Counter<'direction'>;
  /** Label children cached by key: prom-client hashes labels on every call otherwise. */
  private readonly counters = new Map<string, Child>();
  private readonly histograms = new Map<string, Observer>();

  constructor(
    private readonly namespace: string,
    private readonly revision: string,
    bucketsSeconds: number[],
    queueDepth: () => number,
  ) {
    this.requests = new Counter({
      name: 'modelslo_requests_total',
      help: 'Inference requests (V1 :predict/:explain, V2 /infer) proxied to the predictor, by HTTP status code (502/504: the sidecar could not reach it in time, 503: too many waiting).',
      labelNames: ['model', 'namespace', 'revision', 'protocol', 'code'],
      registers: [this.registry],
    });
    this.others = new Counter({
      name: 'modelslo_other_requests_total',
      help: 'Requests that are not inference (health and readiness probes, metadata, unknown paths, OPTIONS *), by route kind and code; kept out of the SLIs.',
      labelNames: ['model', 'namespace', 'revision', 'protocol', 'route', 'code'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'modelslo_request_duration_seconds',
      help: 'Time from the request arriving at the sidecar to the last byte of the response sent.',
      labelNames: ['model', 'namespace', 'revision', 'protocol'],
      buckets: bucketsSeconds,
      registers: [this.registry],
    });
    this.events = new Counter({
      name: 'modelslo_capture_events_total',
      help: 'Captured CloudEvents by outcome: shipped to the daemon, spooled to disk, dropped (queue or spool full, refused by the daemon), redacted, skipped (probes and metadata calls are not captured).',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    for (const outcome of ['shipped', 'spooled', 'dropped', 'redacted', 'skipped']) this.events.labels(outcome).inc(0);
    this.payloadBytes = new Counter({
      name: 'modelslo_capture_payload_bytes_total',
      help: 'Bytes of request and response bodies captured (up to the capture limit), by direction.',
      labelNames: ['direction'],
      registers: [this.registry],
    });
    this.truncated = new Counter({
      name: 'modelslo_capture_truncated_total',
      help: 'Captured bodies cut at sidecar.capture.body_limit_bytes, by direction.',
      labelNames: ['direction'],
      registers: [this.registry],
    });
    for (const direction of ['request', 'response']) {
      this.payloadBytes.labels(direction).inc(0);
      this.truncated.labels(direction).inc(0);
    }
    new Gauge({
      name: 'modelslo_capture_queue_depth',
      help: 'Captured events waiting in memory to be batched (bounded by sidecar.capture.queue_events).',
      registers: [this.registry],
      collect() {
        this.set(queueDepth());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'modelslo_sidecar_' });
  }

  /** Counts one finished request. */
  observe(model: string, protocol: Protocol, code: number, seconds: number): void {
    const hkey = `${model}\u0000${protocol}`;
    let h = this.histograms.get(hkey);
    if (h === undefined) {
      h = this.duration.labels(model, this.namespace, this.revision, protocol);
      this.histograms.set(hkey, h);
    }
    h.observe(seconds);
    const ckey = `${hkey}\u0000${code}`;
    let c = this.counters.get(ckey);
    if (c === undefined) {
      c = this.requests.labels(model, this.namespace, this.revision, protocol, String(code));
      this.counters.set(ckey, c);
    }
    c.inc();
  }

  /** Counts one finished request that is not an inference (outside the SLIs). */
  observeOther(model: string, protocol: Protocol, route: Exclude<RouteKind, 'inference'>, code: number): void {
    const key = `${model}\u0000${protocol}\u0000${route}\u0000${code}`;
    let c = this.counters.get(key);
    if (c === undefined) {
      c = this.others.labels(model, this.namespace, this.revision, protocol, route, String(code));
      this.counters.set(key, c);
    }
    c.inc();
  }

  /** Counts captured bodies of one direction: their captured bytes, and how many were cut at the limit. */
  payload(direction: 'request' | 'response', bytes: number, truncated: number): void {
    if (bytes > 0) this.payloadBytes.labels(direction).inc(bytes);
    if (truncated > 0) this.truncated.labels(direction).inc(truncated);
  }

  /** Counts `n` events with an outcome. */
  capture(outcome: CaptureOutcome, n = 1): void {
    if (n > 0) this.events.labels(outcome).inc(n);
  }

  /** The current value of a capture counter (for logs and tests). */
  async captured(outcome: CaptureOutcome): Promise<number> {
    const m = await this.events.get();
    return m.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  }
}
