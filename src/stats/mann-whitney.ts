/**
 * The Mann–Whitney U test (Wilcoxon rank-sum), as scipy 1.10.1's `stats.mannwhitneyu`
 * (scipy/stats/_mannwhitneyu.py): U of x (U1), 'auto' = exact when min(n1, n2) ≤ 8 and the
 * pooled sample has no ties, else the normal approximation with tie and continuity correction.
 * One typed-array sort per sample and one merge pass give U1 and the tie term: O(N log N).
 */
import { sortedCopy } from '../drift/ks.js';
import { mannWhitneyCdf } from './mann-whitney-exact.js';
import { normalSf } from './normal.js';

/** The alternative hypothesis about x relative to y. */
export type Alternative = 'two-sided' | 'less' | 'greater';
/** How the p-value is computed; 'auto' picks as scipy does. */
export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';
/** A sample: a plain array or a Float64Array. */
export type Sample = ArrayLike<number>;

/** Options of {@link mannWhitneyU}; the defaults are scipy's. */
export interface MannWhitneyOptions {
  alternative?: Alternative;
  method?: MannWhitneyMethod;
  /** Continuity correction of ½ (asymptotic method only). */
  useContinuity?: boolean;
}

/** Result of a Mann–Whitney U test. */
export interface MannWhitneyResult {
  /** U1: the number of pairs (xᵢ, yⱼ) with xᵢ > yⱼ, plus ½ per tie. */
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/** U1 and the tie term Σ(t³ − t) over groups of equal values in the pooled sample. */
export interface RankCounts {
  u1: number;
  tieTerm: number;
}

/** Sorted copy of a sample, rejecting an empty one or NaN (named by `what`). */
export function sortedSample(values: Sample, what: string): Float64Array {
  if (values.length === 0) throw new Error(`${what} is empty: a rank test needs at least one value per sample`);
  const s = sortedCopy(values);
  // A typed-array sort puts NaN last, so one look at the end finds any.
  if (Number.isNaN(s[s.length - 1])) throw new Error(`${what} contains NaN`);
  return s;
}

/** U1 and the tie term of two ascending samples, in one merge pass over tie groups. */
export function rankCounts(xs: Float64Array, ys: Float64Array): RankCounts {
  const n1 = xs.length;
  const n2 = ys.length;
  let i = 0;
  let j = 0;
  let u1 = 0;
  let tieTerm = 0;
  while (i < n1 || j < n2) {
    const vx = i < n1 ? (xs[i] as number) : Infinity;
    const vy = j < n2 ? (ys[j] as number) : Infinity;
    const v = vx <= vy ? vx : vy;
    const i0 = i;
    const j0 = j;
    while (i < n1 && xs[i] === v) i++;
    while (j < n2 && ys[j] === v) j++;
    const cx = i - i0;
    const cy = j - j0;
    // Each x of the group beats the j0 smaller y's and ties with the cy equal ones.
    u1 += cx * (j0 + cy / 2);
    const t = cx + cy;
    if (t > 1) tieTerm += t * t * t - t;
  }
  return { u1, tieTerm };
}

/** Mann–Whitney U test of x against y, equal to scipy.stats.mannwhitneyu (1.10.1). */
export function mannWhitneyU(x: Sample, y: Sample, options: MannWhitneyOptions = {}): MannWhitneyResult {
  return mannWhitneyUSorted(sortedSample(x, 'mannWhitneyU: sample x'), sortedSample(y, 'mannWhitneyU: sample y'), options);
}

/** {@link mannWhitneyU} on samples already sorted ascending, non-empty and free of NaN. */
export function mannWhitneyUSorted(xs: Float64Array, ys: Float64Array, options: MannWhitneyOptions = {}): MannWhitneyResult {
  const alternative = options.alternative ?? 'two-sided';
  const useContinuity = options.useContinuity ?? true;
  const n1 = xs.length;
  const n2 = ys.length;
  const { u1, tieTerm } = rankCounts(xs, ys);
  // scipy `_mwu_choose_method`: asymptotic when both samples exceed 8 or any value is tied.
  const method = options.method === undefined || options.method === 'auto' ? (n1 > 8 && n2 > 8) || tieTerm > 0 ? 'asymptotic' : 'exact' : options.method;
  const u2 = n1 * n2 - u1;
  // scipy: 'greater' uses the SF of U1, 'less' the SF of U2, 'two-sided' twice the SF of the larger.
  const [u, f] = alternative === 'greater' ? [u1, 1] : alternative === 'less' ? [u2, 1] : [Math.max(u1, u2), 2];
  let p: number;
  if (method === 'exact') {
    // scipy `_MWU.sf(U.astype(int))` = cdf(n1·n2 − U), which includes the mass at U.
    p = mannWhitneyCdf(n1 * n2 - Math.trunc(u), n1, n2);
  } else {
    p = normalSf(asymptoticZ(u, n1, n2, tieTerm, useContinuity));
  }
  p *= f;
  // np.clip(p, 0, 1): NaN stays NaN (all values tied and no continuity correction).
  return { statistic: u1, pValue: p < 0 ? 0 : p > 1 ? 1 : p, method };
}

/**
 * The standardised U, scipy `_get_mwu_z`: σ = √(n1·n2/12 · ((N+1) − Σ(t³−t)/(N(N−1)))) is the tie-corrected
 * standard deviation (Wikipedia "Mann–Whitney U test", normal approximation); the continuity
 * correction always subtracts ½ because the p-value is always an upper tail.
 */
function asymptoticZ(u: number, n1: number, n2: number, tieTerm: number, continuity: boolean): number {
  const mu = (n1 * n2) / 2;
  const n = n1 + n2;
  const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const numerator = continuity ? u - mu - 0.5 : u - mu;
  return numerator / s;
}
