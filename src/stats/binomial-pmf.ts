/**
 * The binomial pmf in Loader's saddle-point form (C. Loader, "Fast and accurate computation of
 * binomial probabilities", 2000; R's dbinom.c): through the Stirling remainder and the deviance
 * bd0, whose terms are all small, it keeps a relative error of ~1e-15 at any size, where
 * exp(lgamma sums) loses ~n·ε.
 */

// stirlerr(n) = ln n! − (n + ½)·ln n + n − ln √(2π) for n = 0 … 15, computed with mpmath at 40
// digits and rounded to double (the table of R's stirlerr, at integer n).
const SFERR = [
  0, 0.08106146679532726, 0.0413406959554093, 0.02767792568499834, 0.020790672103765093, 0.016644691189821193,
  0.013876128823070748, 0.01189670994589177, 0.010411265261972096, 0.009255462182712733, 0.00833056343336287,
  0.007573675487951841, 0.00694284010720953, 0.006408994188004207, 0.0059513701127588475, 0.005554733551962801,
];
const S0 = 1 / 12;
const S1 = 1 / 360;
const S2 = 1 / 1260;
const S3 = 1 / 1680;
const S4 = 1 / 1188;
const LN_2PI = Math.log(2 * Math.PI);

/** Stirling's remainder ln n! − ln(√(2πn)(n/e)ⁿ) for integer n ≥ 0 (series above 15, as R's stirlerr). */
export function stirlerr(n: number): number {
  if (n <= 15) return SFERR[n] as number;
  const nn = n * n;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

/** The deviance term x·ln(x/np) + np − x, by its series when x is near np (no cancellation). */
export function bd0(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    if (Math.abs(s) < Number.MIN_VALUE) return s;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
  }
  return x * Math.log(x / np) + np - x;
}

/** Binomial pmf P(X = x), X ~ Bin(n, p), q = 1 − p given separately (R's dbinom_raw). */
export function binomialPmf(x: number, n: number, p: number, q: number): number {
  if (p === 0) return x === 0 ? 1 : 0;
  if (q === 0) return x === n ? 1 : 0;
  if (x === 0) return n === 0 ? 1 : Math.exp(p < 0.1 ? -bd0(n, n * q) - n * p : n * Math.log(q));
  if (x === n) return Math.exp(q < 0.1 ? -bd0(n, n * p) - n * q : n * Math.log(p));
  if (x < 0 || x > n) return 0;
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
  const lf = LN_2PI + Math.log(x) + Math.log1p(-x / n);
  return Math.exp(lc - 0.5 * lf);
}
