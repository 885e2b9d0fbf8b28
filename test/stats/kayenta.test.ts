/**
 * kayentaJudge against an independent Python transcription of Kayenta's MannWhitneyClassifier
 * and MannWhitney.scala (one Python process for the file): the interval ends are the roots of
 * Kayenta's wilcoxonDiff (scipy.stats.rankdata of x − μ with y, tie-corrected σ, continuity ½),
 * found by scipy.optimize.brentq as Kayenta uses Brent's method; each root is also snapped to the
 * nearest brute-force Walsh difference (numpy, O(n·m)), which ours must equal exactly. The
 * estimate must be numpy's median of all Walsh differences, and Kayenta's function must vanish
 * there. When both samples are constant, the oracle adds Kayenta's Gaussian noise (1e-5 of the
 * value) and the tolerance widens to that noise.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { kayentaJudge } from '../../src/stats/kayenta.js';
import type { KayentaJudgement, MetricDirection } from '../../src/stats/kayenta.js';
import { normals } from '../drift/datasets.js';
import { runScipy } from '../support/scipy.js';

/** Lognormal latencies in ms: median `ms`, spread `sigma`, optionally rounded to whole ms (ties). */
function latencies(seed: number, n: number, ms: number, sigma = 0.3, round = false): number[] {
  return normals(seed, n).map((z) => {
    const v = ms * Math.exp(sigma * z);
    return round ? Math.round(v) : v;
  });
}

interface Case {
  name: string;
  canary: number[];
  primary: number[];
  direction?: MetricDirection;
}

const cases: Case[] = [
  { name: '1 vs 1, canary slower (Kayenta: Error, σ = 0)', canary: [12], primary: [10] },
  { name: '1 vs 1, canary faster (Kayenta: Error, σ = 0)', canary: [8], primary: [10] },
  { name: '1 vs 2', canary: [15], primary: [10, 11] },
  { name: '2 vs 3, canary slower', canary: [20, 22], primary: [10, 11, 12] },
  { name: '3 vs 3, overlapping', canary: [10, 12, 14], primary: [11, 13, 15] },
  { name: '3 vs 3, canary far slower', canary: [30, 31, 33], primary: [10, 11, 12] },
  { name: 'identical samples', canary: latencies(1, 50, 40), primary: latencies(1, 50, 40) },
  { name: 'identical samples, permuted', canary: latencies(2, 40, 40).reverse(), primary: latencies(2, 40, 40) },
  { name: 'all values equal', canary: [25, 25, 25], primary: [25, 25, 25, 25] },
  { name: 'both constant, canary higher (Kayenta adds noise)', canary: [30, 30, 30, 30, 30], primary: [20, 20, 20, 20] },
  { name: 'both constant, canary lower (Kayenta adds noise)', canary: [10, 10, 10], primary: [20, 20, 20, 20] },
  { name: 'canary constant, primary varies', canary: [50, 50, 50, 50, 50, 50], primary: latencies(3, 20, 40) },
  { name: '30 vs 30, +0%', canary: latencies(4, 30, 40), primary: latencies(5, 30, 40) },
  { name: '30 vs 30, +50%', canary: latencies(6, 30, 60), primary: latencies(7, 30, 40) },
  { name: '100 vs 100, +5%', canary: latencies(8, 100, 42), primary: latencies(9, 100, 40) },
  { name: '100 vs 100, +30%', canary: latencies(10, 100, 52), primary: latencies(11, 100, 40) },
  { name: '200 vs 200, +10%', canary: latencies(12, 200, 44), primary: latencies(13, 200, 40) },
  { name: '200 vs 200, −10%', canary: latencies(14, 200, 36), primary: latencies(15, 200, 40) },
  { name: '200 vs 200, −30%, direction decrease', canary: latencies(16, 200, 28), primary: latencies(17, 200, 40), direction: 'decrease' },
  { name: '200 vs 200, −30%, direction either', canary: latencies(18, 200, 28), primary: latencies(19, 200, 40), direction: 'either' },
  { name: '200 vs 200, +30%, direction decrease', canary: latencies(20, 200, 52), primary: latencies(21, 200, 40), direction: 'decrease' },
  { name: '150 vs 300, +20%, wide spread', canary: latencies(22, 150, 48, 0.8), primary: latencies(23, 300, 40, 0.8) },
  { name: 'whole-ms ties 300 vs 300, +10%', canary: latencies(24, 300, 22, 0.3, true), primary: latencies(25, 300, 20, 0.3, true) },
  { name: 'whole-ms heavy ties 400 vs 400, +0%', canary: latencies(26, 400, 5, 0.3, true), primary: latencies(27, 400, 5, 0.3, true) },
  { name: 'whole-ms heavy ties 400 vs 350, +40%', canary: latencies(28, 400, 7, 0.3, true), primary: latencies(29, 350, 5, 0.3, true) },
  { name: 'primary mean 0 (effect size NaN)', canary: [1, 2, 3, 2, 1], primary: [0, 0, 0, 0] },
  { name: 'canary mean 0 (effect size NaN)', canary: [0, 0, 0], primary: [1, 2, 1, 3] },
  { name: 'negative values, shift +1', canary: normals(30, 80, 1), primary: normals(31, 80, 0) },
  { name: 'a slow tail only (5% at 10×)', canary: latencies(32, 300, 40).map((v, i) => (i % 20 === 0 ? v * 10 : v)), primary: latencies(33, 300, 40) },
  { name: '1 vs 500', canary: [80], primary: latencies(34, 500, 40) },
  { name: '500 vs 1', canary: latencies(35, 500, 40), primary: [30] },
  { name: '2000 vs 2000, +2%', canary: latencies(36, 2000, 40.8), primary: latencies(37, 2000, 40) },
  { name: '2000 vs 2000, +15%', canary: latencies(38, 2000, 46), primary: latencies(39, 2000, 40) },
  { name: '2000 vs 1500, −15%, direction either', canary: latencies(40, 2000, 34), primary: latencies(41, 1500, 40), direction: 'either' },
];

interface Want {
  classification: KayentaJudgement['classification'];
  noise: boolean;
  lower?: number;
  upper?: number;
  lowerWalsh?: number;
  upperWalsh?: number;
  median?: number;
  /** Kayenta's estimating function just left and right of the Walsh median. */
  fLeft?: number;
  fRight?: number;
  effectSize?: number | 'NaN';
}

const SCRIPT = String.raw`
import numpy as np
from scipy import stats, optimize

def wdiff(mu, zq, x, y):
    # Kayenta MannWhitney.scala wilcoxonDiff, line for line
    dr = stats.rankdata(np.concatenate([x - mu, y]))
    _, t = np.unique(dr, return_counts=True)
    nx, ny = float(len(x)), float(len(y))
    dz = dr[:len(x)].sum() - nx * (nx + 1) / 2 - nx * ny / 2
    corr = np.sign(dz) * 0.5
    sigma = np.sqrt((nx * ny / 12) * ((nx + ny + 1) - (t.astype(float) ** 3 - t).sum() / ((nx + ny) * (nx + ny - 1))))
    if sigma == 0: raise ValueError('cannot compute confidence interval when all observations are tied')
    return (dz - corr) / sigma - zq

def root(zq, x, y):
    lo, hi = x.min() - y.max(), x.max() - y.min()
    fl, fu = wdiff(lo, zq, x, y), wdiff(hi, zq, x, y)
    if fl <= 0: return lo
    if fu >= 0: return hi
    return optimize.brentq(lambda m: wdiff(m, zq, x, y), lo, hi, xtol=1e-13, rtol=1e-15, maxiter=1000)

def judge(c, seed):
    x = np.asarray(c['canary'], dtype=float); y = np.asarray(c['primary'], dtype=float)
    direction = c.get('direction', 'increase')
    if np.array_equal(np.sort(x), np.sort(y)) or len(np.unique(np.concatenate([x, y]))) == 1:
        return dict(classification='pass', noise=False)
    noise = len(np.unique(x)) == 1 and len(np.unique(y)) == 1
    if noise:  # MannWhitneyClassifier.addGaussianNoise: stdev = value * 1e-5
        rng = np.random.default_rng(seed)
        x = x + rng.normal(0, abs(x[0]) * 1e-5, len(x)); y = y + rng.normal(0, abs(y[0]) * 1e-5, len(y))
    z = stats.norm.ppf((1 - 0.98) / 2)
    try:
        lower, upper = root(-z, x, y), root(z, x, y)
    except ValueError:  # Kayenta throws; NetflixACAJudge reports the metric as Error
        return dict(classification='nodata', noise=bool(noise))
    walsh = np.subtract.outer(x, y).ravel()
    med = float(np.median(walsh))
    # Brent's estimate is where wdiff(., 0) changes sign: test just left and right of the median.
    u = np.unique(walsh)
    left = (med + u[u < med].max()) / 2 if (u < med).any() else med - 1
    right = (med + u[u > med].min()) / 2 if (u > med).any() else med + 1
    mx, my = x.mean(), y.mean()
    effect = float('nan') if mx == 0 or my == 0 else mx / my
    bound = 0.25 * abs(med)
    high = direction in ('increase', 'either') and lower > bound and (np.isnan(effect) or effect >= 1.0)
    low = direction in ('decrease', 'either') and upper < -bound and (np.isnan(effect) or effect <= 1.0)
    snap = lambda r: float(walsh[np.argmin(np.abs(walsh - r))])
    return dict(classification='high' if high else 'low' if low else 'pass', noise=bool(noise),
                lower=float(lower), upper=float(upper), lowerWalsh=snap(lower), upperWalsh=snap(upper),
                median=med, fLeft=float(wdiff(left, 0.0, x, y)), fRight=float(wdiff(right, 0.0, x, y)), effectSize=effect)

def main(data):
    return [judge(c, i) for i, c in enumerate(data)]
`;

let oracle: Want[];
beforeAll(async () => {
  oracle = await runScipy<Want[]>(SCRIPT, cases);
}, 120_000);

describe("kayentaJudge equals Kayenta's MannWhitneyClassifier (confidence 0.98, tolerance 0.25)", () => {
  it('has at least 30 data sets', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (name, i) => {
    const c = cases[i]!;
    const want = oracle[i]!;
    const got = kayentaJudge(c.canary, c.primary, { direction: c.direction ?? 'increase' });
    expect(got.classification, `${name}: ${got.reason}`).toBe(want.classification);
    if (want.lower === undefined) {
      expect(got.lowerConfidence).toBeUndefined();
      return;
    }
    const { lowerConfidence: lo, upperConfidence: up, estimate } = got;
    if (lo === undefined || up === undefined || estimate === undefined) throw new Error(`${name}: no interval`);
    if (want.noise) {
      // The oracle's noise moves each end by about 1e-5 of the values.
      const scale = 1e-4 * Math.max(...c.canary.map(Math.abs), ...c.primary.map(Math.abs));
      expect(Math.abs(lo - want.lower)).toBeLessThanOrEqual(scale);
      expect(Math.abs(up - want.upper!)).toBeLessThanOrEqual(scale);
      expect(Math.abs(estimate - want.median!)).toBeLessThanOrEqual(scale);
      return;
    }
    // Brent's root is the Walsh difference where Kayenta's step function changes sign.
    expect(lo).toBe(want.lowerWalsh);
    expect(up).toBe(want.upperWalsh);
    expect(Math.abs(lo - want.lower)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want.lower)));
    expect(Math.abs(up - want.upper!)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want.upper!)));
    expect(estimate).toBe(want.median);
    expect(want.fLeft, 'Kayenta’s estimating function is ≥ 0 left of the Walsh median').toBeGreaterThanOrEqual(0);
    expect(want.fRight, 'and ≤ 0 right of it').toBeLessThanOrEqual(0);
    if (want.effectSize === 'NaN') expect(got.effectSize).toBeNaN();
    else expect(Math.abs(got.effectSize - want.effectSize!)).toBeLessThanOrEqual(1e-12 * Math.abs(want.effectSize!));
  });
});

describe('kayentaJudge edge cases', () => {
  it.each([
    ['the canary', [], [1, 2]],
    ['the primary', [1, 2], []],
    ['the canary and primary', [], []],
  ] as const)('is nodata without data for %s', (which, canary, primary) => {
    const j = kayentaJudge(canary, primary);
    expect(j.classification).toBe('nodata');
    expect(j.reason).toBe(`no data for ${which}`);
  });
  it.each([
    ['NaN in the canary', [1, Number.NaN], [1], /canary sample contains NaN/],
    ['Infinity in the primary', [1], [2, Infinity], /primary sample contains an infinite value/],
  ] as const)('throws on %s', (_what, canary, primary, message) => {
    expect(() => kayentaJudge(canary, primary)).toThrow(message);
  });
});

const latency = fc.array(fc.double({ min: 0.1, max: 5000, noNaN: true }), { minLength: 1, maxLength: 60 });
const whole = fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 60 });

describe('kayentaJudge properties', () => {
  it("identical samples (in any order) are never 'high'", () => {
    fc.assert(
      fc.property(latency, fc.boolean(), (s, reverse) => {
        const other = reverse ? [...s].reverse() : [...s];
        expect(kayentaJudge(s, other).classification).toBe('pass');
      }),
    );
  });
  it('p-values lie in [0, 1] and the interval holds the estimate', () => {
    fc.assert(
      fc.property(latency, latency, fc.constantFrom<MetricDirection>('increase', 'decrease', 'either'), (a, b, direction) => {
        const j = kayentaJudge(a, b, { direction });
        expect(j.pValue).toBeGreaterThanOrEqual(0);
        expect(j.pValue).toBeLessThanOrEqual(1);
        if (j.lowerConfidence !== undefined) {
          expect(j.lowerConfidence).toBeLessThanOrEqual(j.estimate!);
          expect(j.estimate!).toBeLessThanOrEqual(j.upperConfidence!);
        }
      }),
    );
  });
  it("shifting the canary up by d moves the interval and the estimate up by d, never raises the 'greater' p-value nor turns 'high' into 'pass'", () => {
    fc.assert(
      fc.property(whole, whole, fc.integer({ min: 1, max: 100 }), (a, b, d) => {
        const before = kayentaJudge(a, b);
        const after = kayentaJudge(a.map((v) => v + d), b);
        if (before.lowerConfidence !== undefined && after.lowerConfidence !== undefined) {
          expect(after.lowerConfidence).toBe(before.lowerConfidence + d);
          expect(after.upperConfidence).toBe(before.upperConfidence! + d);
          expect(after.estimate).toBe(before.estimate! + d);
        }
        expect(after.pValue).toBeLessThanOrEqual(before.pValue + 1e-12);
        if (before.classification === 'high') expect(after.classification).toBe('high');
      }),
    );
  });
});
