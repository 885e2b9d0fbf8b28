/** The sidecar's Prometheus metrics (names as DESIGN.md fixes them), on a registry of its own. */
import { SIDECAR_METRICS } from '../model/metric-names.js';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundHistogram } from './bound-histogram.js';
import { Tallies } from './tally.js';
import type { Protocol, RouteKind } from './route.js';

/** Outcomes of a captured event. */
export type CaptureOutcome = 'shipped' | 'spooled' | 'dropped' | 'redacted' | 'skipped';

interface Child {
  inc(): void;
}
interface Observer {
  observe(v: number): void;
}

const PROTOCOLS: readonly Protocol[] = ['v1', 'v2', 'other'];

/**
 * One model's request metrics with their label children bound: a histogram child per protocol made
 * at once, a counter child per (protocol, code) made at its first use and kept in an array by code.
 * Per request: two array reads, one observe, one inc; no strings built, no labels hashed.
 */
export class ModelMetrics {
  private readonly durations: Record<Protocol, Observer>;
  private readonly codes: Record<Protocol, Array<Child | undefined>> = { v1: [], v2: [], other: [] };
  private readonly others = new Map<string, Child>();

  constructor(
    duration: (protocol: Protocol) => Observer,
    private readonly requests: (protocol: Protocol, code: number) => Child,
    private readonly other: (protocol: Protocol, route: Exclude<RouteKind, 'inference'>, code: number) => Child,
  ) {
    const [v1, v2, rest] = PROTOCOLS.map(duration) as [Observer, Observer, Observer];
    this.durations = { v1, v2, other: rest };
  }

  /** Counts one finished inference request. */
  observe(protocol: Protocol, code: number, seconds: number): void {
    this.durations[protocol].observe(seconds);
    const byCode = this.codes[protocol];
    let c = byCode[code];
    if (c === undefined) {
      c = this.requests(protocol, code);
      byCode[code] = c;
    }
    c.inc();
  }

  /** Counts one finished request that is not an inference (outside the SLIs). */
  observeOther(protocol: Protocol, route: Exclude<RouteKind, 'inference'>, code: number): void {
    const key = `${protocol} ${route} ${code}`;
    let c = this.others.get(key);
    if (c === undefined) {
      c = this.other(protocol, route, code);
      this.others.set(key, c);
    }
    c.inc();
  }
}

/** Request metrics plus capture health; `forModel(m).observe` is the request path's only call. */
export class SidecarMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'model' | 'namespace' | 'revision' | 'protocol' | 'code'>;
  private readonly others: Counter<'model' | 'namespace' | 'revision' | 'protocol' | 'route' | 'code'>;
  private readonly duration: BoundHistogram;
  private readonly events: Counter<'outcome'>;
  private readonly payloadBytes: Counter<'direction'>;
  private readonly truncated: Counter<'direction'>;
  /** Label children bound per model: prom-client hashes the labels on every call otherwise. */
  private readonly bound = new Map<string, ModelMetrics>();
  /** The request counters' counts, handed to prom-client when scraped. */
  private readonly requestTallies = new Tallies();
  private readonly otherTallies = new Tallies();

  constructor(
    private readonly namespace: string,
    private readonly revision: string,
    bucketsSeconds: number[],
    queueDepth: () => number,
  ) {
    this.requests = new Counter({
      name: SIDECAR_METRICS.requests,
      help: 'Inference requests (V1 :predict/:explain, V2 /infer) proxied to the predictor, by HTTP status code (502/504: the sidecar could not reach it in time, 503: too many waiting).',
      labelNames: ['model', 'namespace', 'revision', 'protocol', 'code'],
      registers: [this.registry],
      collect: () => this.requestTallies.toCounter(this.requests),
    });
    this.others = new Counter({
      name: SIDECAR_METRICS.otherRequests,
      help: 'Requests that are not inference (health and readiness probes, metadata, unknown paths, OPTIONS *), by route kind and code; kept out of the SLIs.',
      labelNames: ['model', 'namespace', 'revision', 'protocol', 'route', 'code'],
      registers: [this.registry],
      collect: () => this.otherTallies.toCounter(this.others),
    });
    this.duration = new BoundHistogram(SIDECAR_METRICS.duration, 'Time from the request arriving at the sidecar to the last byte of the response sent.', bucketsSeconds, this.registry);
    this.events = new Counter({
      name: 'modelslo_capture_events_total',
      help: 'Captured CloudEvents by outcome: shipped to the daemon, spooled to disk, dropped (spool full, refused by the daemon, capture worker gone), redacted, skipped (probes and metadata calls are not captured).',
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

  /** The request metrics of one model, label children bound once (the request path's only metrics calls). */
  forModel(model: string): ModelMetrics {
    let m = this.bound.get(model);
    if (m === undefined) {
      m = new ModelMetrics(
        (protocol) => this.duration.child({ model, namespace: this.namespace, revision: this.revision, protocol }),
        (protocol, code) => this.requestTallies.make({ model, namespace: this.namespace, revision: this.revision, protocol, code: String(code) }),
        (protocol, route, code) => this.otherTallies.make({ model, namespace: this.namespace, revision: this.revision, protocol, route, code: String(code) }),
      );
      this.bound.set(model, m);
    }
    return m;
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
