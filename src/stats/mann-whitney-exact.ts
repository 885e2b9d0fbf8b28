/**
 * The exact null distribution of the Mann–Whitney U statistic, as probabilities.
 *
 * Why this recurrence: the number of arrangements of m x's and n y's with U = k is the coefficient
 * of q^k in the Gaussian binomial [m+n choose m]_q = Π_{i=1..m} (1 − q^{n+i}) / (1 − q^i)
 * (Di Bucchianico 1999, the reference scipy 1.10's `_mwu_f` follows; Andrews, "The Theory of
 * Partitions", Thm 3.1). Building it one factor at a time keeps every intermediate polynomial
 * the distribution for sizes (i, n) — all coefficients positive and symmetric — so only the lower
 * half is computed (a prefix recurrence per factor) and mirrored, which avoids the cancellation
 * the upper half would suffer. Each step is normalised by binom(n+i, i)/binom(n+i−1, i−1) =
 * (n+i)/i, so the values are probabilities and never overflow. Cost O(m²·n) with m = min size.
 */

/** Above this many operations (min(n1,n2)²·max(n1,n2)) the exact distribution is refused. */
export const EXACT_MAX_WORK = 5e8;

/** P(U = k) for k = 0 … n1·n2 under the null hypothesis (no ties), sizes n1 and n2. */
export function mannWhitneyPmf(n1: number, n2: number): Float64Array {
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  if (m * m * n > EXACT_MAX_WORK) {
    throw new Error(`the exact Mann–Whitney distribution for sizes ${n1} and ${n2} is too large to compute; use method 'asymptotic'`);
  }
  let prev = new Float64Array(1).fill(1);
  for (let i = 1; i <= m; i++) {
    const deg = i * n;
    const prevDeg = (i - 1) * n;
    const half = Math.floor(deg / 2);
    const cur = new Float64Array(deg + 1);
    // C = P_{i−1}·(1 − q^{n+i}) / (1 − q^i): C_k = A_k − A_{k−n−i} + C_{k−i}.
    for (let k = 0; k <= half; k++) {
      let v = k <= prevDeg ? (prev[k] as number) : 0;
      const back = k - n - i;
      if (back >= 0) v -= prev[back] as number;
      if (k >= i) v += cur[k - i] as number;
      cur[k] = v;
    }
    const scale = i / (n + i);
    for (let k = 0; k <= half; k++) cur[k] = (cur[k] as number) * scale;
    for (let k = half + 1; k <= deg; k++) cur[k] = cur[deg - k] as number;
    prev = cur;
  }
  return prev;
}

/** P(U ≤ k) (scipy sums the pmf from 0 up, `cumsum`; so does this). */
export function mannWhitneyCdf(k: number, n1: number, n2: number): number {
  const pmf = mannWhitneyPmf(n1, n2);
  const top = Math.min(k, pmf.length - 1);
  let s = 0;
  for (let j = 0; j <= top; j++) s += pmf[j] as number;
  return s;
}
