/**
 * A histogram for the request path: each label set is bound once to a child holding plain counts,
 * so an observation is a bucket search and three additions. prom-client's own Histogram hashes and
 * validates the labels on every observe, even through a child (lib/histogram.js, `observe`). This
 * one is registered on the same prom-client Registry through the metric interface the registry
 * reads (`name`, `get`, `getForPromString`, `reset`) and gives the exposition prom-client's
 * Histogram gives: cumulative `_bucket{le}` series, `le="+Inf"`, `_sum`, `_count`.
 */
import type { Metric, Registry } from 'prom-client';

/** One bound label set. */
export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  /** Counts one value (seconds) in the first bucket whose upper bound holds it. */
  observe(value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        (this.counts[i] as number) += 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

interface Value {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
  /** prom-client's buckets carry `exemplar: null` (exemplars are off). */
  exemplar?: null;
}

/** A histogram of bound children, exposed by a prom-client Registry. */
export class BoundHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly children: HistogramChild[] = [];
  private readonly bounds: number[];

  constructor(
    readonly name: string,
    readonly help: string,
    bounds: readonly number[],
    registry: Registry,
  ) {
    this.bounds = [...bounds].sort((a, b) => a - b);
    registry.registerMetric(this as unknown as Metric);
  }

  /** A child for one label set; call once per label set and keep it. */
  child(labels: Record<string, string>): HistogramChild {
    const c = new HistogramChild({ ...labels }, this.bounds);
    this.children.push(c);
    return c;
  }

  /** The registry's view (same shape as prom-client's Histogram.getForPromString). */
  getForPromString(): Promise<{ name: string; help: string; type: string; values: Value[]; aggregator: string }> {
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const c of this.children) {
      // As prom-client: a label set is shown once it has an observation (since the last reset).
      if (c.count === 0) continue;
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += c.counts[i] ?? 0;
        values.push({ labels: { le }, sharedLabels: c.labels, value: acc, metricName: bucket, exemplar: null });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: c.labels, value: c.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: c.labels, value: c.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: c.labels, value: c.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The JSON view (labels merged, as prom-client's Histogram.get gives). */
  async get(): Promise<{ name: string; help: string; type: string; values: Array<Omit<Value, 'sharedLabels'>>; aggregator: string }> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels, labels, ...v }) => ({ ...v, labels: { ...sharedLabels, ...labels } })) };
  }

  /** Zeroes every child (the registry's resetMetrics). */
  reset(): void {
    for (const c of this.children) {
      c.counts.fill(0);
      c.sum = 0;
      c.count = 0;
    }
  }
}
