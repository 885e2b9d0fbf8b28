/**
 * The canary verdict (src/canary/decide.ts): table tests of each check and of the progress rules,
 * and properties: a canary with the primary's own samples never rolls back; more canary errors never
 * turn a rollback into a promotion.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyse, decide, judgeOnce, nearestRank, type Analysis, type CanarySide } from '../../src/canary/decide.js';
import { mulberry32 } from '../../src/demo/prng.js';
import type { CanarySettings, Model } from '../../src/model/types.js';
import { canarySchema, canarySettings } from '../../src/spec/canary-schema.js';

const settings = (over: Partial<CanarySettings> = {}): CanarySettings => ({ ...canarySettings(canarySchema.parse({}), undefined), ...over });

const slos = (): Model['slos'] => [
  { name: 'availability', objective: 99.9, window: '28d', sli: { kind: 'availability' }, alerts: { page: true, ticket: true } },
  { name: 'latency', objective: 99, window: '28d', sli: { kind: 'latency', thresholdMs: 200 }, alerts: { page: true, ticket: true } },
];

/** A side of n records: latencies log-normal around `latencyMs`, every `failEvery`-th a 500, predictions normal around `predMean`. */
function side(n: number, o: { seed: number; latencyMs?: number; failEvery?: number; predMean?: number }): CanarySide {
  const rand = mulberry32(o.seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const statuses: number[] = [];
  const latencies: number[] = [];
  const predictions: number[] = [];
  for (let i = 0; i < n; i++) {
    statuses.push(o.failEvery !== undefined && i % o.failEvery === 0 ? 500 : 200);
    latencies.push((o.latencyMs ?? 20) * Math.exp(0.2 * normal()));
    predictions.push((o.predMean ?? 0.5) + 0.1 * normal());
  }
  return { statuses, latenciesMs: latencies, predictions };
}

const check = (a: Analysis, name: string) => {
  const c = a.checks.find((k) => k.name === name);
  if (c === undefined) throw new Error(`no check ${name} in ${a.checks.map((k) => k.name).join(', ')}`);
  return c;
};

describe('one analysis', () => {
  const primary = side(1000, { seed: 1 });

  it('passes a canary that behaves like the primary, every check computed', () => {
    const a = analyse({ settings: settings(), slos: slos(), canary: side(300, { seed: 2 }), primary });
    expect(a.outcome).toBe('pass');
    expect(a.checks.map((c) => c.name)).toEqual(['error_rate', 'latency', 'latency_p99_ratio', 'budget:availability', 'budget:latency', 'prediction_drift']);
    expect(a.checks.every((c) => c.pass)).toBe(true);
    expect(judgeOnce(a)).toBe('promote');
  });

  it('fails a canary with 10% 5xx and twice the latency on errors, latency and budget', () => {
    const a = analyse({ settings: settings(), slos: slos(), canary: side(300, { seed: 3, failEvery: 10, latencyMs: 40 }), primary });
    expect(a.outcome).toBe('fail');
    const failed = a.checks.filter((c) => !c.pass).map((c) => c.name);
    expect(failed).toEqual(expect.arrayContaining(['error_rate', 'latency', 'latency_p99_ratio', 'budget:availability']));
    const err = check(a, 'error_rate');
    expect(err.value).toBeCloseTo(30 / 300, 12);
    expect(err.pValue).toBeLessThan(1e-6);
    // 10% errors against a 0.1% budget burn at 100x; the 28d page factor is 13.44.
    expect(check(a, 'budget:availability').value).toBeCloseTo(100, 9);
    expect(check(a, 'budget:availability').threshold).toBe(13.44);
    expect(judgeOnce(a)).toBe('rollback');
  });

  it('fails on prediction drift alone when errors and latency are healthy', () => {
    const a = analyse({ settings: settings(), slos: slos(), canary: side(400, { seed: 4, predMean: 0.6 }), primary });
    expect(a.checks.filter((c) => !c.pass).map((c) => c.name)).toEqual(['prediction_drift']);
    const d = check(a, 'prediction_drift');
    expect(d.detail).toMatch(/^ks /);
    expect(d.value).toBeGreaterThan(0.2);
    expect(d.pValue).toBeLessThan(0.02);
  });

  it('holds a thin canary (inconclusive) even when all of it failed: never rolled back for lack of data', () => {
    const all5xx: CanarySide = { statuses: Array(50).fill(503), latenciesMs: Array(50).fill(5), predictions: [] };
    const a = analyse({ settings: settings({ minRequests: 200 }), slos: slos(), canary: all5xx, primary });
    expect(a.outcome).toBe('inconclusive');
    expect(a.reason).toContain('canary has 50 request records in the window, fewer than min_requests 200');
    expect(judgeOnce(a)).toBe('hold');
    expect(decide(a, { failures: 1, passes: 2, percent: 10 }, settings({ failureLimit: 2 }), false)).toMatchObject({ verdict: 'hold', nextPercent: undefined, progress: { failures: 1, passes: 2 } });
  });

  it('does not fail a small error difference that is not significant, nor a significant one within tolerance', () => {
    // 2 of 250 vs 0 of 1000: delta 0.008 under 0.01.
    const few = { ...side(250, { seed: 5 }), statuses: [500, 500, ...Array(248).fill(200)] };
    expect(check(analyse({ settings: settings(), slos: [], canary: few, primary }), 'error_rate').pass).toBe(true);
    // 4 of 250: delta 0.016 over 0.01, and Fisher p = 0.00157 (scipy) < 0.02 → fails; at confidence 0.999 (alpha 0.001) it passes.
    const more = { ...side(250, { seed: 5 }), statuses: [500, 500, 500, 500, ...Array(246).fill(200)] };
    expect(check(analyse({ settings: settings(), slos: [], canary: more, primary }), 'error_rate').pass).toBe(false);
    expect(check(analyse({ settings: settings({ confidence: 0.999 }), slos: [], canary: more, primary }), 'error_rate').pass).toBe(true);
  });

  it('does not blame a canary that burns no faster than the primary', () => {
    const burning = side(1000, { seed: 6, failEvery: 20 });
    const a = analyse({ settings: settings(), slos: slos(), canary: side(300, { seed: 7, failEvery: 20 }), primary: burning });
    expect(check(a, 'budget:availability').value).toBeGreaterThan(13.44);
    expect(check(a, 'budget:availability').pass).toBe(true);
  });

  it.each([
    ['in range', 0.5, 'pass'],
    ['above max', 1.5, 'fail'],
    ['no data', null, 'inconclusive'],
  ] as const)('judges a custom PromQL check %s', (_name, value, outcome) => {
    const s = settings({ custom: [{ name: 'gpu', query: 'x{revision="{{revision}}"}', min: 0, max: 1 }] });
    const a = analyse({ settings: s, slos: [], canary: side(300, { seed: 8 }), primary, custom: [{ name: 'gpu', query: 'x{revision="r2"}', value, ...(value === null ? { error: 'no series' } : {}) }] });
    expect(a.outcome).toBe(outcome);
    expect(check(a, 'custom:gpu')).toMatchObject({ min: 0, max: 1, value });
  });

  it('takes p99 by nearest rank', () => {
    expect(nearestRank([5, 1, 3, 2, 4], 0.99)).toBe(5);
    expect(nearestRank(Array.from({ length: 200 }, (_, i) => i + 1), 0.99)).toBe(198);
  });
});

describe('the verdict over analyses', () => {
  const pass: Analysis = { outcome: 'pass', reason: 'passed 6 checks', requests: { canary: 300, primary: 1000 }, checks: [] };
  const fail: Analysis = { outcome: 'fail', reason: 'failed: error_rate', requests: { canary: 300, primary: 1000 }, checks: [] };

  it('rolls back at failure_limit failed analyses, holding before', () => {
    const s = settings({ failureLimit: 2 });
    const first = decide(fail, { failures: 0, passes: 1, percent: 10 }, s, false);
    expect(first).toMatchObject({ verdict: 'hold', nextPercent: undefined, progress: { failures: 1, passes: 0 } });
    expect(decide(fail, first.progress, s, false)).toMatchObject({ verdict: 'rollback', nextPercent: 0, progress: { failures: 2 } });
  });

  it('walks the steps after promote_after passes each, then promotes (null removes canaryTrafficPercent)', () => {
    const s = settings({ promoteAfter: 2, steps: [10, 25, 50] });
    let progress = { failures: 0, passes: 0, percent: 10 };
    const verdicts: string[] = [];
    const percents: Array<number | null | undefined> = [];
    for (let i = 0; i < 6; i++) {
      const d = decide(pass, progress, s, false);
      verdicts.push(d.verdict);
      percents.push(d.nextPercent);
      progress = d.progress;
    }
    expect(verdicts).toEqual(['hold', 'step', 'hold', 'step', 'hold', 'promote']);
    expect(percents).toEqual([undefined, 25, undefined, 50, undefined, null]);
  });

  it('never steps or promotes while the error budget is exhausted', () => {
    const d = decide(pass, { failures: 0, passes: 5, percent: 10 }, settings({ promoteAfter: 1 }), true);
    expect(d).toMatchObject({ verdict: 'hold', nextPercent: undefined });
    expect(d.reason).toContain('error budget is exhausted');
  });

  it('resets the passes in a row on a failure', () => {
    expect(decide(fail, { failures: 0, passes: 2, percent: 10 }, settings({ failureLimit: 3 }), false).progress.passes).toBe(0);
  });
});

describe('properties', () => {
  const arbSide = fc.record({
    n: fc.integer({ min: 200, max: 600 }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    failEvery: fc.option(fc.integer({ min: 2, max: 50 }), { nil: undefined }),
    latencyMs: fc.double({ min: 1, max: 500, noNaN: true }),
  });

  it('a canary with the same samples as the primary never rolls back', () => {
    fc.assert(
      fc.property(arbSide, (o) => {
        const p = side(o.n, o);
        const a = analyse({ settings: settings(), slos: slos(), canary: { statuses: [...p.statuses as number[]], latenciesMs: [...p.latenciesMs as number[]], predictions: [...p.predictions] }, primary: p });
        return a.outcome !== 'fail' && judgeOnce(a) !== 'rollback';
      }),
      { numRuns: 60 },
    );
  });

  it('more canary errors never turn a rollback into a promotion', () => {
    fc.assert(
      fc.property(arbSide, fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 100 }), (o, seed, extra) => {
        const primary = side(1000, { seed, latencyMs: o.latencyMs });
        const canary = side(o.n, o);
        const s = settings();
        const before = judgeOnce(analyse({ settings: s, slos: slos(), canary, primary }));
        const statuses = [...(canary.statuses as number[])];
        let turned = 0;
        for (let i = 0; i < statuses.length && turned < extra; i++) {
          if (statuses[i] !== 200) continue;
          statuses[i] = 500;
          turned++;
        }
        const after = judgeOnce(analyse({ settings: s, slos: slos(), canary: { ...canary, statuses }, primary }));
        return before !== 'rollback' || after === 'rollback';
      }),
      { numRuns: 60 },
    );
  });
});
