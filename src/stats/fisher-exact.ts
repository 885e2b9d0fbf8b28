/**
 * Fisher's exact test on a 2×2 table, as scipy 1.10.1's `stats.fisher_exact`
 * (scipy/stats/_stats_py.py): the sample odds ratio a·d/(b·c) and the p-value from the
 * hypergeometric distribution of the top-left cell given the margins.
 * In canary analysis: [[canaryErrors, canaryOk], [primaryErrors, primaryOk]], 'greater' = the
 * canary's odds of an error are higher.
 */
import type { Alternative } from './mann-whitney.js';
import { hypergeometric } from './hypergeometric.js';

/** A 2×2 table of counts [[a, b], [c, d]]. */
export type Table2x2 = readonly [readonly [number, number], readonly [number, number]];

/** Result of Fisher's exact test. */
export interface FisherResult {
  /** a·d / (b·c); Infinity when b·c = 0; NaN when a row or column sums to 0. */
  oddsRatio: number;
  pValue: number;
}

// scipy's relative tolerance for "as probable as the observed table" in the two-sided test.
const EPSILON = 1e-14;
const GAMMA = 1 + EPSILON;

function checkTable(table: Table2x2): [number, number, number, number] {
  const cells: number[] = [];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      const v = table[r]?.[c];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new Error(`fisherExact: table[${r}][${c}] must be a non-negative integer, got ${String(v)}`);
      }
      cells.push(v);
    }
  }
  return cells as [number, number, number, number];
}

/** scipy `_binary_search`: the i in [lo, hi] with f(i) ≤ d < f(i + 1), f ascending there. */
function binarySearch(f: (x: number) => number, d: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const v = f(mid);
    if (v < d) lo = mid + 1;
    else if (v > d) hi = mid - 1;
    else return mid;
  }
  return f(lo) <= d ? lo : lo - 1;
}

/** Fisher's exact test of a 2×2 table, equal to scipy.stats.fisher_exact (1.10.1). */
export function fisherExact(table: Table2x2, alternative: Alternative = 'two-sided'): FisherResult {
  const [a, b, c, d] = checkTable(table);
  if (a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0) return { oddsRatio: Number.NaN, pValue: 1 };
  const oddsRatio = c > 0 && b > 0 ? (a * d) / (c * b) : Infinity;
  const n1 = a + b;
  const n2 = c + d;
  const n = a + c;
  const h = hypergeometric(n1 + n2, n1, n);
  let p: number;
  if (alternative === 'less') {
    p = h.cdf(a);
  } else if (alternative === 'greater') {
    // scipy: hypergeom.cdf(b, N, n1, b + d), the same tail as P(X ≥ a).
    p = h.sf(a - 1);
  } else {
    p = twoSided(h, a, n);
  }
  return { oddsRatio, pValue: Math.min(p, 1) };
}

/** The two-sided p-value: the mass of every table no more probable than the observed one. */
function twoSided(h: ReturnType<typeof hypergeometric>, a: number, n: number): number {
  // scipy computes the mode as int((n + 1)·(n1 + 1)/(N + 2)), which h.mode equals.
  const mode = h.mode;
  const pexact = h.pmf(a);
  const pmode = h.pmf(mode);
  if (Math.abs(pexact - pmode) / Math.max(pexact, pmode) <= EPSILON) return 1;
  if (a < mode) {
    const plower = h.cdf(a);
    if (h.pmf(n) > pexact * GAMMA) return plower;
    const guess = binarySearch((x) => -h.pmf(x), -pexact * GAMMA, mode, n);
    return plower + h.sf(guess);
  }
  const pupper = h.sf(a - 1);
  if (h.pmf(0) > pexact * GAMMA) return pupper;
  const guess = binarySearch((x) => h.pmf(x), pexact * GAMMA, 0, mode);
  return pupper + h.cdf(guess);
}
