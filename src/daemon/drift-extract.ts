/**
 * Feature and prediction values of drift checks, from stored predictions and reference rows.
 *
 * A feature is looked up in each decoded feature row (a V1 instance object; `f0`, `f1`, … of a V1
 * list instance; `value` of a V1 scalar instance; a V2 input `name`, or `name[j]` of a wider
 * tensor) by its `path`, else its `name`: first as a column name, then as a dotted path with [i]
 * indices into the row (`customer.age`). The prediction is looked up the same way in each decoded
 * prediction (a V2 output name; a V1 prediction object, or `value` for a scalar prediction) and,
 * when no prediction row has it, in the raw response body (`outputs[0].data[0]`), one value per
 * request. Reference rows (JSONL/CSV) give a feature by its name, else its path, and the prediction
 * by a `prediction` column, else the prediction path.
 */
import { valueAt } from '../datasets/row-files.js';
import type { DriftFeatureKind, DriftSettings } from '../model/types.js';
import type { DriftSample } from '../store/port.js';

/** One checked feature (the prediction is the feature named `prediction`). */
export interface FeatureSpec {
  name: string;
  kind: DriftFeatureKind;
  path: string;
  test?: DriftSettings['features'][number]['test'];
}

/** The name under which the prediction is checked, stored and exported. */
export const PREDICTION = 'prediction';

/** The checked features of a model's settings, the prediction last. */
export function featureSpecs(s: DriftSettings): FeatureSpec[] {
  const out: FeatureSpec[] = s.features.map((f) => ({ name: f.name, kind: f.kind, path: f.path ?? f.name, ...(f.test !== undefined ? { test: f.test } : {}) }));
  if (s.prediction !== undefined) out.push({ name: PREDICTION, kind: s.prediction.kind, path: s.prediction.path });
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A value by column name, else by dotted path. */
export function lookup(row: unknown, path: string): unknown {
  if (isRecord(row) && Object.hasOwn(row, path)) return row[path];
  return valueAt(row, path);
}

/** Raw values to a column: finite numbers for numeric features, strings for categorical; others dropped. */
export function toColumn(raw: readonly unknown[], kind: DriftFeatureKind): number[] | string[] {
  if (kind === 'numeric') return raw.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return raw.filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean').map((v) => String(v));
}

function responseBody(r: string | Buffer | null): unknown {
  if (r === null) return undefined;
  try {
    return JSON.parse(typeof r === 'string' ? r : r.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Raw values of one feature over stored predictions. */
export function sampleValues(samples: readonly DriftSample[], spec: FeatureSpec): unknown[] {
  const out: unknown[] = [];
  for (const s of samples) {
    if (spec.name !== PREDICTION) {
      for (const row of s.features ?? []) out.push(lookup(row, spec.path));
      continue;
    }
    const found = (s.predictions ?? []).map((p) => lookup(isRecord(p) ? p : { value: p }, spec.path)).filter((v) => v !== undefined);
    if (found.length > 0) out.push(...found);
    else out.push(lookup(responseBody(s.response), spec.path));
  }
  return out;
}

/** Values of one feature in reference rows (by name, else path). */
export function referenceValues(rows: readonly Record<string, unknown>[], spec: FeatureSpec): unknown[] {
  return rows.map((r) => {
    const byName = lookup(r, spec.name);
    return byName !== undefined && byName !== null ? byName : lookup(r, spec.path);
  });
}
