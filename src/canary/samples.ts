/**
 * A side of a canary analysis from stored request records: statuses, latencies and prediction
 * values. The prediction is read at `canary.prediction.path` (or the drift section's prediction
 * path) the way drift checks read it; without a path, the first value of each decoded prediction
 * (a V1 scalar prediction, or the first field of a V1 object or V2 output row).
 */
import { PREDICTION, sampleValues } from '../daemon/drift-extract.js';
import type { CanarySettings } from '../model/types.js';
import type { RevisionSample } from '../store/port.js';
import type { CanarySide } from './decide.js';

const scalar = (v: unknown): v is number | string => (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string';

/** The first value of a decoded prediction: a V1 scalar, or the first field of a V1 object or V2 output row. */
export function firstValue(p: unknown): unknown {
  if (p !== null && typeof p === 'object' && !Array.isArray(p)) return Object.values(p)[0];
  if (Array.isArray(p)) return p[0];
  return p;
}

/** The analysis side of some records. */
export function sideOf(rows: readonly RevisionSample[], prediction: CanarySettings['prediction']): CanarySide {
  const statuses = new Int32Array(rows.length);
  const latencies: number[] = [];
  rows.forEach((r, i) => {
    statuses[i] = r.status;
    if (r.latencyMs !== null) latencies.push(r.latencyMs);
  });
  let values: unknown[];
  if (prediction !== undefined) {
    values = sampleValues(
      rows.map((r) => ({ endpoint: '', timeMs: 0, features: null, predictions: r.predictions, response: r.response })),
      { name: PREDICTION, kind: prediction.kind, path: prediction.path },
    );
  } else {
    values = rows.flatMap((r) => (r.predictions ?? []).map(firstValue));
  }
  const predictions = values.filter(scalar).map((v) => (prediction?.kind === 'categorical' ? String(v) : v));
  return { statuses, latenciesMs: Float64Array.from(latencies), predictions };
}
