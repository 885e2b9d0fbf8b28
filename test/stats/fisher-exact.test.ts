/**
 * fisherExact against scipy 1.10.1's stats.fisher_exact on seeded 2×2 tables (one Python process
 * for the file), every alternative: small counts, zeros in each cell, empty rows and columns,
 * tables whose mirror image is exactly as probable (the two-sided tie tolerance), canary-like
 * error counts and counts up to 1e6 per cell. Tolerance: 1e-9 absolute on p, 1e-12 relative on
 * the odds ratio.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/demo/prng.js';
import { fisherExact } from '../../src/stats/fisher-exact.js';
import type { Table2x2 } from '../../src/stats/fisher-exact.js';
import type { Alternative } from '../../src/stats/mann-whitney.js';
import { relErr, runScipy } from '../support/scipy.js';

const TOL = 1e-9;
const ALTERNATIVES: Alternative[] = ['two-sided', 'greater', 'less'];

/** A table of four counts, each uniform in [0, max]. */
function randomTable(seed: number, max: number): Table2x2 {
  const r = mulberry32(seed);
  const c = (): number => Math.floor(r() * (max + 1));
  return [[c(), c()], [c(), c()]];
}

/** Canary-like counts: n requests each, error rates p1 and p2 (drawn, not fixed). */
function errorCounts(seed: number, n: number, p1: number, p2: number): Table2x2 {
  const r = mulberry32(seed);
  let e1 = 0;
  let e2 = 0;
  for (let i = 0; i < n; i++) {
    if (r() < p1) e1++;
    if (r() < p2) e2++;
  }
  return [[e1, n - e1], [e2, n - e2]];
}

const tables: Array<{ name: string; table: Table2x2 }> = [
  { name: 'scipy docs 6 2 / 1 4', table: [[6, 2], [1, 4]] },
  { name: 'scipy docs whales 8 2 / 1 5', table: [[8, 2], [1, 5]] },
  { name: 'all ones', table: [[1, 1], [1, 1]] },
  { name: 'mirror-symmetric 3 7 / 7 3', table: [[3, 7], [7, 3]] },
  { name: 'mirror-symmetric 5 5 / 5 5', table: [[5, 5], [5, 5]] },
  { name: 'mirror-symmetric 10 20 / 20 10', table: [[10, 20], [20, 10]] },
  { name: 'half-population draws 2 8 / 6 4', table: [[2, 8], [6, 4]] },
  { name: 'zero top-left', table: [[0, 5], [3, 4]] },
  { name: 'zero top-right', table: [[5, 0], [3, 4]] },
  { name: 'zero bottom-left', table: [[5, 3], [0, 4]] },
  { name: 'zero bottom-right', table: [[5, 3], [4, 0]] },
  { name: 'two zeros on a diagonal', table: [[0, 7], [9, 0]] },
  { name: 'zero row', table: [[0, 0], [3, 4]] },
  { name: 'zero column', table: [[0, 6], [0, 4]] },
  { name: 'all zero', table: [[0, 0], [0, 0]] },
  { name: 'single count', table: [[1, 0], [0, 0]] },
  { name: '1 0 / 0 1', table: [[1, 0], [0, 1]] },
  { name: 'lopsided 1 1000 / 0 1000', table: [[1, 1000], [0, 1000]] },
  { name: 'canary errors 30/1000 vs 10/1000', table: [[30, 970], [10, 990]] },
  { name: 'canary errors equal rate 12/5000 vs 12/5000', table: [[12, 4988], [12, 4988]] },
  { name: 'canary fewer errors 2/800 vs 9/800', table: [[2, 798], [9, 791]] },
  { name: 'drawn error counts n=2000, 1% vs 1%', table: errorCounts(1, 2000, 0.01, 0.01) },
  { name: 'drawn error counts n=2000, 2% vs 1%', table: errorCounts(2, 2000, 0.02, 0.01) },
  { name: 'drawn error counts n=50000, 0.1% vs 0.12%', table: errorCounts(3, 50_000, 0.001, 0.0012) },
  { name: 'large symmetric 1e6 each way', table: [[1_000_000, 1_000_000], [1_000_000, 1_000_000]] },
  { name: 'large near-null 1e6 999000 / 998000 1e6', table: [[1_000_000, 999_000], [998_000, 1_000_000]] },
  { name: 'large rare errors 120 / 999880 vs 100 / 999900', table: [[120, 999_880], [100, 999_900]] },
  { name: 'large with a zero 0 / 1e6 vs 25 / 1e6', table: [[0, 1_000_000], [25, 1_000_000]] },
  { name: 'large mirror-symmetric 400000 600000 / 600000 400000', table: [[400_000, 600_000], [600_000, 400_000]] },
  ...[5, 20, 100, 1000, 100_000, 1_000_000].flatMap((max, i) => [1, 2].map((k) => ({ name: `random cells ≤ ${max} #${k}`, table: randomTable(10 * i + k, max) }))),
];

interface Want {
  oddsRatio: number | 'NaN' | 'Infinity';
  pValue: number;
}

const SCRIPT = String.raw`
from scipy import stats

def main(data):
    out = []
    for t in data:
        row = []
        for a in ('two-sided', 'greater', 'less'):
            r = stats.fisher_exact(t, alternative=a)
            row.append(dict(oddsRatio=float(r[0]), pValue=float(r[1])))
        out.append(row)
    return out
`;

let oracle: Want[][];
let worst = { err: 0, what: '' };
beforeAll(async () => {
  oracle = await runScipy<Want[][]>(SCRIPT, tables.map((t) => t.table));
}, 120_000);
afterAll(() => console.log(`fisherExact: largest |Δp| vs scipy ${worst.err.toExponential(2)} (${worst.what})`));

describe('fisherExact equals scipy.stats.fisher_exact (1.10.1)', () => {
  it('has at least 30 tables', () => expect(tables.length).toBeGreaterThanOrEqual(30));

  it.each(tables.map((t, i) => [t.name, i] as const))('%s', (name, i) => {
    const { table } = tables[i]!;
    ALTERNATIVES.forEach((alternative, k) => {
      const want = oracle[i]![k]!;
      const got = fisherExact(table, alternative);
      if (want.oddsRatio === 'NaN') expect(got.oddsRatio).toBeNaN();
      else if (want.oddsRatio === 'Infinity') expect(got.oddsRatio).toBe(Infinity);
      else expect(relErr(got.oddsRatio, want.oddsRatio)).toBeLessThanOrEqual(1e-12);
      const err = Math.abs(got.pValue - want.pValue);
      if (err > worst.err) worst = { err, what: `${name}, ${alternative}` };
      expect(err, `${name} ${alternative}: ${got.pValue} vs scipy ${want.pValue}`).toBeLessThanOrEqual(TOL);
    });
  });
});

describe('fisherExact rejects bad tables', () => {
  it.each([
    ['a negative count', [[1, -1], [2, 3]], /table\[0\]\[1\] must be a non-negative integer, got -1/],
    ['a fraction', [[1, 2], [2.5, 3]], /table\[1\]\[0\] must be a non-negative integer, got 2.5/],
    ['NaN', [[1, 2], [3, Number.NaN]], /table\[1\]\[1\] must be a non-negative integer, got NaN/],
  ] as const)('throws on %s', (_what, table, message) => {
    expect(() => fisherExact(table as unknown as Table2x2)).toThrow(message);
  });
});

const count = fc.integer({ min: 0, max: 3000 });
const table = fc.tuple(count, count, count, count).map(([a, b, c, d]): Table2x2 => [[a, b], [c, d]]);

describe('fisherExact properties', () => {
  it('p-values lie in [0, 1]; the one-sided ones sum to 1 + P(observed table)', () => {
    fc.assert(
      fc.property(table, (t) => {
        const [two, greater, less] = ALTERNATIVES.map((a) => fisherExact(t, a).pValue) as [number, number, number];
        for (const p of [two, greater, less]) {
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
        }
        expect(greater + less).toBeGreaterThanOrEqual(1 - 1e-12);
        expect(two).toBeGreaterThanOrEqual(Math.min(greater, less) - 1e-12);
      }),
    );
  });

  it("more canary errors (at the same request count) never raise the 'greater' p-value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 50 }), (n, e1, e2, more) => {
        const a = Math.min(e1, n - 1);
        const c = Math.min(e2, n);
        const before = fisherExact([[a, n - a], [c, n - c]], 'greater').pValue;
        const a2 = Math.min(n, a + more);
        const after = fisherExact([[a2, n - a2], [c, n - c]], 'greater').pValue;
        expect(after).toBeLessThanOrEqual(before + 1e-12);
      }),
    );
  });
});
