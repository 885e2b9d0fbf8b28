/**
 * The latency judgement of Spinnaker Kayenta's NetflixACAJudge: its MannWhitneyClassifier with
 * the parameters the judge passes (confidence level 0.98, tolerance 0.25, mean-ratio effect size).
 *
 * What Kayenta does (spinnaker/kayenta, commit a69573be):
 * - kayenta-judge/.../NetflixACAJudge.scala l.119–124, 146: `new MannWhitneyClassifier(tolerance =
 *   0.25, confLevel = 0.98, effectSizeThresholds, …, effectSizeMeasure)` with the effect size
 *   "meanRatio" and allowedIncrease / allowedDecrease defaulting to 1.0.
 * - kayenta-judge/.../classifiers/metric/MannWhitneyClassifier.scala
 *   l.153–164: no data in either sample → Nodata (NaN strategy "remove");
 *   (one value in each sample makes MannWhitney.scala l.76 throw, which the judge reports as
 *   Error, NetflixACAJudge.scala l.166–172: here 'nodata', as no judgement is possible);
 *   l.166–175: the sorted samples are equal, or all values are one value → Pass;
 *   l.38–55: a two-sided Mann–Whitney confidence interval for the shift canary − primary at
 *   confLevel, and its Hodges–Lehmann estimate; the effect size is mean(canary)/mean(primary)
 *   (stats/EffectSizes.scala l.16–20: NaN when either mean is 0);
 *   l.72–79: the bounds are ±tolerance·|estimate| — the tolerance is a fraction of the HL shift,
 *   not of the effect size;
 *   l.116–130: High when the direction is increase (or either), the interval's lower end exceeds
 *   +tolerance·|estimate| and the mean ratio is ≥ allowedIncrease (ignored when NaN); Low
 *   symmetrically with the upper end below −tolerance·|estimate| and ratio ≤ allowedDecrease.
 * - kayenta-mannwhitney/.../MannWhitney.scala l.58–108: the interval is built as R's
 *   `wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE)` builds it: the roots in μ of
 *   (U(x − μ, y) − nm/2 − ½·sign)/σ_ties ∓ z_{α/2}, found by Brent's method (tolerance 1e-4).
 *
 * How this computes it exactly: between consecutive Walsh differences dₖ = xᵢ − yⱼ the function
 * is constant (U = #{d > μ}, σ from within-sample ties only) and it steps down as μ crosses each
 * dₖ, so its root is the Walsh difference where the count crosses the level. That level c* is
 * found in closed form (then checked on the same formula), and the root is the c*-th largest
 * difference, selected in O((n+m) log) (hodges-lehmann.ts). The estimate's function (level 0) is
 * zero on a whole interval or changes sign at one difference; the Hodges–Lehmann median of the
 * differences is always such a point (≥ 0 left of it, ≤ 0 right of it) and is used.
 * Kayenta adds Gaussian noise (1e-5 of the value) when both samples are constant; here the limit
 * of that noise, the single difference, is used, so the judgement is deterministic.
 * pValue is not part of Kayenta's rule: it is the one-sided Mann–Whitney p-value (two-sided for
 * 'either') of the same samples, reported for context.
 */
import { hodgesLehmannEstimate, walshSelector, withinTieTerm } from './hodges-lehmann.js';
import { mannWhitneyUSorted, sortedSample } from './mann-whitney.js';
import type { Sample } from './mann-whitney.js';
import { normalQuantile } from './normal.js';

/** Which change of the metric is bad: latency is 'increase'. */
export type MetricDirection = 'increase' | 'decrease' | 'either';

/** Parameters of the judgement; the defaults are NetflixACAJudge's. */
export interface KayentaOptions {
  direction?: MetricDirection;
  confidenceLevel?: number;
  tolerance?: number;
  allowedIncrease?: number;
  allowedDecrease?: number;
}

/** Kayenta's metric classification of the canary against the primary. */
export interface KayentaJudgement {
  classification: 'pass' | 'high' | 'low' | 'nodata';
  /** Mann–Whitney p-value of canary vs primary in the bad direction (NaN without data). */
  pValue: number;
  /** mean(canary) / mean(primary); NaN when either mean is 0 or a sample is empty. */
  effectSize: number;
  /** Confidence interval of the shift canary − primary, and its Hodges–Lehmann estimate. */
  lowerConfidence?: number;
  upperConfidence?: number;
  estimate?: number;
  reason: string;
}

/** Shift confidence interval and estimate of x − y. */
export interface ShiftInterval {
  lower: number;
  upper: number;
  estimate: number;
}

/** The mean as Apache Commons Math computes it: sum/n, then the correction Σ(x − mean)/n. */
function mean(s: Float64Array): number {
  let sum = 0;
  for (const v of s) sum += v;
  const m = sum / s.length;
  let corr = 0;
  for (const v of s) corr += v - m;
  return m + corr / s.length;
}

/** Kayenta's MannWhitney.scala interval for the shift x − y (sorted, finite samples). */
export function kayentaShiftInterval(xs: Float64Array, ys: Float64Array, confidenceLevel: number): ShiftInterval {
  const m = xs.length;
  const n = ys.length;
  const mn = m * n;
  const ties = withinTieTerm(xs) + withinTieTerm(ys);
  const sigma = Math.sqrt(((m * n) / 12) * (m + n + 1 - ties / ((m + n) * (m + n - 1))));
  // g(c): the standardised statistic when c pairs have xᵢ − μ > yⱼ (MannWhitney.scala l.66–77).
  const g = (c: number): number => {
    const dz = c - mn / 2;
    return (dz - Math.sign(dz) * 0.5) / sigma;
  };
  // The root for level zq is the largest μ with g(U(μ)) > zq, i.e. the c*-th largest difference,
  // c* = the least count with g(c) > zq (g is non-decreasing in c).
  const select = walshSelector(xs, ys);
  const root = (zq: number): number => {
    let c = Math.min(mn + 1, Math.max(0, Math.floor(mn / 2 + 0.5 + zq * sigma) + 1));
    while (c > 0 && g(c - 1) > zq) c--;
    while (c <= mn && !(g(c) > zq)) c++;
    // c > mn: f ≤ 0 everywhere, Kayenta returns μmin = d₍₁₎; c = 0: f > 0 everywhere, μmax = d₍ₙₘ₎.
    const rank = Math.min(mn, Math.max(1, mn - c + 1));
    return select(rank)[0] as number;
  };
  const zQuant = normalQuantile((1 - confidenceLevel) / 2);
  return { lower: root(-zQuant), upper: root(zQuant), estimate: hodgesLehmannEstimate(xs, ys, select) };
}

function finiteSorted(values: Sample, what: string): Float64Array {
  const s = sortedSample(values, what);
  if (!Number.isFinite(s[0]) || !Number.isFinite(s[s.length - 1])) throw new Error(`${what} contains an infinite value`);
  return s;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Kayenta's MannWhitneyClassifier judgement of a canary's metric against the primary's. */
export function kayentaJudge(canary: Sample, primary: Sample, options: KayentaOptions = {}): KayentaJudgement {
  if (canary.length === 0 || primary.length === 0) {
    const which = canary.length === 0 ? (primary.length === 0 ? 'canary and primary' : 'canary') : 'primary';
    return { classification: 'nodata', pValue: Number.NaN, effectSize: Number.NaN, reason: `no data for the ${which}` };
  }
  return kayentaJudgeSorted(finiteSorted(canary, 'kayentaJudge: canary sample'), finiteSorted(primary, 'kayentaJudge: primary sample'), options);
}

/** {@link kayentaJudge} on samples already sorted ascending, non-empty and finite. */
export function kayentaJudgeSorted(xs: Float64Array, ys: Float64Array, options: KayentaOptions = {}): KayentaJudgement {
  const direction = options.direction ?? 'increase';
  const confidenceLevel = options.confidenceLevel ?? 0.98;
  const tolerance = options.tolerance ?? 0.25;
  const allowedIncrease = options.allowedIncrease ?? 1;
  const allowedDecrease = options.allowedDecrease ?? 1;
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) throw new Error(`kayentaJudge: confidenceLevel must be in (0, 1), got ${confidenceLevel}`);
  const alternative = direction === 'increase' ? 'greater' : direction === 'decrease' ? 'less' : 'two-sided';
  const pValue = mannWhitneyUSorted(xs, ys, { alternative }).pValue;
  const mx = mean(xs);
  const my = mean(ys);
  const effectSize = mx === 0 || my === 0 ? Number.NaN : mx / my;
  if (sameValues(xs, ys)) return { classification: 'pass', pValue, effectSize, reason: 'the canary and primary data are identical' };
  if (xs[0] === xs[xs.length - 1] && ys[0] === ys[ys.length - 1] && xs[0] === ys[0]) {
    return { classification: 'pass', pValue, effectSize, reason: 'every canary and primary value is the same' };
  }
  if (xs.length === 1 && ys.length === 1) {
    // MannWhitney.scala l.76 throws when σ = 0, which one value against one always gives (at
    // μ = x − y the pooled pair is tied, even after the noise); NetflixACAJudge then reports Error.
    return { classification: 'nodata', pValue, effectSize, reason: 'one value per sample: no confidence interval exists (Kayenta reports an error)' };
  }
  const ci = kayentaShiftInterval(xs, ys, confidenceLevel);
  const bound = tolerance * Math.abs(ci.estimate);
  const base = { pValue, effectSize, lowerConfidence: ci.lower, upperConfidence: ci.upper, estimate: ci.estimate };
  const pct = `${(confidenceLevel * 100).toFixed(0)}%`;
  const isHigh = direction !== 'decrease' && ci.lower > bound && (Number.isNaN(effectSize) || effectSize >= allowedIncrease);
  if (isHigh) {
    return { ...base, classification: 'high', reason: `the ${pct} interval of the shift starts at ${ci.lower}, above ${tolerance}·|estimate ${ci.estimate}|, and the mean ratio ${effectSize} is ≥ ${allowedIncrease}` };
  }
  const isLow = direction !== 'increase' && ci.upper < -bound && (Number.isNaN(effectSize) || effectSize <= allowedDecrease);
  if (isLow) {
    return { ...base, classification: 'low', reason: `the ${pct} interval of the shift ends at ${ci.upper}, below −${tolerance}·|estimate ${ci.estimate}|, and the mean ratio ${effectSize} is ≤ ${allowedDecrease}` };
  }
  return { ...base, classification: 'pass', reason: `the ${pct} interval of the shift [${ci.lower}, ${ci.upper}] does not clear ±${tolerance}·|estimate ${ci.estimate}| in the bad direction with the mean ratio past its limit` };
}
