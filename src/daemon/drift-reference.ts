/**
 * A model's drift reference, loaded once at start: from a JSONL/CSV file of feature rows (and the
 * prediction), or from stored traffic in a time range. Each feature gets its raw values (the exact
 * tests compare them) and a ReferenceProfile (effective kind, bins; shown in the status).
 */
import { readRows } from '../datasets/row-files.js';
import { chooseTest } from '../drift/choose.js';
import { buildProfile } from '../drift/profile.js';
import type { DriftTest } from '../drift/types.js';
import type { ReferenceProfile } from '../drift/window-state.js';
import type { DriftSettings, Model } from '../model/types.js';
import type { DriftStore } from '../store/port.js';
import { featureSpecs, referenceValues, sampleValues, toColumn, type FeatureSpec } from './drift-extract.js';

/** Most stored predictions a time-range reference reads. */
export const MAX_REFERENCE_SAMPLES = 500_000;

/** One feature's reference. */
export interface FeatureReference {
  spec: FeatureSpec;
  values: number[] | string[];
  profile: ReferenceProfile;
  /** The test a check uses: the configured one, else the automatic choice on the reference. */
  test: DriftTest;
}

/** A loaded reference. */
export interface LoadedReference {
  /** `file PATH` or `stored traffic FROM..TO`. */
  source: string;
  rows: number;
  features: FeatureReference[];
}

/** What names the reference in messages. */
export function referenceLabel(s: DriftSettings): string {
  return s.reference.kind === 'file' ? s.reference.path : `${s.reference.from}..${s.reference.to}`;
}

/** Loads the reference; throws `could not load reference "x"` with the cause. */
export async function loadReference(model: Model, settings: DriftSettings, store: DriftStore): Promise<LoadedReference> {
  const label = referenceLabel(settings);
  try {
    const specs = featureSpecs(settings);
    let rows: number;
    let raw: (spec: FeatureSpec) => unknown[];
    if (settings.reference.kind === 'file') {
      const file = await readRows(settings.reference.path);
      rows = file.rows.length;
      raw = (spec) => referenceValues(file.rows, spec);
    } else {
      const samples = await store.driftSamples({ namespace: model.namespace, model: model.name, fromMs: settings.reference.fromMs, toMs: settings.reference.toMs, limit: MAX_REFERENCE_SAMPLES });
      rows = samples.length;
      raw = (spec) => sampleValues(samples, spec);
    }
    if (rows === 0) throw new Error(settings.reference.kind === 'file' ? 'the file holds no rows' : 'no stored predictions in the range');
    const features = specs.map((spec): FeatureReference => {
      const values = toColumn(raw(spec), spec.kind);
      if (values.length === 0) throw new Error(`feature "${spec.name}" (${spec.kind}, path ${spec.path}) has no values in the ${rows} reference rows`);
      const profile = buildProfile(spec.name, spec.kind, values);
      return { spec, values, profile, test: spec.test ?? chooseTest(profile.kind, values.length) };
    });
    return { source: settings.reference.kind === 'file' ? `file ${label}` : `stored traffic ${label}`, rows, features };
  } catch (cause) {
    throw new Error(`could not load reference "${label}"`, { cause });
  }
}
