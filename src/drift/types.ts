/** Plain types of drift detection: tests, levels, thresholds, per-feature and dataset results. */

/** Kind of a feature: numbers, or labels compared as categories. */
export type FeatureKind = 'numeric' | 'categorical';

/** A drift test. `ks` and `chi_square` give p-values; the others are distances. */
export type DriftTest = 'ks' | 'chi_square' | 'wasserstein' | 'psi' | 'jensen_shannon' | 'hellinger' | 'l_infinity';

/** Severity of a feature's or a dataset's drift. */
export type DriftLevel = 'ok' | 'warn' | 'drift';

/** Correction of p-values across the features of one report. */
export type Correction = 'benjamini-hochberg' | 'bonferroni' | 'none';

/**
 * Where a test's levels start. For p-value tests a feature is at `drift` when its (corrected)
 * p-value is below `drift` and at `warn` when below `warn`; for distances, when the score is at
 * or above them.
 */
export interface Thresholds {
  warn: number;
  drift: number;
}

/** Tests whose score is a p-value decision. */
export const P_VALUE_TESTS: ReadonlySet<DriftTest> = new Set<DriftTest>(['ks', 'chi_square']);

/** The result for one feature. */
export interface FeatureResult {
  feature: string;
  kind: FeatureKind;
  test: DriftTest;
  /** `insufficient` when either side has fewer values than the minimum: no score, not counted. */
  level: DriftLevel | 'insufficient';
  /** The statistic: KS D, χ², normed W1, PSI, JS, Hellinger or L∞; null when insufficient. */
  score: number | null;
  /** Raw p-value of p-value tests. */
  pValue?: number;
  /** p-value after the report's correction (what the thresholds compare). */
  adjustedPValue?: number;
  thresholds: Thresholds;
  referenceSize: number;
  currentSize: number;
  /** Why the level is `insufficient`. */
  reason?: string;
  /** Secondary numbers: raw W1, KS method, χ² dof, sketch error bounds. */
  details?: Record<string, number | string>;
}

/** The dataset-level result. */
export interface DriftReport {
  level: DriftLevel;
  /** Drifting features / evaluated (non-insufficient) features. */
  driftShare: number;
  /** The share above which the dataset drifts. */
  driftShareThreshold: number;
  correction: Correction;
  features: FeatureResult[];
}
