/**
 * Ground truth in SQLite (migration 6): the writer's statements for labels and judgements, and the
 * reads of the joins still to judge, the judged pairs and the label counts.
 */
import type Database from 'better-sqlite3';
import type { LabelCount, LabelJoin, LabelJudgement, LabelledPrediction, LabelRecord } from './port.js';

/** A label that is new, or else ignored: the first label of a request id is kept. */
const INSERT_LABEL = `INSERT OR IGNORE INTO labels (namespace, model, request_id, label, time_ms, received_ms) VALUES (?, ?, ?, ?, ?, ?)`;
const STORED_LABEL = 'SELECT label FROM labels WHERE namespace = ? AND model = ? AND request_id = ?';
/** A judgement, once: a label already judged keeps its first judgement (and is counted once). */
const JUDGE = `UPDATE labels SET outcome = ?, revision = ?, prediction = ?, prediction_time_ms = ?, joined_ms = ?
  WHERE namespace = ? AND model = ? AND request_id = ? AND outcome IS NULL`;
const COUNT = `INSERT INTO label_counts (namespace, model, revision, outcome, n) VALUES (?, ?, ?, ?, 1)
  ON CONFLICT (namespace, model, revision, outcome) DO UPDATE SET n = n + 1`;

/** Retention of labels: judged ones with the records (aggregate horizon), unjudged ones with the payloads they wait for. */
export const RETAIN_LABELS = 'DELETE FROM labels WHERE outcome IS NOT NULL AND prediction_time_ms < ?';
export const RETAIN_UNJOINED_LABELS = 'DELETE FROM labels WHERE outcome IS NULL AND received_ms < ?';

/** The revision label of counts of a prediction without a known revision. */
export const UNKNOWN_REVISION = 'unknown';

/** A label that differs from the stored one (thrown in the writer; the request's savepoint is rolled back). */
export const LABEL_CONFLICT_CODE = 'MODELSLO_LABEL_CONFLICT';

/** The writer's side: prepared once on the write connection. */
export function feedbackWrites(db: Database.Database) {
  const insert = db.prepare(INSERT_LABEL);
  const stored = db.prepare(STORED_LABEL).pluck();
  const judge = db.prepare(JUDGE);
  const count = db.prepare(COUNT);
  return {
    /** Returns [inserted, duplicates]; throws (code LABEL_CONFLICT_CODE, message JSON {index, stored}) on a different label. */
    labels(records: readonly LabelRecord[], now: number): [number, number] {
      let inserted = 0;
      records.forEach((r, index) => {
        if (insert.run(r.namespace, r.model, r.requestId, r.label, r.timeMs, now).changes === 1) {
          inserted++;
          return;
        }
        const prior = stored.get(r.namespace, r.model, r.requestId) as string;
        if (prior !== r.label) throw Object.assign(new Error(JSON.stringify({ index, stored: prior })), { code: LABEL_CONFLICT_CODE });
      });
      return [inserted, records.length - inserted];
    },
    /** Returns [judged now, already judged]. */
    judgements(records: readonly LabelJudgement[], now: number): [number, number] {
      let fresh = 0;
      for (const j of records) {
        if (judge.run(j.outcome, j.revision, j.prediction, j.predictionTimeMs, now, j.namespace, j.model, j.requestId).changes === 0) continue;
        fresh++;
        if (j.outcome !== 'unreadable') count.run(j.namespace, j.model, j.revision ?? UNKNOWN_REVISION, j.outcome);
      }
      return [fresh, records.length - fresh];
    },
  };
}

type JoinRow = { namespace: string; model: string; request_id: string; label: string; revision: string | null; time_ms: number; outputs: string | null; response_payload: string | Buffer | null };
type LabelledRow = { revision: string | null; label: string; prediction: string; prediction_time_ms: number };

/** The reads (on the query connection). */
export function sqliteFeedbackReads(db: Database.Database) {
  const pending = db.prepare(`SELECT l.namespace, l.model, l.request_id, l.label, p.revision, p.time_ms, p.outputs, p.response_payload
    FROM labels l JOIN predictions p ON p.namespace = l.namespace AND p.model = l.model AND p.request_id = l.request_id
    WHERE l.outcome IS NULL AND p.response_time_ms IS NOT NULL LIMIT ?`);
  const labelled = db.prepare(`SELECT revision, label, prediction, prediction_time_ms FROM labels
    WHERE namespace = ? AND model = ? AND outcome IN ('correct', 'incorrect') AND prediction_time_ms >= ? AND prediction_time_ms < ?
    ORDER BY prediction_time_ms, request_id`);
  const counts = db.prepare('SELECT namespace, model, revision, outcome, n FROM label_counts ORDER BY namespace, model, revision, outcome');
  return {
    pendingJoins(limit: number): Promise<LabelJoin[]> {
      const rows = pending.all(limit) as JoinRow[];
      return Promise.resolve(
        rows.map((r) => ({ namespace: r.namespace, model: r.model, requestId: r.request_id, label: r.label, revision: r.revision, timeMs: r.time_ms, predictions: r.outputs === null ? null : (JSON.parse(r.outputs) as unknown[]), response: r.response_payload })),
      );
    },
    labelled(q: { namespace: string; model: string; fromMs: number; toMs: number }): Promise<LabelledPrediction[]> {
      const rows = labelled.all(q.namespace, q.model, q.fromMs, q.toMs) as LabelledRow[];
      return Promise.resolve(rows.map((r) => ({ revision: r.revision, label: JSON.parse(r.label) as unknown, prediction: JSON.parse(r.prediction) as unknown, timeMs: r.prediction_time_ms })));
    },
    labelCounts(): Promise<LabelCount[]> {
      return Promise.resolve(counts.all() as LabelCount[]);
    },
  };
}
