/**
 * Streaming, mergeable per-feature window state, so a daemon keeps no raw rows and windows from
 * several replicas merge: counts on the reference's fixed bins (PSI, JS, Hellinger, L∞, χ² are
 * exact on them) and, for numeric features, a DDSketch (relative accuracy α, default 0.01; every
 * value is kept as a bucket (γ^(k−1), γ^k], γ = (1+α)/(1−α)) for KS and Wasserstein.
 *
 * Error bounds of the sketch-based numbers (both sides sketched with the same mapping):
 *  - KS: the sketched statistic compares the two CDFs at bucket boundaries only, where they are
 *    exact, so D_sketch ≤ D_exact ≤ D_sketch + max_b max(m_ref(b), m_cur(b)), m(b) the share of a
 *    side's values in bucket b (a number reported as `ksErrorBound`).
 *  - W1: each value moves to its bucket's representative, at most α·|x| away, so by the triangle
 *    inequality |W_sketch − W_exact| ≤ α·(E_ref|x| + E_cur|x|), reported as `wassersteinErrorBound`
 *    (E|x| estimated from the sketch as Σ|rep|/(n(1−α)), which is ≥ the true mean).
 * The p-value of the sketched KS is that of D_sketch at the true sample sizes.
 */
import { DDSketch } from '@datadog/sketches-js';
import { binCount, categoryIndex, numericBinIndex, type Binning } from './bins.js';
import { DEFAULT_THRESHOLDS } from './choose.js';
import { binnedScore, normedWasserstein } from './feature.js';
import { wassersteinWeighted } from './distances.js';
import { ksFromStatistic } from './ks.js';
import type { DriftTest, FeatureKind, FeatureResult, Thresholds } from './types.js';

/** Default relative accuracy of the sketches. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/** A feature's window: bin counts, and a sketch for numeric features. */
export interface WindowState {
  counts: Float64Array;
  sketch?: DDSketch;
  /** Values skipped as missing (null, NaN, wrong type). */
  missing: number;
}

/** Everything about the reference a window is compared with. */
export interface ReferenceProfile {
  feature: string;
  kind: FeatureKind;
  binning: Binning;
  /** The reference itself as a window state (its counts and sketch). */
  state: WindowState;
  /** The reference's standard deviation (numeric), for normed W1. */
  sd: number;
}

/** An empty window for a binning (sketch for numeric bins). */
export function emptyWindow(binning: Binning, relativeAccuracy = SKETCH_RELATIVE_ACCURACY): WindowState {
  return {
    counts: new Float64Array(binCount(binning)),
    ...(binning.kind === 'numeric' ? { sketch: new DDSketch({ relativeAccuracy }) } : {}),
    missing: 0,
  };
}

/** Adds values to a window (numbers to numeric bins, strings or numbers to categories). */
export function addToWindow(binning: Binning, state: WindowState, values: ArrayLike<unknown>): void {
  const { counts, sketch } = state;
  if (binning.kind === 'numeric') {
    const edges = binning.edges;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        state.missing++;
        continue;
      }
      const b = numericBinIndex(edges, v);
      counts[b] = (counts[b] as number) + 1;
      sketch?.accept(v);
    }
    return;
  }
  const idx = categoryIndex(binning);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
      state.missing++;
      continue;
    }
    const b = idx(typeof v === 'string' ? v : JSON.stringify(v));
    counts[b] = (counts[b] as number) + 1;
  }
}

/**
 * Merges `src` into `target`. @datadog/sketches-js 2.1.1's merge() drops the source's negative
 * store when the target is not empty (found by the merge property test), so it is merged here.
 */
export function mergeSketchInto(target: DDSketch, src: DDSketch): void {
  const copying = target.count === 0;
  target.merge(src);
  if (!copying && src.count > 0) target.negativeStore.merge(src.negativeStore);
}

/** A new window holding both windows' values (neither input changes). */
export function mergeWindows(a: WindowState, b: WindowState): WindowState {
  const counts = Float64Array.from(a.counts, (c, i) => c + (b.counts[i] ?? 0));
  let sketch: DDSketch | undefined;
  if (a.sketch !== undefined && b.sketch !== undefined) {
    sketch = new DDSketch({ relativeAccuracy: a.sketch.mapping.relativeAccuracy });
    mergeSketchInto(sketch, a.sketch);
    mergeSketchInto(sketch, b.sketch);
  }
  return { counts, ...(sketch ? { sketch } : {}), missing: a.missing + b.missing };
}

/** Values in a window. */
export function windowSize(s: WindowState): number {
  let n = 0;
  for (const c of s.counts) n += c;
  return n;
}

/** The sketch's buckets in ascending value order: representative values and counts. */
export function sketchBuckets(s: DDSketch): { keys: string[]; values: number[]; counts: number[] } {
  const keys: string[] = [];
  const values: number[] = [];
  const counts: number[] = [];
  const neg = s.negativeStore;
  for (let k = neg.maxKey; k >= neg.minKey && neg.count > 0; k--) {
    const c = neg.bins[k - neg.offset] ?? 0;
    if (c > 0) {
      keys.push(`-${k}`);
      values.push(-s.mapping.value(k));
      counts.push(c);
    }
  }
  if (s.zeroCount > 0) {
    keys.push('0');
    values.push(0);
    counts.push(s.zeroCount);
  }
  const pos = s.store;
  for (let k = pos.minKey; k <= pos.maxKey && pos.count > 0; k++) {
    const c = pos.bins[k - pos.offset] ?? 0;
    if (c > 0) {
      keys.push(`+${k}`);
      values.push(s.mapping.value(k));
      counts.push(c);
    }
  }
  return { keys, values, counts };
}

/** KS statistic of two sketches (same mapping) with its error bound (see the module comment). */
export function sketchKs(a: DDSketch, b: DDSketch): { statistic: number; errorBound: number } {
  const A = sketchBuckets(a);
  const B = sketchBuckets(b);
  const na = A.counts.reduce((x, y) => x + y, 0);
  const nb = B.counts.reduce((x, y) => x + y, 0);
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  let d = 0;
  let bound = 0;
  while (i < A.values.length || j < B.values.length) {
    const va = A.values[i] ?? Infinity;
    const vb = B.values[j] ?? Infinity;
    const v = Math.min(va, vb);
    let ma = 0;
    let mb = 0;
    if (va === v) ma = A.counts[i++] as number;
    if (vb === v) mb = B.counts[j++] as number;
    ca += ma;
    cb += mb;
    d = Math.max(d, Math.abs(ca / na - cb / nb));
    bound = Math.max(bound, ma / na, mb / nb);
  }
  return { statistic: d, errorBound: bound };
}

/** W1 of two sketches (on representative values) with its error bound. */
export function sketchWasserstein(a: DDSketch, b: DDSketch): { distance: number; errorBound: number } {
  const A = sketchBuckets(a);
  const B = sketchBuckets(b);
  const alpha = a.mapping.relativeAccuracy;
  const meanAbs = (x: { values: number[]; counts: number[] }): number => {
    let s = 0;
    let n = 0;
    x.values.forEach((v, i) => ((s += Math.abs(v) * (x.counts[i] as number)), (n += x.counts[i] as number)));
    return s / n / (1 - alpha);
  };
  return { distance: wassersteinWeighted(A.values, A.counts, B.values, B.counts), errorBound: alpha * (meanAbs(A) + meanAbs(B)) };
}

/** Compares a window with its reference by one test (level before correction, like evaluateFeature). */
export function compareWindow(profile: ReferenceProfile, window: WindowState, test: DriftTest, thresholds: Thresholds = DEFAULT_THRESHOLDS[test], minSamples = 1): FeatureResult {
  const nr = windowSize(profile.state);
  const nc = windowSize(window);
  const base = { feature: profile.feature, kind: profile.kind, test, thresholds, referenceSize: nr, currentSize: nc };
  if (nr < minSamples || nc < minSamples) return { ...base, level: 'insufficient', score: null, reason: `${nr < minSamples ? 'reference' : 'current'} has ${Math.min(nr, nc)} values, fewer than ${minSamples}` };
  if (test === 'ks' || test === 'wasserstein') {
    const ra = profile.state.sketch;
    const wa = window.sketch;
    if (ra === undefined || wa === undefined) throw new Error(`feature "${profile.feature}": ${test} needs numeric sketches`);
    if (test === 'ks') {
      const k = sketchKs(ra, wa);
      const r = ksFromStatistic(nr, nc, k.statistic);
      return { ...base, level: 'ok', score: r.statistic, pValue: r.pValue, details: { method: r.method, ksErrorBound: k.errorBound } };
    }
    const w = sketchWasserstein(ra, wa);
    const sdDiv = profile.sd > 0 ? profile.sd : 1;
    return { ...base, level: 'ok', score: normedWasserstein(w.distance, profile.sd), details: { wasserstein: w.distance, wassersteinErrorBound: w.errorBound, normedErrorBound: w.errorBound / sdDiv } };
  }
  const s = binnedScore(test, profile.state.counts, window.counts);
  return { ...base, level: 'ok', score: s.score, ...(s.pValue !== undefined ? { pValue: s.pValue } : {}), ...(s.details ? { details: s.details } : {}) };
}
