/**
 * The standard normal distribution's survival function and quantile, to double precision, for the
 * asymptotic Mann–Whitney p-value and the Kayenta confidence interval.
 */
import gammainc from '@stdlib/math-base-special-gammainc';

/** erfc(x) = Q(½, x²) for x ≥ 0 (the regularized upper incomplete gamma), 2 − erfc(−x) below 0. */
function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (!Number.isFinite(x)) return x > 0 ? 0 : 2;
  const q = gammainc(x * x, 0.5, true, true);
  return x >= 0 ? q : 2 - q;
}

/** 1 − Φ(z), as scipy's `norm.sf` (cephes ndtr): ½·erfc(z/√2), no cancellation in either tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

// Acklam's rational approximation of Φ⁻¹ (relative error < 1.15e-9), then one Halley step on
// Φ(x) − p, which brings it to full double precision (P. J. Acklam, "An algorithm for computing
// the inverse normal cumulative distribution function", 2003).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function poly(c: readonly number[], x: number): number {
  let s = 0;
  for (const k of c) s = s * x + k;
  return s;
}

/** Φ⁻¹(p) for p in (0, 1); −∞ at 0, +∞ at 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(C, q) / (poly(D, q) * q + 1);
  } else if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(A, r) * q) / (poly(B, r) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    x = -poly(C, q) / (poly(D, q) * q + 1);
  }
  // Halley step: e = Φ(x) − p, with Φ(x) = ½·erfc(−x/√2).
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}
