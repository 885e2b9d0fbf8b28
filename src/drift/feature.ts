/**
 * One feature's drift from raw values: the effective kind and test (chooseTest unless given),
 * the reference bins, and the score. Missing values (null, NaN, non-finite numbers) are left out
 * before this point; a side with fewer than `minSamples` values gives `insufficient`.
 */
import { categoricalBinning, histogram, numericBinning } from './bins.js';
import { chiSquareHomogeneity } from './chi-square.js';
import { chooseTest, DEFAULT_THRESHOLDS, effectiveKind, TESTS_BY_KIND } from './choose.js';
import { hellinger, jensenShannon, lInfinity, psi, wassersteinSorted } from './distances.js';
import { ksTestSorted, sortedCopy } from './ks.js';
import type { DriftTest, FeatureKind, FeatureResult, Thresholds } from './types.js';

/** A feature's values on both sides, and optional overrides. */
export interface FeatureInput {
  name: string;
  kind: FeatureKind;
  reference: ArrayLike<number> | readonly string[];
  current: ArrayLike<number> | readonly string[];
  /** The test to use instead of the automatic choice. */
  test?: DriftTest;
  thresholds?: Thresholds;
}

/** Options shared by the features of a report. */
export interface FeatureOptions {
  /** Fewest values a side needs (default 1). */
  minSamples?: number;
}

/** Population standard deviation (numpy's np.std, ddof 0) by two passes. */
export function stdDev(values: ArrayLike<number>): number {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((values[i] as number) - mean) ** 2;
  return Math.sqrt(ss / n);
}

/** W1 normed by the reference's standard deviation; a constant reference (sd 0) divides by 1. */
export function normedWasserstein(raw: number, referenceSd: number): number {
  return raw / (referenceSd > 0 ? referenceSd : 1);
}

function distinctSorted(sorted: Float64Array): number {
  let d = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) d++;
  return d;
}

/** Scores of binned tests on counts over the same bins. */
export function binnedScore(test: DriftTest, ref: Float64Array, cur: Float64Array): { score: number; pValue?: number; details?: Record<string, number> } {
  switch (test) {
    case 'psi':
      return { score: psi(ref, cur) };
    case 'jensen_shannon':
      return { score: jensenShannon(ref, cur) };
    case 'hellinger':
      return { score: hellinger(ref, cur) };
    case 'l_infinity':
      return { score: lInfinity(ref, cur) };
    case 'chi_square': {
      const r = chiSquareHomogeneity(ref, cur);
      return { score: r.statistic, pValue: r.pValue, details: { dof: r.dof } };
    }
    default:
      throw new Error(`${test} is not a binned test`);
  }
}

/** Evaluates one feature (level before any correction across features). */
export function evaluateFeature(input: FeatureInput, options: FeatureOptions = {}): FeatureResult {
  const minSamples = options.minSamples ?? 1;
  const nr = input.reference.length;
  const nc = input.current.length;
  const base = { feature: input.name, referenceSize: nr, currentSize: nc };
  let kind = input.kind;
  let refSorted: Float64Array | undefined;
  if (kind === 'numeric') {
    refSorted = sortedCopy(input.reference as ArrayLike<number>);
    kind = effectiveKind(kind, distinctSorted(refSorted));
  }
  const test = input.test ?? chooseTest(kind, nr);
  const thresholds = input.thresholds ?? DEFAULT_THRESHOLDS[test];
  if (nr < minSamples || nc < minSamples) {
    const side = nr < minSamples ? 'reference' : 'current';
    return { ...base, kind, test, level: 'insufficient', score: null, thresholds, reason: `${side} has ${Math.min(nr, nc)} values, fewer than ${minSamples}` };
  }
  if (!TESTS_BY_KIND[input.kind].includes(test) && !TESTS_BY_KIND[kind].includes(test)) {
    throw new Error(`feature "${input.name}": test ${test} does not apply to ${input.kind} features`);
  }
  const numeric = input.kind === 'numeric' && refSorted !== undefined;
  if (numeric && (test === 'ks' || test === 'wasserstein')) {
    const curSorted = sortedCopy(input.current as ArrayLike<number>);
    if (test === 'ks') {
      const r = ksTestSorted(refSorted as Float64Array, curSorted);
      return { ...base, kind, test, level: 'ok', score: r.statistic, pValue: r.pValue, thresholds, details: { method: r.method } };
    }
    const raw = wassersteinSorted(refSorted as Float64Array, curSorted);
    const sd = stdDev(refSorted as Float64Array);
    return { ...base, kind, test, level: 'ok', score: normedWasserstein(raw, sd), thresholds, details: { wasserstein: raw, referenceSd: sd } };
  }
  // Binned tests: numeric features with many values on decile bins, others on categories.
  let ref: Float64Array;
  let cur: Float64Array;
  if (kind === 'numeric') {
    const binning = numericBinning(refSorted as Float64Array);
    ref = histogram(binning, refSorted as Float64Array);
    cur = histogram(binning, input.current);
  } else {
    const asText = (v: ArrayLike<number> | readonly string[]): string[] => Array.from(v as ArrayLike<number | string>, (x) => String(x));
    const refText = asText(input.reference);
    const binning = categoricalBinning(refText);
    ref = histogram(binning, refText);
    cur = histogram(binning, asText(input.current));
  }
  const s = binnedScore(test, ref, cur);
  return { ...base, kind, test, level: 'ok', score: s.score, ...(s.pValue !== undefined ? { pValue: s.pValue } : {}), thresholds, ...(s.details ? { details: s.details } : {}) };
}
