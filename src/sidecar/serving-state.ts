/**
 * What the request path reads and counts about the predictor's state: the cold-start window (set by
 * the readiness watcher, read by each request as one field) and the inference requests in flight.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Protocol } from './route.js';

/** Requests in flight of one model: the request path adds and removes 1, a scrape reads it. */
export interface InflightSlot {
  n: number;
}

interface Child {
  inc(): void;
}
interface Observer {
  observe(v: number): void;
}

/** Cold-start counter and histogram, and the in-flight gauge, on the sidecar's registry. */
export class ServingState {
  /**
   * Requests arriving before this time (performance.now() ms) are cold starts: Infinity while the
   * predictor is not ready, its ready time plus the warm-up once it is.
   */
  coldUntil = Number.POSITIVE_INFINITY;
  private readonly coldRequests: Counter<'model' | 'namespace' | 'revision' | 'protocol' | 'code'>;
  private readonly coldDuration: Histogram<'model' | 'namespace' | 'revision' | 'protocol'>;
  private readonly counters = new Map<string, Child>();
  private readonly histograms = new Map<string, Observer>();
  private readonly slots = new Map<string, InflightSlot>();

  constructor(registry: Registry, private readonly namespace: string, private readonly revision: string, bucketsSeconds: number[], defaultModel: string) {
    this.coldRequests = new Counter({
      name: 'modelslo_cold_start_requests_total',
      help: 'Inference requests that arrived while the predictor was not ready or within sidecar.readiness.warmup after it became ready, by code (also counted in modelslo_requests_total).',
      labelNames: ['model', 'namespace', 'revision', 'protocol', 'code'],
      registers: [registry],
    });
    this.coldDuration = new Histogram({
      name: 'modelslo_cold_start_request_duration_seconds',
      help: 'Latency of the cold-start requests (same buckets as modelslo_request_duration_seconds).',
      labelNames: ['model', 'namespace', 'revision', 'protocol'],
      buckets: bucketsSeconds,
      registers: [registry],
    });
    const slots = this.slots;
    new Gauge({
      name: 'modelslo_requests_in_flight',
      help: 'Inference requests being proxied now (sent to the predictor or waiting for a pooled connection): the queue length.',
      labelNames: ['model', 'namespace', 'revision'],
      registers: [registry],
      collect() {
        for (const [model, slot] of slots) this.labels(model, namespace, revision).set(slot.n);
      },
    });
    // The default model's series exists from the start, at 0.
    this.inflight(defaultModel);
  }

  /** The in-flight slot of a model (created once, then a map lookup). */
  inflight(model: string): InflightSlot {
    let slot = this.slots.get(model);
    if (slot === undefined) {
      slot = { n: 0 };
      this.slots.set(model, slot);
    }
    return slot;
  }

  /** Counts one finished cold-start inference request. */
  cold(model: string, protocol: Protocol, code: number, seconds: number): void {
    const hkey = `${model}\u0000${protocol}`;
    let h = this.histograms.get(hkey);
    if (h === undefined) {
      h = this.coldDuration.labels(model, this.namespace, this.revision, protocol);
      this.histograms.set(hkey, h);
    }
    h.observe(seconds);
    const ckey = `${hkey}\u0000${code}`;
    let c = this.counters.get(ckey);
    if (c === undefined) {
      c = this.coldRequests.labels(model, this.namespace, this.revision, protocol, String(code));
      this.counters.set(ckey, c);
    }
    c.inc();
  }
}
