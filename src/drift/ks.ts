/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as scipy 1.10's `ks_2samp(method='auto')`:
 * exact p-value when max(n1, n2) ≤ 10,000 (lattice-path counting, Hodges 1958; the stable
 * "1 − p" recursion of Viehmann 2021, arXiv:2102.08037, for n1 ≠ n2), otherwise — or when the
 * exact sum overflows — the asymptotic one: kstwo.sf(D, round(n1·n2/(n1+n2))).
 */
import { kolmogorovSf } from './kolmogorov.js';

/** scipy switches from exact to asymptotic above this sample size (`MAX_AUTO_N`). */
export const KS_MAX_EXACT_N = 10_000;

/** Result of a two-sample KS test. */
export interface KsResult {
  /** sup |F_ref − F_cur| (right-continuous empirical CDFs). */
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
  /** +1 when F_ref − F_cur is largest positive (current shifted right), −1 otherwise. */
  sign: 1 | -1;
}

/** A sorted copy (ascending) of numbers, as a Float64Array (typed sort: numeric, fast). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  out.sort();
  return out;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** numpy's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Pr(D_{n,n} ≥ h/n): 2·Σ_k (−1)^(k+1) C(2n, n−kh)/C(2n, n), in Horner form (no cancellation). */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * 1 − (share of lattice paths (0,0)→(m,n) that stay strictly inside |x/m − y/n| < h/lcm),
 * computed column by column on a sliding window, each column normalised so that the value is a
 * probability directly (Viehmann's recursion).
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const A = new Float64Array(Math.min(2 * maxj + 2, n + 1)).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((A[jj + minj - lastminj] ?? 0) * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1] ?? Number.NaN;
}

/** The exact two-sided p-value, or undefined when the computation leaves [0, 1] (then: asymptotic). */
function exactP(n1: number, n2: number, d: number): { d: number; p: number } | undefined {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const dq = h / lcm;
  if (h === 0) return { d: dq, p: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  return Number.isFinite(p) && p >= 0 && p <= 1 ? { d: dq, p } : undefined;
}

/** The asymptotic two-sided p-value: kstwo.sf(d, round(en)) with en = n1·n2/(n1+n2). */
export function ksAsymptoticP(n1: number, n2: number, d: number): number {
  const en = (n1 * n2) / (n1 + n2);
  return Math.min(1, Math.max(0, kolmogorovSf(roundHalfEven(en), d)));
}

/** KS statistic and sign of two ascending-sorted, non-empty samples (ties counted as scipy does). */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): { statistic: number; sign: 1 | -1 } {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = 0;
  let minS = 0;
  while (i < n1 || j < n2) {
    const va = i < n1 ? (a[i] as number) : Infinity;
    const vb = j < n2 ? (b[j] as number) : Infinity;
    const v = va <= vb ? va : vb;
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  return -minS > maxS ? { statistic: -minS, sign: -1 } : { statistic: maxS, sign: 1 };
}

/** Two-sample two-sided KS test on sorted samples (both non-empty). */
export function ksTestSorted(a: Float64Array, b: Float64Array): KsResult {
  if (a.length === 0 || b.length === 0) throw new Error('ksTestSorted needs two non-empty samples');
  const { statistic, sign } = ksStatisticSorted(a, b);
  return ksFromStatistic(a.length, b.length, statistic, sign);
}

/** The p-value of a KS statistic for sample sizes n1, n2, as ks_2samp(method='auto') picks it. */
export function ksFromStatistic(n1: number, n2: number, statistic: number, sign: 1 | -1 = 1): KsResult {
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const exact = exactP(n1, n2, statistic);
    if (exact !== undefined) return { statistic: exact.d, pValue: exact.p, method: 'exact', sign };
  }
  return { statistic, pValue: ksAsymptoticP(n1, n2, statistic), method: 'asymp', sign };
}

/** Two-sample two-sided KS test on unsorted samples (both non-empty). */
export function ksTest(reference: ArrayLike<number>, current: ArrayLike<number>): KsResult {
  return ksTestSorted(sortedCopy(reference), sortedCopy(current));
}
