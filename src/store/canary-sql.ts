/** SQLite reads of the CanaryStore part of the port, and the row mapping of its one write (group-commit.ts runs it). */
import type Database from 'better-sqlite3';
import type { CanaryDecisionRecord, CanaryStore, RevisionSample } from './port.js';

/** The CanaryStore reads. */
export type CanaryReads = Pick<CanaryStore, 'revisionSamples' | 'canaryDecisions'>;

interface DecisionRow {
  id: number;
  namespace: string;
  model: string;
  time_ms: number;
  canary_revision: string;
  primary_revision: string | null;
  percent: number | null;
  verdict: CanaryDecisionRecord['verdict'];
  outcome: CanaryDecisionRecord['outcome'];
  reason: string;
  checks: string;
  action: CanaryDecisionRecord['action'];
  patch: string | null;
  api_response: string | null;
  error: string | null;
  canary_requests: number;
  primary_requests: number;
  failures: number;
  passes: number;
}

const json = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Named parameters of INSERT_CANARY_DECISION for a record. */
export function canaryDecisionParams(r: CanaryDecisionRecord): Record<string, unknown> {
  return {
    namespace: r.namespace,
    model: r.model,
    timeMs: r.timeMs,
    revision: r.revision,
    primaryRevision: r.primaryRevision,
    percent: r.percent,
    verdict: r.verdict,
    outcome: r.outcome,
    reason: r.reason,
    checks: JSON.stringify(r.checks),
    action: r.action,
    patch: r.patch === null || r.patch === undefined ? null : JSON.stringify(r.patch),
    apiResponse: r.apiResponse === null || r.apiResponse === undefined ? null : JSON.stringify(r.apiResponse),
    error: r.error,
    canaryRequests: r.requests.canary,
    primaryRequests: r.requests.primary,
    failures: r.progress.failures,
    passes: r.progress.passes,
  };
}

const fromRow = (r: DecisionRow): CanaryDecisionRecord => ({
  id: r.id,
  namespace: r.namespace,
  model: r.model,
  timeMs: r.time_ms,
  revision: r.canary_revision,
  primaryRevision: r.primary_revision,
  percent: r.percent,
  verdict: r.verdict,
  outcome: r.outcome,
  reason: r.reason,
  checks: json(r.checks) as unknown[],
  action: r.action,
  patch: json(r.patch),
  apiResponse: json(r.api_response),
  error: r.error,
  requests: { canary: r.canary_requests, primary: r.primary_requests },
  progress: { failures: r.failures, passes: r.passes },
});

/** The CanaryStore reads over one (query-only) connection. */
export function sqliteCanaryReads(db: Database.Database): CanaryReads {
  const samples = db.prepare(
    `SELECT time_ms, status, latency_ms, outputs, response_payload FROM predictions
     WHERE namespace = @ns AND model = @model AND time_ms >= @from AND time_ms < @to AND status IS NOT NULL
       AND (revision = @revision OR (revision IS NULL AND endpoint = @endpoint))
     ORDER BY time_ms DESC LIMIT @limit`,
  );
  const decisions = db.prepare(
    `SELECT * FROM (SELECT * FROM canary_decisions WHERE namespace = @ns AND model = @model AND time_ms >= @from AND time_ms < @to ORDER BY time_ms DESC, id DESC LIMIT @limit)
     ORDER BY time_ms, id`,
  );
  return {
    revisionSamples(q) {
      return new Promise((resolve) => {
        type Row = { time_ms: number; status: number; latency_ms: number | null; outputs: string | null; response_payload: string | Buffer | null };
        const rows = samples.all({ ns: q.namespace, model: q.model, from: q.fromMs, to: q.toMs, revision: q.revision, endpoint: q.endpoint, limit: q.limit }) as Row[];
        resolve(rows.map((r): RevisionSample => ({ timeMs: r.time_ms, status: r.status, latencyMs: r.latency_ms, predictions: json(r.outputs) as unknown[] | null, response: r.response_payload })));
      });
    },
    canaryDecisions(q) {
      return new Promise((resolve) => {
        const rows = decisions.all({ ns: q.namespace, model: q.model, from: q.fromMs ?? 0, to: q.toMs ?? Number.MAX_SAFE_INTEGER, limit: q.limit }) as DecisionRow[];
        resolve(rows.map(fromRow));
      });
    },
  };
}
