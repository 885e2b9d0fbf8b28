/** SQLite reads of the alert journal and of reports (request records, revisions); the writes are in group-commit.ts. */
import type Database from 'better-sqlite3';
import type { AlertJournalStore, AlertRecord, ReportStore } from './port.js';

/** The reads of the AlertJournalStore and ReportStore ports. */
export type ReportReads = Pick<AlertJournalStore, 'alertJournal'> & ReportStore;

interface AlertRow {
  fingerprint: string;
  status: string;
  starts_at_ms: number;
  ends_at_ms: number | null;
  alertname: string;
  labels: string;
  annotations: string;
  receivers: string;
  group_key: string;
  received_ms: number;
}

const alertFromRow = (r: AlertRow): AlertRecord => ({
  fingerprint: r.fingerprint,
  status: r.status === 'resolved' ? 'resolved' : 'firing',
  startsAtMs: r.starts_at_ms,
  endsAtMs: r.ends_at_ms,
  alertname: r.alertname,
  labels: JSON.parse(r.labels) as Record<string, string>,
  annotations: JSON.parse(r.annotations) as Record<string, string>,
  receivers: JSON.parse(r.receivers) as string[],
  groupKey: r.group_key,
  receivedMs: r.received_ms,
});

/** The report reads over one (query-only) connection. */
export function sqliteReportReads(db: Database.Database): ReportReads {
  const journal = db.prepare(
    `SELECT * FROM alert_journal WHERE namespace = @ns AND model = @model AND starts_at_ms < @to AND COALESCE(ends_at_ms, @to) >= @from
     ORDER BY starts_at_ms, status, id`,
  );
  const records = db.prepare(
    `SELECT time_ms, revision, endpoint, status, latency_ms FROM predictions
     WHERE namespace = @ns AND model = @model AND time_ms >= @from AND time_ms < @to AND status IS NOT NULL ORDER BY time_ms, pid`,
  );
  const revisions = db.prepare(
    `SELECT revision, MIN(time_ms) AS first, MAX(time_ms) AS last FROM predictions
     WHERE namespace = @ns AND model = @model AND revision IS NOT NULL GROUP BY revision ORDER BY first, revision`,
  );
  const oldest = db.prepare('SELECT MIN(time_ms) FROM predictions WHERE namespace = @ns AND model = @model').pluck();
  return {
    alertJournal(q) {
      return new Promise((resolve) => resolve((journal.all({ ns: q.namespace, model: q.model, from: q.fromMs, to: q.toMs }) as AlertRow[]).map(alertFromRow)));
    },
    requestRecords(q) {
      return new Promise((resolve) => {
        type Row = { time_ms: number; revision: string | null; endpoint: string; status: number; latency_ms: number | null };
        const rows = records.all({ ns: q.namespace, model: q.model, from: q.fromMs, to: q.toMs }) as Row[];
        resolve(rows.map((r) => ({ timeMs: r.time_ms, revision: r.revision, endpoint: r.endpoint, status: r.status, latencyMs: r.latency_ms })));
      });
    },
    revisions(q) {
      return new Promise((resolve) => {
        const rows = revisions.all({ ns: q.namespace, model: q.model }) as Array<{ revision: string; first: number; last: number }>;
        resolve({ revisions: rows.map((r) => ({ revision: r.revision, firstMs: r.first, lastMs: r.last })), oldestMs: (oldest.get({ ns: q.namespace, model: q.model }) as number | null) ?? null });
      });
    },
  };
}
