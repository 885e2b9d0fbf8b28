/**
 * Counts of the request path kept in plain numbers, one object per label set bound once, and handed
 * to their prom-client metric only when it is scraped (its `collect`). prom-client's own children
 * hash and validate the labels on every `inc` (lib/counter.js, lib/gauge.js); a tally is one addition.
 */
import type { Counter, Gauge } from 'prom-client';

/** One label set's count. */
export class Tally {
  n = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}
  inc(): void {
    this.n += 1;
  }
  dec(): void {
    this.n -= 1;
  }
}

/** The tallies of one metric. */
export class Tallies {
  private readonly all: Tally[] = [];

  /** A tally for a label set; call once per label set and keep it. */
  make(labels: Record<string, string>): Tally {
    const t = new Tally({ ...labels });
    this.all.push(t);
    return t;
  }

  /** Writes the totals into a counter (from its `collect`): a label set shows once it has counted. */
  toCounter<T extends string>(counter: Counter<T>): void {
    counter.reset();
    for (const t of this.all) if (t.n > 0) counter.inc(t.labels as Partial<Record<T, string>>, t.n);
  }

  /** Writes the current values into a gauge (from its `collect`). */
  toGauge<T extends string>(gauge: Gauge<T>): void {
    for (const t of this.all) gauge.set(t.labels as Partial<Record<T, string>>, t.n);
  }
}
