/**
 * Pearson's χ² test of homogeneity on the 2×k table (reference counts, current counts) over the
 * same bins, as scipy.stats.chi2_contingency(table, correction=False): expected E_ij = R_i·C_j/N,
 * χ² = Σ (O−E)²/E, dof = k' − 1 where k' counts the bins that hold any value (empty columns are
 * dropped: their expected count is 0). An unseen category lands in the OTHER bin, which then has a
 * zero reference count and a positive current count: a finite, large contribution, not a division
 * by zero — the reason to prefer the 2×k table over chisquare(current, expected-from-reference).
 * The p-value is the regularised upper incomplete gamma Q(dof/2, χ²/2), the χ² survival function.
 */
import gammainc from '@stdlib/math-base-special-gammainc';

/** A χ² statistic with its degrees of freedom and p-value. */
export interface ChiSquareResult {
  statistic: number;
  dof: number;
  pValue: number;
}

/** Survival function of the χ² distribution with `dof` degrees of freedom. */
export function chiSquareSf(x: number, dof: number): number {
  if (dof <= 0) return Number.NaN;
  if (x <= 0) return 1;
  return gammainc(x / 2, dof / 2, true, true);
}

/** χ² test of homogeneity of reference and current counts on the same bins. */
export function chiSquareHomogeneity(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>): ChiSquareResult {
  let r1 = 0;
  let r2 = 0;
  let cols = 0;
  for (let i = 0; i < refCounts.length; i++) {
    r1 += refCounts[i] as number;
    r2 += curCounts[i] as number;
    if ((refCounts[i] as number) + (curCounts[i] as number) > 0) cols++;
  }
  const n = r1 + r2;
  const dof = cols - 1;
  if (dof <= 0) return { statistic: 0, dof: 0, pValue: 1 };
  let stat = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const c = (refCounts[i] as number) + (curCounts[i] as number);
    if (c === 0) continue;
    const e1 = (r1 * c) / n;
    const e2 = (r2 * c) / n;
    stat += ((refCounts[i] as number) - e1) ** 2 / e1 + ((curCounts[i] as number) - e2) ** 2 / e2;
  }
  return { statistic: stat, dof, pValue: chiSquareSf(stat, dof) };
}
