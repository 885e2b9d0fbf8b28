/** SQLite reads of the DriftStore part of the port (drift samples and results); the writes are in group-commit.ts. */
import type Database from 'better-sqlite3';
import type { DriftResultRecord, DriftSample, DriftStore } from './port.js';

/** The reads of the DriftStore port. */
export type DriftReads = Pick<DriftStore, 'driftSamples' | 'driftResults'>;

interface ResultRow {
  namespace: string;
  model: string;
  run_ms: number;
  window_from_ms: number;
  window_to_ms: number;
  endpoint: string;
  level: string;
  drift_share: number;
  feature: string;
  kind: string;
  test: string;
  feature_level: string;
  score: number | null;
  p_value: number | null;
  adjusted_p_value: number | null;
  threshold: number;
  reference_size: number;
  current_size: number;
  details: string | null;
}

const fromRow = (r: ResultRow): DriftResultRecord => ({
  namespace: r.namespace,
  model: r.model,
  runMs: r.run_ms,
  windowFromMs: r.window_from_ms,
  windowToMs: r.window_to_ms,
  endpoint: r.endpoint,
  level: r.level,
  driftShare: r.drift_share,
  feature: r.feature,
  kind: r.kind,
  test: r.test,
  featureLevel: r.feature_level,
  score: r.score,
  pValue: r.p_value,
  adjustedPValue: r.adjusted_p_value,
  threshold: r.threshold,
  referenceSize: r.reference_size,
  currentSize: r.current_size,
  details: r.details,
});

const parseList = (text: string | null): unknown[] | null => (text === null ? null : (JSON.parse(text) as unknown[]));

/** The DriftStore reads over one (query-only) connection. */
export function sqliteDriftReads(db: Database.Database): DriftReads {
  const samples = db.prepare(
    `SELECT endpoint, time_ms, features, outputs, response_payload FROM predictions
     WHERE namespace = @ns AND model = @model AND time_ms >= @from AND time_ms < @to AND (features IS NOT NULL OR outputs IS NOT NULL)
     ORDER BY time_ms, pid LIMIT @limit`,
  );
  const ranged = db.prepare('SELECT * FROM drift_results WHERE namespace = @ns AND model = @model AND run_ms >= @from AND run_ms < @to ORDER BY run_ms, id LIMIT @limit');
  const latest = db.prepare(
    'SELECT * FROM drift_results WHERE namespace = @ns AND model = @model AND run_ms = (SELECT MAX(run_ms) FROM drift_results WHERE namespace = @ns AND model = @model) ORDER BY id LIMIT @limit',
  );
  return {
    driftSamples(q) {
      return new Promise((resolve) => {
        type Row = { endpoint: string; time_ms: number; features: string | null; outputs: string | null; response_payload: string | Buffer | null };
        const rows = samples.all({ ns: q.namespace, model: q.model, from: q.fromMs, to: q.toMs, limit: q.limit }) as Row[];
        resolve(rows.map((r): DriftSample => ({ endpoint: r.endpoint, timeMs: r.time_ms, features: parseList(r.features), predictions: parseList(r.outputs), response: r.response_payload })));
      });
    },
    driftResults(q) {
      return new Promise((resolve) => {
        const base = { ns: q.namespace, model: q.model, limit: q.limit };
        const rows =
          q.fromMs === undefined && q.toMs === undefined
            ? (latest.all(base) as ResultRow[])
            : (ranged.all({ ...base, from: q.fromMs ?? 0, to: q.toMs ?? Number.MAX_SAFE_INTEGER }) as ResultRow[]);
        resolve(rows.map(fromRow));
      });
    },
  };
}
