import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertThreshold, budgetRemaining, burnRate, errorBudget, objectiveRatio } from '../../src/slo/budget.js';
import { BURN_WINDOWS, burnFactor, durationSeconds } from '../../src/slo/burn-windows.js';
import { extrapolatedIncrease, extrapolatedRate, selectRange, type Sample } from '../../src/slo/prom-rate.js';

const objective = fc.double({ min: 0.001, max: 99.999, noNaN: true });
const ratio = fc.double({ min: 0, max: 1, noNaN: true });

describe('error budget and burn rate', () => {
  it('budget remaining is at most 1, and exactly 1 with no errors', () => {
    fc.assert(
      fc.property(objective, ratio, (obj, r) => {
        const b = errorBudget(obj);
        expect(budgetRemaining(r, b)).toBeLessThanOrEqual(1);
        expect(budgetRemaining(0, b)).toBe(1);
      }),
    );
  });

  it('burn rate is monotone in the error ratio', () => {
    fc.assert(
      fc.property(objective, ratio, ratio, (obj, a, c) => {
        const b = errorBudget(obj);
        const [lo, hi] = a <= c ? [a, c] : [c, a];
        expect(burnRate(lo, b)).toBeLessThanOrEqual(burnRate(hi, b));
      }),
    );
  });

  it('a burn rate of 1 spends exactly the budget: remaining is 0', () => {
    fc.assert(
      fc.property(objective, (obj) => {
        expect(budgetRemaining(errorBudget(obj), errorBudget(obj))).toBe(0);
      }),
    );
  });

  it('alert thresholds are factor × (1 − objective)', () => {
    fc.assert(
      fc.property(fc.constantFrom(99, 99.5, 99.9, 99.95, 99.99, 95, 90), fc.constantFrom('28d' as const, '30d' as const), (obj, window) => {
        for (const row of BURN_WINDOWS) {
          const f = burnFactor(row, window);
          const want = f * (1 - obj / 100);
          expect(Math.abs(alertThreshold(f, errorBudget(obj)) - want)).toBeLessThanOrEqual(1e-9 * want);
        }
      }),
    );
  });

  it('objective and budget are free of binary noise', () => {
    expect(objectiveRatio(99.9)).toBe(0.999);
    expect(errorBudget(99.9)).toBe(0.001);
    expect(errorBudget(99.95)).toBe(0.0005);
  });
});

describe('the burn-rate table (SRE workbook ch. 5)', () => {
  it.each([
    ['30d', [14.4, 6, 3, 1]],
    ['28d', [13.44, 5.6, 2.8, 0.933333333333]],
  ] as const)('scales factors for a %s window', (window, factors) => {
    expect(BURN_WINDOWS.map((row) => burnFactor(row, window))).toEqual(factors);
  });

  it('short windows are 1/12 of long windows', () => {
    for (const row of BURN_WINDOWS) expect(durationSeconds(row.long) / durationSeconds(row.short)).toBe(12);
  });
});

describe('Prometheus rate() extrapolation', () => {
  const counter = (values: number[], stepMs = 60_000, startMs = 0): Sample[] => values.map((v, i) => ({ t: startMs + i * stepMs, v }));

  it('selects a closed range [t − range, t]', () => {
    const s = counter([0, 1, 2, 3, 4]);
    expect(selectRange(s, 240_000, 120_000).map((x) => x.v)).toEqual([2, 3, 4]);
  });

  it('needs two samples', () => {
    expect(extrapolatedRate(counter([5]), 0, 300_000)).toBeUndefined();
  });

  it('is exact for a steady counter whose samples reach both edges', () => {
    // 6 samples a minute apart over [0, 5m]: increase 50, rate 50/300.
    expect(extrapolatedRate(counter([0, 10, 20, 30, 40, 50]), 300_000, 300_000)).toBeCloseTo(50 / 300, 15);
  });

  it('adds back the value lost at a counter reset', () => {
    // 10 → 20 → reset to 5 → 15: real increase 10 + 5 + 10 = 25 over 3 minutes, range edges at the samples.
    expect(extrapolatedIncrease(counter([10, 20, 5, 15]), 180_000, 180_000)).toBeCloseTo(25, 12);
  });

  it('does not extrapolate a counter below zero', () => {
    // Counter starts at 1 a minute after range start and climbs 1/min: zero point is 1 min before the first sample.
    const s = counter([1, 2, 3], 60_000, 120_000);
    const inc = extrapolatedIncrease(s, 240_000, 240_000);
    // To-start is 2 min, but the counter was 0 one minute before its first sample: extrapolate
    // back to that zero point only (1 min < 1.1 intervals), giving the increase from 0 to 3.
    expect(inc).toBeCloseTo(3, 12);
  });

  it('extrapolates by half an interval when the range edge is far from the samples', () => {
    // Samples 100, 110, 120 at 2..4 min, range [0, 4 min]: zero point is far back, so the start
    // gets half an interval (30 s): 20 × (120 + 30) / 120 = 25.
    expect(extrapolatedIncrease(counter([100, 110, 120], 60_000, 120_000), 240_000, 240_000)).toBeCloseTo(25, 12);
  });
});
