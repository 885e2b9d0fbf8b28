/**
 * Group commit over the one write connection: every queued request runs in its own SAVEPOINT inside
 * ONE transaction, so a group of N requests costs one commit (one WAL fsync with synchronous=FULL)
 * instead of N. A request that fails rolls back to its savepoint alone (all-or-nothing per request)
 * and the others still commit; nobody is answered before the COMMIT returns.
 */
import { Buffer } from 'node:buffer';
import type Database from 'better-sqlite3';
import { EVENT_FIELDS, SPAN_FIELDS, type WriteReply, type WriteRequest } from './write-messages.js';
import { canaryDecisionParams } from './canary-sql.js';
import { feedbackWrites, RETAIN_LABELS, RETAIN_UNJOINED_LABELS } from './feedback-sql.js';
import { EXPIRE_JOINS, INSERT_ALERT, INSERT_CANARY_DECISION, INSERT_DRIFT_RESULT, INSERT_EVENT, INSERT_SPAN, RETAIN_ALERTS, RETAIN_EVENTS, RETAIN_PAYLOADS, RETAIN_RECORDS, RETAIN_SPANS, UPSERT_REQUEST, UPSERT_RESPONSE } from './statements.js';

/** Runs one group of requests in one transaction and returns one reply per request, in order. */
export type GroupCommitter = (requests: readonly WriteRequest[]) => WriteReply[];

/** A structured clone turns a Buffer into a plain Uint8Array; bind it as a Buffer (a BLOB) again. */
const blob = (v: unknown): unknown => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);

function failure(seq: number, err: unknown): WriteReply {
  const e = err as { message?: unknown; code?: unknown };
  return { seq, ok: false, message: typeof e.message === 'string' ? e.message : String(err), code: typeof e.code === 'string' ? e.code : null };
}

/** Prepares the write statements on `db` (the writer's connection) and returns the group committer. */
export function createGroupCommitter(db: Database.Database): GroupCommitter {
  const insertEvent = db.prepare(INSERT_EVENT);
  const upsertRequest = db.prepare(UPSERT_REQUEST);
  const upsertResponse = db.prepare(UPSERT_RESPONSE);
  const insertSpan = db.prepare(INSERT_SPAN);
  const insertDrift = db.prepare(INSERT_DRIFT_RESULT);
  const insertCanary = db.prepare(INSERT_CANARY_DECISION);
  const insertAlert = db.prepare(INSERT_ALERT);
  const expire = db.prepare(EXPIRE_JOINS);
  const feedback = feedbackWrites(db);
  const retainLabels = [RETAIN_LABELS, RETAIN_UNJOINED_LABELS].map((sql) => db.prepare(sql));
  const retain = [RETAIN_PAYLOADS, RETAIN_SPANS, RETAIN_RECORDS, RETAIN_EVENTS, RETAIN_ALERTS].map((sql) => db.prepare(sql));
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const savepoint = db.prepare('SAVEPOINT request');
  const release = db.prepare('RELEASE request');
  const rollbackTo = db.prepare('ROLLBACK TO request');

  /** Runs one request's statements; returns its two counts. */
  const run = (r: WriteRequest, now: number): [number, number] => {
    switch (r.op) {
      case 'events': {
        const rows = r.rows;
        let inserted = 0;
        for (let i = 0; i < rows.length; i += EVENT_FIELDS) {
          const id = rows[i + 1];
          if (insertEvent.run(rows[i], id, rows[i + 2], now).changes === 0) continue;
          inserted++;
          const timeMs = rows[i + 11];
          // The 17 common parameters of UPSERT_REQUEST / UPSERT_RESPONSE (see statements.ts).
          const common = [rows[i + 4], rows[i + 5], id, rows[i + 6], rows[i + 7], rows[i + 8], rows[i + 9], rows[i + 10], timeMs, now, timeMs, blob(rows[i + 12]), rows[i + 13], rows[i + 14], rows[i + 15], rows[i + 16], rows[i + 17]];
          if (rows[i + 3] === 0) upsertRequest.run([...common, rows[i + 20]]);
          else upsertResponse.run([...common, rows[i + 18], rows[i + 19], rows[i + 20]]);
        }
        const n = rows.length / EVENT_FIELDS;
        return [inserted, n - inserted];
      }
      case 'spans': {
        const rows = r.rows;
        let inserted = 0;
        for (let i = 0; i < rows.length; i += SPAN_FIELDS) inserted += insertSpan.run(rows.slice(i, i + SPAN_FIELDS)).changes;
        return [inserted, rows.length / SPAN_FIELDS - inserted];
      }
      case 'drift':
        for (const rec of r.records) insertDrift.run(rec);
        return [r.records.length, 0];
      case 'canary':
        return [Number(insertCanary.run(canaryDecisionParams(r.record)).lastInsertRowid), 0];
      case 'alerts': {
        let inserted = 0;
        for (const a of r.records) {
          const l = a.labels;
          inserted += insertAlert.run(a.fingerprint, a.status, a.startsAtMs, a.endsAtMs, a.alertname, l.namespace ?? null, l.model ?? null, l.severity ?? null, l.slo ?? null, JSON.stringify(l), JSON.stringify(a.annotations), JSON.stringify(a.receivers), a.groupKey, a.receivedMs).changes;
        }
        return [inserted, r.records.length - inserted];
      }
      case 'labels':
        return feedback.labels(r.records, now);
      case 'judgements':
        return feedback.judgements(r.records, now);
      case 'expire':
        return [expire.run(r.beforeMs).changes, 0];
      case 'probe': {
        const version = db.pragma('user_version', { simple: true }) as number;
        db.pragma(`user_version = ${version}`);
        return [0, 0];
      }
      case 'retention': {
        const [payloads, spans, records, events, alerts] = retain;
        const p = payloads?.run(r.payloadBeforeMs).changes ?? 0;
        spans?.run(r.payloadBeforeMs);
        const n = records?.run(r.aggregateBeforeMs).changes ?? 0;
        events?.run(r.aggregateBeforeMs);
        alerts?.run(r.aggregateBeforeMs);
        // Judged labels go with the records; a label still waiting goes with the payloads it waits for.
        const [judged, unjoined] = retainLabels;
        judged?.run(r.aggregateBeforeMs);
        unjoined?.run(r.payloadBeforeMs);
        return [p, n];
      }
    }
  };

  return (requests) => {
    const replies: WriteReply[] = [];
    // Requests whose savepoint was released: they commit or fail together with the group.
    let held: Array<{ seq: number; a: number; b: number }> = [];
    const now = Date.now();
    begin.run();
    for (const r of requests) {
      savepoint.run();
      try {
        const [a, b] = run(r, now);
        release.run();
        held.push({ seq: r.seq, a, b });
      } catch (err) {
        replies.push(failure(r.seq, err));
        if (db.inTransaction) {
          rollbackTo.run();
          release.run();
        } else {
          // SQLite rolled back the whole transaction (I/O error, disk full…): the held requests are
          // gone too, so they fail (their clients retry; nothing of them was committed). Start afresh.
          for (const h of held) replies.push(failure(h.seq, new Error('the group transaction was rolled back by another request\'s storage error', { cause: err })));
          held = [];
          begin.run();
        }
      }
    }
    try {
      commit.run();
      for (const h of held) replies.push({ seq: h.seq, ok: true, a: h.a, b: h.b });
    } catch (err) {
      if (db.inTransaction) rollback.run();
      for (const h of held) replies.push(failure(h.seq, err));
    }
    return replies;
  };
}
