/**
 * Versioned schema migrations of the SQLite store, applied in order at open; the version lives in
 * `PRAGMA user_version`. A database newer than this code knows is refused (never downgraded).
 */
import type { Database } from 'better-sqlite3';

/** One migration: the schema version it produces, and its SQL. */
export interface Migration {
  version: number;
  sql: string;
}

/**
 * Every migration, oldest first. Append only: a released migration never changes. Versions may have
 * gaps (3 and 4 are taken by work landing beside 5): migrate() applies, in order, each one above the
 * database's version.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      -- The dedupe ledger: one row per (source, id, type) ever accepted, kept as long as aggregates.
      CREATE TABLE events (
        source TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, received_ms INTEGER NOT NULL,
        PRIMARY KEY (source, id, type)
      ) WITHOUT ROWID;
      CREATE INDEX events_received ON events (received_ms);
      -- One row per inference: the request and response halves joined by (namespace, model, request id).
      CREATE TABLE predictions (
        pid INTEGER PRIMARY KEY,
        namespace TEXT NOT NULL, model TEXT NOT NULL, request_id TEXT NOT NULL,
        endpoint TEXT NOT NULL, component TEXT NOT NULL, revision TEXT, protocol TEXT NOT NULL, path TEXT,
        time_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL, state TEXT NOT NULL,
        request_time_ms INTEGER, response_time_ms INTEGER, status INTEGER, latency_ms REAL,
        request_payload, response_payload, request_content_type TEXT, response_content_type TEXT,
        features TEXT, outputs TEXT, truncated INTEGER NOT NULL DEFAULT 0, redacted TEXT, metadata TEXT,
        UNIQUE (namespace, model, request_id)
      );
      CREATE INDEX predictions_time ON predictions (namespace, model, time_ms, pid);
      CREATE INDEX predictions_pending ON predictions (received_ms) WHERE state = 'pending';
      CREATE TABLE spans (
        trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT, name TEXT NOT NULL,
        start_ms INTEGER NOT NULL, duration_ms REAL NOT NULL, status_code INTEGER NOT NULL, http_status INTEGER,
        model TEXT, namespace TEXT, request_id TEXT, service_name TEXT, attributes TEXT NOT NULL,
        PRIMARY KEY (trace_id, span_id)
      ) WITHOUT ROWID;
      CREATE INDEX spans_model ON spans (namespace, model, start_ms);
      CREATE INDEX spans_request ON spans (request_id) WHERE request_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    sql: `
      -- Drift checks: one row per feature per run (a run: namespace, model, run_ms, endpoint).
      CREATE TABLE drift_results (
        id INTEGER PRIMARY KEY,
        namespace TEXT NOT NULL, model TEXT NOT NULL, run_ms INTEGER NOT NULL,
        window_from_ms INTEGER NOT NULL, window_to_ms INTEGER NOT NULL, endpoint TEXT NOT NULL,
        level TEXT NOT NULL, drift_share REAL NOT NULL,
        feature TEXT NOT NULL, kind TEXT NOT NULL, test TEXT NOT NULL, feature_level TEXT NOT NULL,
        score REAL, p_value REAL, adjusted_p_value REAL, threshold REAL NOT NULL,
        reference_size INTEGER NOT NULL, current_size INTEGER NOT NULL, details TEXT
      );
      CREATE INDEX drift_results_run ON drift_results (namespace, model, run_ms);
    `,
  },
  {
    version: 3,
    sql: `
      -- Canary analysis: the audit record of every decision (verdict, checks, the patch sent, the API's answer).
      CREATE TABLE canary_decisions (
        id INTEGER PRIMARY KEY,
        namespace TEXT NOT NULL, model TEXT NOT NULL, time_ms INTEGER NOT NULL,
        canary_revision TEXT NOT NULL, primary_revision TEXT, percent INTEGER,
        verdict TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, checks TEXT NOT NULL,
        action TEXT NOT NULL, patch TEXT, api_response TEXT, error TEXT,
        canary_requests INTEGER NOT NULL, primary_requests INTEGER NOT NULL,
        failures INTEGER NOT NULL, passes INTEGER NOT NULL
      );
      CREATE INDEX canary_decisions_time ON canary_decisions (namespace, model, time_ms);
      CREATE INDEX predictions_revision ON predictions (namespace, model, revision, time_ms);
    `,
  },
  {
    version: 4,
    sql: `
      -- The alert journal: one row per alert state seen in an Alertmanager notification; a repeated
      -- notification of the same (fingerprint, startsAt, status) is stored once.
      CREATE TABLE alert_journal (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL, status TEXT NOT NULL, starts_at_ms INTEGER NOT NULL, ends_at_ms INTEGER,
        alertname TEXT NOT NULL, namespace TEXT, model TEXT, severity TEXT, slo TEXT,
        labels TEXT NOT NULL, annotations TEXT NOT NULL, receivers TEXT NOT NULL,
        group_key TEXT NOT NULL, received_ms INTEGER NOT NULL,
        UNIQUE (fingerprint, starts_at_ms, status)
      );
      CREATE INDEX alert_journal_model ON alert_journal (namespace, model, starts_at_ms);
    `,
  },
  {
    version: 5,
    sql: `
      -- Why a half's body could not be decoded as its protocol (the raw payload is kept beside it).
      ALTER TABLE predictions ADD COLUMN decode_error TEXT;
    `,
  },
  {
    version: 6,
    sql: `
      -- Ground truth (POST /v1/feedback): one label per (namespace, model, request id), the first one
      -- kept. Joined to its prediction in either order: outcome stays NULL until the prediction's
      -- response is stored, then holds correct | incorrect | unreadable with the prediction's value.
      CREATE TABLE labels (
        namespace TEXT NOT NULL, model TEXT NOT NULL, request_id TEXT NOT NULL,
        label TEXT NOT NULL, time_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,
        outcome TEXT, revision TEXT, prediction TEXT, prediction_time_ms INTEGER, joined_ms INTEGER,
        PRIMARY KEY (namespace, model, request_id)
      ) WITHOUT ROWID;
      CREATE INDEX labels_unjoined ON labels (received_ms) WHERE outcome IS NULL;
      CREATE INDEX labels_time ON labels (namespace, model, prediction_time_ms) WHERE outcome IS NOT NULL;
      -- Totals of joined labels by outcome: the counters modelslo_predictions_labelled_total export.
      -- Only ever incremented (retention leaves them), so a restart does not reset the counters.
      CREATE TABLE label_counts (
        namespace TEXT NOT NULL, model TEXT NOT NULL, revision TEXT NOT NULL, outcome TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (namespace, model, revision, outcome)
      ) WITHOUT ROWID;
    `,
  },
];

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Applies the missing migrations, each in its own transaction; refuses a newer database. Returns the version. */
export function migrate(db: Database, file: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const known = migrations.at(-1)?.version ?? 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > known) {
    throw new Error(
      `database "${file}" has schema version ${current}, newer than this modelslo knows (${known}): it was written by a newer modelslo; upgrade modelslo or point --db at another file`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return Math.max(current, known);
}
