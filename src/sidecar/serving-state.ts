/**
 * What the request path reads and counts about the predictor's state: the cold-start window (set by
 * the readiness watcher, read by each request as one field) and the inference requests in flight.
 */
import { SIDECAR_METRICS } from '../model/metric-names.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { BoundHistogram } from './bound-histogram.js';
import { ModelMetrics } from './metrics.js';
import type { Protocol } from './route.js';
import { Tallies } from './tally.js';

/** Requests in flight of one model: the request path adds and removes 1, a scrape reads it. */
export interface InflightSlot {
  n: number;
}

/** Cold-start counter and histogram, and the in-flight gauge, on the sidecar's registry. */
export class ServingState {
  /**
   * Requests arriving before this time (performance.now() ms) are cold starts: Infinity while the
   * predictor is not ready, its ready time plus the warm-up once it is.
   */
  coldUntil = Number.POSITIVE_INFINITY;
  private readonly coldRequests: Counter<'model' | 'namespace' | 'revision' | 'protocol' | 'code'>;
  private readonly coldDuration: BoundHistogram;
  private readonly coldTallies = new Tallies();
  /** Label children bound per model, as for the request metrics (every request of a warm-up is one). */
  private readonly bound = new Map<string, ModelMetrics>();
  private readonly slots = new Map<string, InflightSlot>();

  constructor(registry: Registry, private readonly namespace: string, private readonly revision: string, bucketsSeconds: number[], defaultModel: string) {
    this.coldRequests = new Counter({
      name: SIDECAR_METRICS.coldStartRequests,
      help: 'Inference requests that arrived while the predictor was not ready or within sidecar.readiness.warmup after it became ready, by code (also counted in modelslo_requests_total).',
      labelNames: ['model', 'namespace', 'revision', 'protocol', 'code'],
      registers: [registry],
      collect: () => this.coldTallies.toCounter(this.coldRequests),
    });
    this.coldDuration = new BoundHistogram(SIDECAR_METRICS.coldStartDuration, 'Latency of the cold-start requests (same buckets as modelslo_request_duration_seconds).', bucketsSeconds, registry);
    const slots = this.slots;
    new Gauge({
      name: SIDECAR_METRICS.inFlight,
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
    let m = this.bound.get(model);
    if (m === undefined) {
      const labels = { model, namespace: this.namespace, revision: this.revision };
      m = new ModelMetrics(
        (p) => this.coldDuration.child({ ...labels, protocol: p }),
        (p, c) => this.coldTallies.make({ ...labels, protocol: p, code: String(c) }),
        () => {
          throw new Error('cold starts are counted for inference requests only');
        },
      );
      this.bound.set(model, m);
    }
    m.observe(protocol, code, seconds);
  }
}
