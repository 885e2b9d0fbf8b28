/** The request path's metrics of plain counts give byte for byte the exposition of prom-client's own metrics fed the same values. */
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundHistogram } from '../../src/sidecar/bound-histogram.js';
import { Tallies } from '../../src/sidecar/tally.js';

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = [
  { model: 'fraud-detector', namespace: 'payments', revision: 'r1', protocol: 'v2' },
  { model: 'fraud-detector', namespace: 'payments', revision: 'r1', protocol: 'v1' },
  { model: 'a "quoted"\nmodel', namespace: 'payments', revision: 'r1', protocol: 'other' },
];

describe('BoundHistogram', () => {
  it('shows a bound label set only once it has an observation, as prom-client does', async () => {
    const registry = new Registry();
    const h = new BoundHistogram('d_seconds', 'help text', BOUNDS, registry);
    const [a, b] = LABELS.map((l) => h.child(l));
    b?.observe(0.3);
    const text = await registry.metrics();
    expect(text).toContain('d_seconds_count{model="fraud-detector",namespace="payments",revision="r1",protocol="v1"} 1');
    expect(text).not.toContain('protocol="v2"');
    a?.observe(0.001);
    expect(await registry.metrics()).toContain('d_seconds_bucket{le="0.005",model="fraud-detector",namespace="payments",revision="r1",protocol="v2"} 1');
  });

  it('exposes what prom-client exposes for the same observations, text and JSON, and resets alike', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: LABELS.length - 1 }), fc.double({ min: 0, max: 20, noNaN: true })), { maxLength: 200 }), async (obs) => {
        const ours = new Registry();
        const theirs = new Registry();
        const h = new BoundHistogram('d_seconds', 'help text', BOUNDS, ours);
        const ref = new Histogram({ name: 'd_seconds', help: 'help text', labelNames: ['model', 'namespace', 'revision', 'protocol'], buckets: BOUNDS, registers: [theirs] });
        const children = LABELS.map((l) => h.child(l));
        const refChildren = LABELS.map((l) => ref.labels(l));
        // prom-client shows a label set once it is made; ours once it is bound: make all of them first.
        for (const c of refChildren) c.observe(0);
        for (const c of children) c.observe(0);
        for (const [i, v] of obs) {
          children[i]?.observe(v);
          refChildren[i]?.observe(v);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
        expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
        ours.resetMetrics();
        theirs.resetMetrics();
        for (const c of refChildren) c.observe(1);
        for (const c of children) c.observe(1);
        expect(await ours.metrics()).toBe(await theirs.metrics());
      }),
      { numRuns: 50 },
    );
  });
});

describe('Tallies', () => {
  it('give a counter and a gauge, when scraped, the exposition prom-client gives when counted directly', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const names = ['model', 'code'];
    const tallies = new Tallies();
    const gaugeTallies = new Tallies();
    const counter: Counter<string> = new Counter({ name: 'r_total', help: 'h', labelNames: names, registers: [ours], collect: () => tallies.toCounter(counter) });
    const gauge: Gauge<string> = new Gauge({ name: 'g', help: 'h', labelNames: names, registers: [ours], collect: () => gaugeTallies.toGauge(gauge) });
    const refCounter = new Counter({ name: 'r_total', help: 'h', labelNames: names, registers: [theirs] });
    const refGauge = new Gauge({ name: 'g', help: 'h', labelNames: names, registers: [theirs] });
    const [a, b] = [tallies.make({ model: 'm', code: '200' }), tallies.make({ model: 'm', code: '503' })];
    const g = gaugeTallies.make({ model: 'm', code: 'x' });
    for (let i = 0; i < 7; i++) {
      a?.inc();
      refCounter.inc({ model: 'm', code: '200' });
      g.inc();
      refGauge.inc({ model: 'm', code: 'x' });
    }
    g.dec();
    refGauge.dec({ model: 'm', code: 'x' });
    expect(b?.n).toBe(0);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    b?.inc();
    refCounter.inc({ model: 'm', code: '503' });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
