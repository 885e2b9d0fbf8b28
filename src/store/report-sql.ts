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
  const counted = new Map<string, Database.Statement>();
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
    stepCounts(q) {
      return new Promise((resolve) => {
        const slow = q.thresholdsMs.map((_, i) => `, COALESCE(SUM(latency_ms > @t${i}), 0) AS s${i}`).join('');
        const skip = q.exclude.map((_, i) => ` AND NOT (time_ms >= @xa${i} AND time_ms < @xb${i})`).join('');
        const sql = `SELECT (time_ms - @from) / @step AS k, COUNT(*) AS total, COALESCE(SUM(status >= 500), 0) AS failed, COUNT(latency_ms) AS timed${slow}
          FROM predictions WHERE namespace = @ns AND model = @model AND time_ms >= @from AND time_ms < @to AND status IS NOT NULL${skip} GROUP BY k ORDER BY k`;
        let stmt = counted.get(sql);
        if (stmt === undefined) counted.set(sql, (stmt = db.prepare(sql)));
        const params: Record<string, number | string> = { ns: q.namespace, model: q.model, from: q.fromMs, to: q.toMs, step: q.stepMs };
        q.thresholdsMs.forEach((t, i) => (params[`t${i}`] = t));
        q.exclude.forEach((x, i) => ((params[`xa${i}`] = x.fromMs), (params[`xb${i}`] = x.toMs)));
        const rows = stmt.all(params) as Array<Record<string, number>>;
        resolve(rows.map((r) => ({ startMs: q.fromMs + (r.k ?? 0) * q.stepMs, total: r.total ?? 0, failed: r.failed ?? 0, timed: r.timed ?? 0, slow: q.thresholdsMs.map((_, i) => r[`s${i}`] ?? 0) })));
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
