/**
 * The automatic choice of test per feature and the default thresholds. The rule follows
 * Evidently's defaults (docs "Data drift: how it works", 2023), which NannyML's univariate
 * methods resemble: small samples get a statistical test, large samples a distance (a test on
 * 100k rows flags differences too small to matter).
 *
 * | feature                                     | reference size ≤ 1000 | > 1000            |
 * |---------------------------------------------|-----------------------|-------------------|
 * | numeric with more than 5 distinct values     | ks (p < 0.05)         | wasserstein ≥ 0.1 (normed by the reference sd) |
 * | numeric with ≤ 5 distinct values, categorical| chi_square (p < 0.05) | jensen_shannon ≥ 0.1 |
 *
 * Thresholds (drift / warn): ks, chi_square p < 0.05 / 0.10 (after correction); wasserstein
 * 0.1 / 0.05; jensen_shannon 0.1 / 0.05; hellinger 0.1 / 0.05; l_infinity 0.1 / 0.05;
 * psi 0.2 / 0.1 (the credit-scoring rule of thumb: < 0.1 stable, 0.1–0.2 shift, > 0.2 major).
 */
import type { DriftTest, FeatureKind, Thresholds } from './types.js';

/** Reference sizes up to this get a statistical test; larger ones a distance. */
export const SMALL_SAMPLE_MAX = 1000;
/** Numeric features with at most this many distinct reference values are treated as categorical. */
export const FEW_VALUES_MAX = 5;

/** Default thresholds per test. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTest, Thresholds>> = {
  ks: { drift: 0.05, warn: 0.1 },
  chi_square: { drift: 0.05, warn: 0.1 },
  wasserstein: { drift: 0.1, warn: 0.05 },
  psi: { drift: 0.2, warn: 0.1 },
  jensen_shannon: { drift: 0.1, warn: 0.05 },
  hellinger: { drift: 0.1, warn: 0.05 },
  l_infinity: { drift: 0.1, warn: 0.05 },
};

/** Tests valid per kind (numeric features binned on reference deciles for the binned ones). */
export const TESTS_BY_KIND: Readonly<Record<FeatureKind, readonly DriftTest[]>> = {
  numeric: ['ks', 'wasserstein', 'psi', 'jensen_shannon', 'hellinger', 'chi_square'],
  categorical: ['chi_square', 'psi', 'jensen_shannon', 'hellinger', 'l_infinity'],
};

/** The effective kind: numeric features with few distinct reference values count as categorical. */
export function effectiveKind(kind: FeatureKind, distinctReferenceValues: number): FeatureKind {
  return kind === 'numeric' && distinctReferenceValues <= FEW_VALUES_MAX ? 'categorical' : kind;
}

/** The test the rule picks for a feature of this (effective) kind and reference size. */
export function chooseTest(kind: FeatureKind, referenceSize: number): DriftTest {
  if (kind === 'numeric') return referenceSize <= SMALL_SAMPLE_MAX ? 'ks' : 'wasserstein';
  return referenceSize <= SMALL_SAMPLE_MAX ? 'chi_square' : 'jensen_shannon';
}

/** Level of a score (or corrected p-value) against thresholds. */
export function levelOf(value: number, t: Thresholds, pValueTest: boolean): 'ok' | 'warn' | 'drift' {
  if (pValueTest) return value < t.drift ? 'drift' : value < t.warn ? 'warn' : 'ok';
  return value >= t.drift ? 'drift' : value >= t.warn ? 'warn' : 'ok';
}
