/**
 * mannWhitneyU against scipy 1.10.1's stats.mannwhitneyu on seeded data sets (one Python process
 * for the file): U1 and the p-value of every alternative under method 'auto' (and the method
 * scipy's own `_mwu_choose_method` picks), 'exact' on tie-free small samples, and 'asymptotic'
 * without the continuity correction. Tolerance: 1e-9 absolute on p, exact U.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/demo/prng.js';
import { mannWhitneyU } from '../../src/stats/mann-whitney.js';
import type { Alternative, MannWhitneyMethod } from '../../src/stats/mann-whitney.js';
import { normals } from '../drift/datasets.js';
import { runScipy } from '../support/scipy.js';

const TOL = 1e-9;
const ALTERNATIVES: Alternative[] = ['two-sided', 'greater', 'less'];

interface Case {
  name: string;
  x: number[];
  y: number[];
  /** Also compare method 'exact' (small, tie-free) and 'asymptotic' without continuity. */
  exact?: boolean;
}

function integers(seed: number, n: number, lo: number, hi: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
}

const cases: Case[] = [
  { name: '1 vs 1, x above', x: [2.5], y: [1], exact: true },
  { name: '1 vs 1, tied', x: [3], y: [3] },
  { name: '1 vs 2', x: normals(1, 1), y: normals(2, 2), exact: true },
  { name: '2 vs 1', x: normals(3, 2), y: normals(4, 1), exact: true },
  { name: '2 vs 3', x: normals(5, 2), y: normals(6, 3), exact: true },
  { name: '3 vs 3, shifted +2', x: normals(7, 3, 2), y: normals(8, 3), exact: true },
  { name: '3 vs 3 all equal', x: [4, 4, 4], y: [4, 4, 4] },
  { name: '4 vs 6, all one value', x: [1, 1, 1, 1], y: [1, 1, 1, 1, 1, 1] },
  { name: 'x constant 2, y constant 1', x: [2, 2, 2, 2, 2], y: [1, 1, 1] },
  { name: '1 vs 5', x: normals(9, 1), y: normals(10, 5), exact: true },
  { name: '5 vs 4 (scipy docs ages)', x: [19, 22, 16, 29, 24], y: [20, 11, 17, 12], exact: true },
  { name: '3 vs 8, x all above', x: normals(11, 3, 10), y: normals(12, 8), exact: true },
  { name: '8 vs 8', x: normals(13, 8, 0.5), y: normals(14, 8), exact: true },
  { name: '8 vs 9 (exact: one sample ≤ 8)', x: normals(15, 8), y: normals(16, 9, 0.7), exact: true },
  { name: '9 vs 9 (asymptotic: both > 8)', x: normals(17, 9), y: normals(18, 9, 0.7), exact: true },
  { name: '5 vs 20, shifted −1', x: normals(19, 5, -1), y: normals(20, 20), exact: true },
  { name: '8 vs 40', x: normals(21, 8, 0.4), y: normals(22, 40), exact: true },
  { name: '7 vs 300, shifted +0.8', x: normals(23, 7, 0.8), y: normals(24, 300), exact: true },
  { name: '6 vs 6 with one tie (exact truncates U = 0.5)', x: [1, 2, 3, 4, 5, 6], y: [6, 7, 8, 9, 10, 11], exact: true },
  { name: 'small with ties (ints 0..3)', x: integers(25, 5, 0, 3), y: integers(26, 7, 0, 3), exact: true },
  { name: '30 vs 25, integer ties', x: integers(27, 30, 0, 9), y: integers(28, 25, 1, 10) },
  { name: '50 vs 50, no shift', x: normals(29, 50), y: normals(30, 50) },
  { name: '200 vs 150, shift +0.2', x: normals(31, 200, 0.2), y: normals(32, 150) },
  { name: '100 vs 120, shift −0.3', x: normals(33, 100, -0.3), y: normals(34, 120) },
  { name: '400 vs 300, one-digit ties', x: normals(35, 400, 0.1, 1, 1), y: normals(36, 300, 0, 1, 1) },
  { name: '500 vs 500, heavy ties (ints 0..4)', x: integers(37, 500, 0, 4), y: integers(38, 500, 0, 4) },
  { name: '60 vs 40, x all below y', x: normals(39, 60, -10), y: normals(40, 40) },
  { name: '2000 vs 2000, shift +0.05', x: normals(41, 2000, 0.05), y: normals(42, 2000) },
  { name: '2000 vs 1500, no shift, ms ties', x: normals(43, 2000, 50, 10, 0), y: normals(44, 1500, 50, 10, 0) },
  { name: '3000 vs 10, shifted +1', x: normals(45, 3000), y: normals(46, 10, -1) },
  { name: '20 vs 1, tie with the single y', x: [...integers(47, 19, 0, 100), 42], y: [42] },
  { name: '12 vs 15, large magnitudes', x: normals(48, 12, 1e9, 1e6), y: normals(49, 15, 1e9, 1e6) },
];

interface Want {
  statistic: number;
  /** "NaN" when every value is tied and there is no continuity correction (0/0). */
  pValue: number | 'NaN';
}
interface Oracle {
  auto: Array<{ method: string; results: Want[] }>;
  exact: Array<Want[] | null>;
  asymptoticNoCc: Want[][];
}

const SCRIPT = String.raw`
import numpy as np
from scipy import stats
from scipy.stats._mannwhitneyu import _mwu_choose_method

def run(x, y, **kw):
    return [dict(statistic=float(r.statistic), pValue=float(r.pvalue))
            for r in (stats.mannwhitneyu(x, y, alternative=a, **kw) for a in ('two-sided', 'greater', 'less'))]

def main(data):
    auto, exact, asy = [], [], []
    for c in data:
        x = np.asarray(c['x'], dtype=float); y = np.asarray(c['y'], dtype=float)
        auto.append(dict(method=_mwu_choose_method(len(x), len(y), np.concatenate([x, y]), 'auto'), results=run(x, y)))
        exact.append(run(x, y, method='exact') if c.get('exact') else None)
        asy.append(run(x, y, method='asymptotic', use_continuity=False))
    return dict(auto=auto, exact=exact, asymptoticNoCc=asy)
`;

let oracle: Oracle;
let worst = { err: 0, what: '' };
afterAll(() => console.log(`mannWhitneyU: largest |Δp| vs scipy ${worst.err.toExponential(2)} (${worst.what})`));
beforeAll(async () => {
  oracle = await runScipy<Oracle>(SCRIPT, cases);
}, 120_000);

function agree(c: Case, want: Want[], method: MannWhitneyMethod, useContinuity = true): void {
  ALTERNATIVES.forEach((alternative, k) => {
    const got = mannWhitneyU(c.x, c.y, { alternative, method, useContinuity });
    const w = want[k]!;
    expect(got.statistic, `${c.name} U1 (${alternative}, ${method})`).toBe(w.statistic);
    if (w.pValue === 'NaN') expect(got.pValue, `${c.name} p ${alternative} ${method}`).toBeNaN();
    else {
      const err = Math.abs(got.pValue - w.pValue);
      if (err > worst.err) worst = { err, what: `${c.name}, ${alternative}, ${method}` };
      expect(err, `${c.name} p ${alternative} ${method}: ${got.pValue} vs scipy ${w.pValue}`).toBeLessThanOrEqual(TOL);
    }
  });
}

describe('mannWhitneyU equals scipy.stats.mannwhitneyu (1.10.1)', () => {
  it('has at least 30 data sets', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i]!;
    const auto = oracle.auto[i]!;
    expect(mannWhitneyU(c.x, c.y).method).toBe(auto.method);
    agree(c, auto.results, 'auto');
    const exact = oracle.exact[i];
    if (exact) agree(c, exact, 'exact');
    agree(c, oracle.asymptoticNoCc[i]!, 'asymptotic', false);
  });

  it('takes a Float64Array as well as a number[]', () => {
    const c = cases[22]!;
    const got = mannWhitneyU(Float64Array.from(c.x), Float64Array.from(c.y), { alternative: 'greater' });
    expect(got.pValue).toBe(mannWhitneyU(c.x, c.y, { alternative: 'greater' }).pValue);
  });
});

describe('mannWhitneyU rejects bad samples', () => {
  it.each([
    ['an empty x', [], [1], /sample x is empty/],
    ['an empty y', [1], [], /sample y is empty/],
    ['NaN in x', [1, Number.NaN], [1], /sample x contains NaN/],
    ['NaN in y', [1], [Number.NaN, 2], /sample y contains NaN/],
  ] as const)('throws on %s', (_what, x, y, message) => {
    expect(() => mannWhitneyU(x, y)).toThrow(message);
  });
});

const sample = fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e3, max: 1e3, noNaN: true })), { minLength: 1, maxLength: 40 });
const method = fc.constantFrom<MannWhitneyMethod>('auto', 'asymptotic', 'exact');
const alternative = fc.constantFrom<Alternative>(...ALTERNATIVES);

describe('mannWhitneyU properties', () => {
  it('p-values lie in [0, 1] and U1 + U2 = n1·n2 with 0 ≤ U1', () => {
    fc.assert(
      fc.property(sample, sample, alternative, method, (x, y, alt, m) => {
        const r = mannWhitneyU(x, y, { alternative: alt, method: m });
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        expect(r.statistic).toBeGreaterThanOrEqual(0);
        expect(r.statistic).toBeLessThanOrEqual(x.length * y.length);
      }),
    );
  });

  // Distinct integers, shifted by k + ½: no ties before or after, so the method stays the same.
  const distinct = fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: 60 });
  it("more canary-side shift never lowers U1 nor raises the 'greater' p-value", () => {
    fc.assert(
      fc.property(distinct, fc.integer({ min: 1, max: 59 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 400 }), method, (pool, cut, a, extra, m) => {
        const k = Math.min(cut, pool.length - 1);
        const y = pool.slice(0, k);
        const x = pool.slice(k);
        const shifted = (d: number): number[] => x.map((v) => v + d + 0.5);
        const less = mannWhitneyU(shifted(a), y, { alternative: 'greater', method: m });
        const more = mannWhitneyU(shifted(a + extra), y, { alternative: 'greater', method: m });
        expect(more.statistic).toBeGreaterThanOrEqual(less.statistic);
        expect(more.pValue).toBeLessThanOrEqual(less.pValue);
      }),
    );
  });
});
