/**
 * The hypergeometric distribution's pmf and tails, accurate to a few ulps for counts in the
 * millions, for Fisher's exact test.
 *
 * Why not exp(lgamma sums): ln C(4e6, 2e6) ≈ 2.8e6, so one ulp of the log-gamma terms is already
 * ~5e-10 relative error in the pmf, far above the 1e-14 tolerance scipy's two-sided test compares
 * pmfs with. R's dhyper writes the pmf as a ratio of three binomial pmfs in Loader's form
 * (binomial-pmf.ts): relative error ~1e-15 at any size.
 * Tails are summed from their far end's neighbour outward (terms decrease monotonically away from
 * the mode, the pmf being log-concave), stopping once a term no longer changes the sum; a tail
 * that holds the mode is 1 minus the other one.
 */
import { binomialPmf } from './binomial-pmf.js';

/** A hypergeometric distribution: draws from a population with `successes` marked items. */
export interface Hypergeometric {
  /** Smallest and largest possible number of marked items drawn. */
  lo: number;
  hi: number;
  /** A most likely value. */
  mode: number;
  pmf(x: number): number;
  /** P(X ≤ x). */
  cdf(x: number): number;
  /** P(X > x). */
  sf(x: number): number;
}

/** The distribution of the marked items among `draws` drawn without replacement from `population`. */
export function hypergeometric(population: number, successes: number, draws: number): Hypergeometric {
  const failures = population - successes;
  const p = draws / population;
  const q = (population - draws) / population;
  const p3 = binomialPmf(draws, population, p, q);
  const lo = Math.max(0, draws - failures);
  const hi = Math.min(draws, successes);
  const mode = Math.floor(((draws + 1) * (successes + 1)) / (population + 2));
  // R's dhyper: P(X = x) = b(x; r, p)·b(n − x; N − r, p) / b(n; N, p) with p = n/N.
  const pmf = (x: number): number => (x < lo || x > hi ? 0 : (binomialPmf(x, successes, p, q) * binomialPmf(draws - x, failures, p, q)) / p3);
  /** Σ pmf from x stepping by `step` (±1) to the support's end; terms must shrink along the way. */
  const tail = (x: number, step: 1 | -1): number => {
    let s = 0;
    for (let k = x; k >= lo && k <= hi; k += step) {
      const t = pmf(k);
      const next = s + t;
      if (next === s) break;
      s = next;
    }
    return s;
  };
  const below = (x: number): number => {
    if (x < lo) return 0;
    if (x >= hi) return 1;
    return x < mode ? tail(x, -1) : Math.max(0, 1 - tail(x + 1, 1));
  };
  const above = (x: number): number => {
    if (x < lo) return 1;
    if (x >= hi) return 0;
    return x + 1 > mode ? tail(x + 1, 1) : Math.max(0, 1 - tail(x, -1));
  };
  return { lo, hi, mode, pmf, cdf: below, sf: above };
}
