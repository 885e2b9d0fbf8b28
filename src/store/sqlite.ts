/**
 * The SQLite adapter of the Store port (better-sqlite3 12, one file, WAL).
 *
 * Durability: "acknowledged means durable". WAL with `synchronous = FULL` syncs the WAL on every
 * commit, so a committed batch survives a process kill and a power loss; `NORMAL` in WAL mode
 * survives a process crash but may lose the last commits on power loss, which would break the
 * promise behind a 2xx. One fsync per batch (hundreds of events) keeps FULL cheap.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { InferenceEvent, SpanRecord } from '../ingest/types.js';
import { sqliteDriftStore } from './drift-sql.js';
import { migrate } from './migrations.js';
import type { DriftResultRecord, DriftSample, DriftStore, ModelSummary, PredictionPage, PredictionQuery, Store, WindowCount, WindowCountQuery, WriteResult } from './port.js';
import { predictionFromRow, type PredictionRow, decodeCursor, encodeCursor } from './rows.js';
import { INSERT_EVENT, INSERT_SPAN, UPSERT_REQUEST, UPSERT_RESPONSE } from './statements.js';

/** The connection settings of every store connection (see the durability note above). */
export function applyPragmas(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // A 64 MiB page cache keeps the unique and time indexes hot under batch inserts.
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
}

/** Opens (creating when missing) and migrates a SQLite store at `file` (`:memory:` for a private one). */
export function openSqliteStore(file: string): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (cause) {
    throw new Error(`cannot open database "${file}"`, { cause });
  }
  try {
    applyPragmas(db);
    migrate(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteStore(db);
}

class SqliteStore implements Store {
  private readonly insertEvent;
  private readonly upsertRequest;
  private readonly upsertResponse;
  private readonly insertSpan;
  private readonly writeEvents;
  private readonly writeSpans;
  private readonly drift: DriftStore;

  constructor(private readonly db: Database.Database) {
    this.drift = sqliteDriftStore(db);
    this.insertEvent = db.prepare(INSERT_EVENT);
    this.upsertRequest = db.prepare(UPSERT_REQUEST);
    this.upsertResponse = db.prepare(UPSERT_RESPONSE);
    this.insertSpan = db.prepare(INSERT_SPAN);
    this.writeEvents = db.transaction((events: readonly InferenceEvent[], now: number): WriteResult => {
      let inserted = 0;
      for (const e of events) {
        if (this.insertEvent.run(e.source, e.id, e.type, now).changes === 0) continue;
        inserted++;
        const common = [e.namespace, e.model, e.id, e.endpoint, e.component, e.revision, e.protocol, e.path, e.timeMs, now, e.timeMs, e.payload, e.contentType, e.decoded, e.truncated ? 1 : 0, e.redacted, e.metadata];
        if (e.kind === 'request') this.upsertRequest.run(common);
        else this.upsertResponse.run([...common, e.status, e.latencyMs]);
      }
      return { inserted, duplicates: events.length - inserted };
    });
    this.writeSpans = db.transaction((spans: readonly SpanRecord[]): WriteResult => {
      let inserted = 0;
      for (const s of spans) {
        inserted += this.insertSpan.run(s.traceId, s.spanId, s.parentSpanId, s.name, s.startMs, s.durationMs, s.statusCode, s.httpStatus, s.model, s.namespace, s.requestId, s.serviceName, s.attributes).changes;
      }
      return { inserted, duplicates: spans.length - inserted };
    });
  }

  insertEvents(events: readonly InferenceEvent[]): Promise<WriteResult> {
    // A failed transaction (rolled back) becomes a rejection, never a synchronous throw.
    return new Promise((resolve) => resolve(this.writeEvents(events, Date.now())));
  }

  insertSpans(spans: readonly SpanRecord[]): Promise<WriteResult> {
    return new Promise((resolve) => resolve(this.writeSpans(spans)));
  }

  predictions(q: PredictionQuery): Promise<PredictionPage> {
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const rows = this.db
      .prepare(
        `SELECT p.*, (SELECT s.trace_id FROM spans s WHERE s.request_id = p.request_id LIMIT 1) AS trace_id
         FROM predictions p WHERE p.namespace = @ns AND p.model = @model AND p.time_ms >= @from AND p.time_ms < @to
         ${after === undefined ? '' : 'AND (p.time_ms < @ct OR (p.time_ms = @ct AND p.pid < @cp))'}
         ORDER BY p.time_ms DESC, p.pid DESC LIMIT @limit`,
      )
      .all({ ns: q.namespace, model: q.model, from: q.fromMs ?? 0, to: q.toMs ?? Number.MAX_SAFE_INTEGER, limit: q.limit + 1, ...(after === undefined ? {} : { ct: after.timeMs, cp: after.pid }) }) as PredictionRow[];
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return Promise.resolve({ items: page.map(predictionFromRow), cursor: rows.length > q.limit && last !== undefined ? encodeCursor(last.time_ms, last.pid) : null });
  }

  windowCounts(q: WindowCountQuery): Promise<WindowCount[]> {
    const bad = q.latencyThresholdMs === null ? 'status >= 500' : 'latency_ms > @threshold';
    const cols = q.windowsMs.map((_, i) => `COALESCE(SUM(time_ms > @w${i}), 0) AS t${i}, COALESCE(SUM(time_ms > @w${i} AND ${bad}), 0) AS b${i}`).join(', ');
    const params: Record<string, number | string> = { ns: q.namespace, model: q.model, now: q.nowMs, from: q.nowMs - Math.max(...q.windowsMs) };
    q.windowsMs.forEach((w, i) => (params[`w${i}`] = q.nowMs - w));
    if (q.latencyThresholdMs !== null) params.threshold = q.latencyThresholdMs;
    const filter = q.latencyThresholdMs === null ? 'status IS NOT NULL' : 'latency_ms IS NOT NULL';
    const row = this.db
      .prepare(`SELECT ${cols} FROM predictions WHERE namespace = @ns AND model = @model AND time_ms > @from AND time_ms <= @now AND ${filter}`)
      .get(params) as Record<string, number>;
    return Promise.resolve(q.windowsMs.map((_, i) => ({ total: row[`t${i}`] ?? 0, bad: row[`b${i}`] ?? 0 })));
  }

  modelSummaries(): Promise<ModelSummary[]> {
    type P = { namespace: string; model: string; total: number; joined: number; pending: number; expired: number; first: number | null; last: number | null };
    type S = { namespace: string; model: string; total: number; errors: number; mean: number | null; n: number };
    const preds = this.db
      .prepare(`SELECT namespace, model, COUNT(*) AS total, SUM(state = 'joined') AS joined, SUM(state = 'pending') AS pending, SUM(state = 'expired') AS expired, MIN(time_ms) AS first, MAX(time_ms) AS last FROM predictions GROUP BY namespace, model`)
      .all() as P[];
    const spans = this.db
      .prepare(`SELECT namespace, model, COUNT(*) AS total, SUM(status_code = 2 OR http_status >= 500) AS errors, AVG(duration_ms) AS mean, COUNT(*) AS n FROM spans WHERE model IS NOT NULL AND namespace IS NOT NULL GROUP BY namespace, model`)
      .all() as S[];
    const p99 = this.db.prepare('SELECT duration_ms FROM spans WHERE namespace = ? AND model = ? ORDER BY duration_ms LIMIT 1 OFFSET ?').pluck();
    const out = new Map<string, ModelSummary>();
    const entry = (namespace: string, model: string): ModelSummary => {
      const key = `${namespace}/${model}`;
      let s = out.get(key);
      if (s === undefined) {
        s = { namespace, model, predictions: { total: 0, joined: 0, pending: 0, expired: 0, firstMs: null, lastMs: null }, spans: { total: 0, errors: 0, meanMs: null, p99Ms: null } };
        out.set(key, s);
      }
      return s;
    };
    for (const p of preds) entry(p.namespace, p.model).predictions = { total: p.total, joined: p.joined, pending: p.pending, expired: p.expired, firstMs: p.first, lastMs: p.last };
    for (const s of spans) {
      // Nearest-rank p99: the ceil(0.99 n)-th smallest duration.
      const rank = Math.max(0, Math.ceil(0.99 * s.n) - 1);
      entry(s.namespace, s.model).spans = { total: s.total, errors: s.errors, meanMs: s.mean, p99Ms: (p99.get(s.namespace, s.model, rank) as number | undefined) ?? null };
    }
    return Promise.resolve([...out.values()]);
  }

  expireJoins(beforeMs: number): Promise<number> {
    return Promise.resolve(this.db.prepare(`UPDATE predictions SET state = 'expired' WHERE state = 'pending' AND received_ms < ?`).run(beforeMs).changes);
  }

  applyRetention(payloadBeforeMs: number, aggregateBeforeMs: number): Promise<{ payloads: number; records: number }> {
    return Promise.resolve(
      this.db.transaction(() => {
        const payloads = this.db
          .prepare('UPDATE predictions SET request_payload = NULL, response_payload = NULL, features = NULL, outputs = NULL WHERE time_ms < ? AND (request_payload IS NOT NULL OR response_payload IS NOT NULL OR features IS NOT NULL OR outputs IS NOT NULL)')
          .run(payloadBeforeMs).changes;
        this.db.prepare('DELETE FROM spans WHERE start_ms < ?').run(payloadBeforeMs);
        const records = this.db.prepare('DELETE FROM predictions WHERE time_ms < ?').run(aggregateBeforeMs).changes;
        this.db.prepare('DELETE FROM events WHERE received_ms < ?').run(aggregateBeforeMs);
        return { payloads, records };
      })(),
    );
  }

  driftSamples(q: Parameters<DriftStore['driftSamples']>[0]): Promise<DriftSample[]> {
    return this.drift.driftSamples(q);
  }

  insertDriftResults(rows: readonly DriftResultRecord[]): Promise<void> {
    return this.drift.insertDriftResults(rows);
  }

  driftResults(q: Parameters<DriftStore['driftResults']>[0]): Promise<DriftResultRecord[]> {
    return this.drift.driftResults(q);
  }

  ready(): boolean {
    return this.db.open;
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
