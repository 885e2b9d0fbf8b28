/**
 * The SQLite adapter of the Store port (better-sqlite3 12, one file, WAL).
 *
 * Two connections: the writer thread (sqlite-writer-thread.ts) owns the only write connection and
 * group-commits the queued writes, so neither SQLite's work nor the WAL fsync of synchronous=FULL
 * blocks the daemon's event loop; this thread keeps a query-only connection for the status API and
 * drift reads (WAL lets readers run beside the writer and see every committed transaction).
 *
 * Durability: "acknowledged means durable". A write's promise resolves only after the COMMIT of its
 * group returned, i.e. after the WAL was fsynced (pragmas.ts); a request is all-or-nothing (its own
 * SAVEPOINT), and a repeated (source, id, type) is skipped.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { InferenceEvent, SpanRecord } from '../ingest/types.js';
import { sqliteCanaryReads } from './canary-sql.js';
import { sqliteDriftReads } from './drift-sql.js';
import { LABEL_CONFLICT_CODE, sqliteFeedbackReads } from './feedback-sql.js';
import { sqliteReportReads } from './report-sql.js';
import { migrate } from './migrations.js';
import { applyPragmas } from './pragmas.js';
import { LabelConflict, type AlertRecord, type CanaryDecisionRecord, type DriftResultRecord, type DriftSample, type LabelJudgement, type LabelRecord, type ModelSummary, type PredictionPage, type PredictionQuery, type Store, type WindowCount, type WindowCountQuery, type WriteResult } from './port.js';
import { predictionFromRow, type PredictionRow, decodeCursor, encodeCursor } from './rows.js';
import { inlineWriter, startWriterThread, WriteError, type Writer, type WriteOp, type WriterStats } from './sqlite-writer.js';
import { flattenEvents, flattenSpans, type PackedEvents } from './write-messages.js';

/** The SQLite store: the Store port, plus the writer's group-commit counts (for metrics). */
export interface SqliteStore extends Store {
  writerStats(): WriterStats;
}

/**
 * Opens (creating when missing) a SQLite store at `file` (`:memory:` for a private one): applies the
 * migrations on this thread's connection, then starts the writer thread; resolves when both are
 * open, so a store it returns is ready. A database newer than this code is refused.
 */
export async function openSqliteStore(file: string): Promise<SqliteStore> {
  let db: Database.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
  } catch (cause) {
    throw new Error(`cannot open database "${file}"`, { cause });
  }
  let writer: Writer;
  try {
    applyPragmas(db);
    migrate(db, file);
    if (file === ':memory:') writer = inlineWriter(db);
    else {
      writer = await startWriterThread(file);
      // From here on this connection only reads; every write goes through the writer.
      db.pragma('query_only = ON');
    }
  } catch (err) {
    db.close();
    // Every start-up error names the file (SQLite's own, such as "file is not a database", do not).
    throw err instanceof Error && err.message.includes(`"${file}"`) ? err : new Error(`cannot open database "${file}"`, { cause: err });
  }
  return new SqliteStoreImpl(db, writer);
}

/** SQLite result codes of storage failures (a full disk, I/O errors, a read-only or lost file): every write would fail. */
const STORAGE_CODES = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB)/;

/** How often, while not ready for a storage failure, readiness checks re-probe the disk with a one-page write. */
const PROBE_EVERY_MS = 5_000;

class SqliteStoreImpl implements SqliteStore {
  private readonly drift;
  private readonly canary;
  private readonly reports;
  private readonly feedback;
  /** The storage error of the latest failed write, until a write succeeds. */
  private storageFailure: string | null = null;
  private probedAt = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly writer: Writer,
  ) {
    this.drift = sqliteDriftReads(db);
    this.canary = sqliteCanaryReads(db);
    this.reports = sqliteReportReads(db);
    this.feedback = sqliteFeedbackReads(db);
  }

  /** One write; remembers a storage failure (readiness) until a write succeeds again. */
  private async write(op: WriteOp): Promise<[number, number]> {
    try {
      const r = await this.writer.write(op);
      this.storageFailure = null;
      return r;
    } catch (err) {
      const code = err instanceof WriteError ? err.code : null;
      if (code !== null && STORAGE_CODES.test(code)) this.storageFailure = `${code}: ${(err as Error).message}`;
      throw err;
    }
  }

  async insertEvents(events: readonly InferenceEvent[]): Promise<WriteResult> {
    const [inserted, duplicates] = await this.write({ op: 'events', rows: flattenEvents(events) });
    return { inserted, duplicates };
  }

  async insertPackedEvents(packed: PackedEvents): Promise<WriteResult> {
    const [inserted, duplicates] = await this.write({ op: 'packed-events', packed });
    return { inserted, duplicates };
  }

  async insertSpans(spans: readonly SpanRecord[]): Promise<WriteResult> {
    const [inserted, duplicates] = await this.write({ op: 'spans', rows: flattenSpans(spans) });
    return { inserted, duplicates };
  }

  async insertLabels(records: readonly LabelRecord[]): Promise<WriteResult> {
    try {
      const [inserted, duplicates] = await this.write({ op: 'labels', records });
      return { inserted, duplicates };
    } catch (err) {
      if (err instanceof WriteError && err.code === LABEL_CONFLICT_CODE) {
        const { index, stored } = JSON.parse(err.message) as { index: number; stored: string };
        throw new LabelConflict(index, stored);
      }
      throw err;
    }
  }

  pendingJoins(limit: number): ReturnType<Store['pendingJoins']> {
    return this.feedback.pendingJoins(limit);
  }

  async recordJudgements(judgements: readonly LabelJudgement[]): Promise<number> {
    return (await this.write({ op: 'judgements', records: judgements }))[0];
  }

  labelled(q: Parameters<Store['labelled']>[0]): ReturnType<Store['labelled']> {
    return this.feedback.labelled(q);
  }

  labelCounts(): ReturnType<Store['labelCounts']> {
    return this.feedback.labelCounts();
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

  async expireJoins(beforeMs: number): Promise<number> {
    return (await this.write({ op: 'expire', beforeMs }))[0];
  }

  async applyRetention(payloadBeforeMs: number, aggregateBeforeMs: number): Promise<{ payloads: number; records: number }> {
    const [payloads, records] = await this.write({ op: 'retention', payloadBeforeMs, aggregateBeforeMs });
    return { payloads, records };
  }

  driftSamples(q: Parameters<Store['driftSamples']>[0]): Promise<DriftSample[]> {
    return this.drift.driftSamples(q);
  }

  async insertDriftResults(rows: readonly DriftResultRecord[]): Promise<void> {
    await this.write({ op: 'drift', records: rows });
  }

  driftResults(q: Parameters<Store['driftResults']>[0]): Promise<DriftResultRecord[]> {
    return this.drift.driftResults(q);
  }

  revisionSamples(q: Parameters<Store['revisionSamples']>[0]): ReturnType<Store['revisionSamples']> {
    return this.canary.revisionSamples(q);
  }

  async insertCanaryDecision(rec: CanaryDecisionRecord): Promise<void> {
    await this.writer.write({ op: 'canary', record: rec });
  }

  canaryDecisions(q: Parameters<Store['canaryDecisions']>[0]): ReturnType<Store['canaryDecisions']> {
    return this.canary.canaryDecisions(q);
  }

  async insertAlerts(records: readonly AlertRecord[]): Promise<WriteResult> {
    const [inserted, duplicates] = await this.writer.write({ op: 'alerts', records });
    return { inserted, duplicates };
  }

  alertJournal(q: Parameters<Store['alertJournal']>[0]): Promise<AlertRecord[]> {
    return this.reports.alertJournal(q);
  }

  requestRecords(q: Parameters<Store['requestRecords']>[0]): ReturnType<Store['requestRecords']> {
    return this.reports.requestRecords(q);
  }

  stepCounts(q: Parameters<Store['stepCounts']>[0]): ReturnType<Store['stepCounts']> {
    return this.reports.stepCounts(q);
  }

  revisions(q: Parameters<Store['revisions']>[0]): ReturnType<Store['revisions']> {
    return this.reports.revisions(q);
  }

  /** Open with every migration applied (before the writer started), the writer accepting writes, and the disk taking them. */
  ready(): boolean {
    return this.readiness().ready;
  }

  readiness(): { ready: boolean; detail: string } {
    if (!this.db.open || !this.writer.alive()) return { ready: false, detail: 'store not open' };
    if (this.storageFailure === null) return { ready: true, detail: 'ready' };
    // Not ready until a write succeeds: probe the disk now and then (the answer comes with a later check).
    if (Date.now() - this.probedAt >= PROBE_EVERY_MS) {
      this.probedAt = Date.now();
      this.write({ op: 'probe' }).catch(() => undefined);
    }
    return { ready: false, detail: `store writes failing: ${this.storageFailure}` };
  }

  writerStats(): WriterStats {
    return this.writer.stats();
  }

  /** Drains the accepted writes (each commits before its promise resolves), then closes both connections. */
  async close(): Promise<void> {
    try {
      await this.writer.close();
    } finally {
      if (this.db.open) this.db.close();
    }
  }
}
