/** The request path's histogram gives byte for byte the exposition of prom-client's own Histogram fed the same values. */
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundHistogram } from '../../src/sidecar/bound-histogram.js';

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
