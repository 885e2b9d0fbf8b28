/** Builds the reference profile of a feature (bins, counts, sketch, sd) from its raw values. */
import { categoricalBinning, numericBinning } from './bins.js';
import { effectiveKind } from './choose.js';
import { stdDev } from './feature.js';
import { sortedCopy } from './ks.js';
import type { FeatureKind } from './types.js';
import { addToWindow, emptyWindow, SKETCH_RELATIVE_ACCURACY, type ReferenceProfile } from './window-state.js';

/** The reference profile of a feature; numeric features with ≤ 5 distinct values become categorical. */
export function buildProfile(feature: string, kind: FeatureKind, values: ArrayLike<number> | readonly string[], relativeAccuracy = SKETCH_RELATIVE_ACCURACY): ReferenceProfile {
  if (kind === 'numeric') {
    const sorted = sortedCopy(values as ArrayLike<number>);
    let distinct = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
    if (effectiveKind(kind, distinct) === 'numeric') {
      const binning = numericBinning(sorted);
      const state = emptyWindow(binning, relativeAccuracy);
      addToWindow(binning, state, sorted);
      return { feature, kind: 'numeric', binning, state, sd: stdDev(sorted) };
    }
  }
  const text = Array.from(values as ArrayLike<number | string>, (v) => String(v));
  const binning = categoricalBinning(text);
  const state = emptyWindow(binning, relativeAccuracy);
  addToWindow(binning, state, text);
  return { feature, kind: 'categorical', binning, state, sd: 0 };
}
