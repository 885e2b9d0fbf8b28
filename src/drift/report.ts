/**
 * The dataset-level verdict: p-values corrected across the report's features (Benjamini–Hochberg
 * by default, or Bonferroni), each feature's level from its thresholds, and the dataset's level:
 * `drift` when the share of drifting features (among those with enough data) is greater than
 * `driftShare` (default 0.5, Evidently's default), `warn` when any feature is at warn or drift,
 * `ok` otherwise (also when no feature had enough data).
 */
import { levelOf } from './choose.js';
import { evaluateFeature, type FeatureInput, type FeatureOptions } from './feature.js';
import { P_VALUE_TESTS, type Correction, type DriftLevel, type DriftReport, type FeatureResult } from './types.js';

/** Options of a report. */
export interface ReportOptions extends FeatureOptions {
  correction?: Correction;
  /** The dataset drifts when more than this share of evaluated features drift. */
  driftShare?: number;
}

/**
 * Adjusted p-values: Bonferroni min(1, m·p); Benjamini–Hochberg step-up
 * p_(i)·m/i made monotone from the largest down (Benjamini & Hochberg 1995), capped at 1.
 */
export function adjustPValues(p: readonly number[], correction: Correction): number[] {
  const m = p.length;
  if (correction === 'none' || m === 0) return [...p];
  if (correction === 'bonferroni') return p.map((x) => Math.min(1, x * m));
  const order = p.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m).fill(1);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const entry = order[r] as readonly [number, number];
    running = Math.min(running, (entry[0] * m) / (r + 1));
    out[entry[1]] = Math.min(1, running);
  }
  return out;
}

/** Corrects p-values, sets every feature's level and the dataset's verdict. */
export function finalizeReport(results: readonly FeatureResult[], options: ReportOptions = {}): DriftReport {
  const correction = options.correction ?? 'benjamini-hochberg';
  const share = options.driftShare ?? 0.5;
  const tested = results.filter((r) => r.level !== 'insufficient' && r.pValue !== undefined && P_VALUE_TESTS.has(r.test));
  const adjusted = adjustPValues(tested.map((r) => r.pValue as number), correction);
  const adj = new Map(tested.map((r, i) => [r, adjusted[i] as number]));
  const features = results.map((r): FeatureResult => {
    if (r.level === 'insufficient' || r.score === null) return { ...r };
    const a = adj.get(r);
    if (a !== undefined) return { ...r, adjustedPValue: a, level: levelOf(a, r.thresholds, true) };
    return { ...r, level: levelOf(r.score, r.thresholds, false) };
  });
  const evaluated = features.filter((f) => f.level !== 'insufficient');
  const drifted = evaluated.filter((f) => f.level === 'drift').length;
  const driftShare = evaluated.length === 0 ? 0 : drifted / evaluated.length;
  const level: DriftLevel = driftShare > share ? 'drift' : evaluated.some((f) => f.level === 'warn' || f.level === 'drift') ? 'warn' : 'ok';
  return { level, driftShare, driftShareThreshold: share, correction, features };
}

/** Evaluates every feature from raw values and returns the report. */
export function driftReport(inputs: readonly FeatureInput[], options: ReportOptions = {}): DriftReport {
  return finalizeReport(inputs.map((i) => evaluateFeature(i, options)), options);
}

/** The features at drift, highest score first (p-value tests by smallest adjusted p). */
export function topDrifting(report: DriftReport, limit = 5): FeatureResult[] {
  const key = (f: FeatureResult): number => (f.adjustedPValue !== undefined ? 1 - f.adjustedPValue : (f.score ?? 0));
  return report.features.filter((f) => f.level === 'drift').sort((a, b) => key(b) - key(a)).slice(0, limit);
}
