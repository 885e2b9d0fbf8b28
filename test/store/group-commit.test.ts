/**
 * Group commit: many write requests in one transaction, each in its own savepoint — directly on a
 * connection (deterministic groups), and through the writer thread of the real store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBatch } from '../../src/ingest/cloudevents.js';
import type { InferenceEvent } from '../../src/ingest/types.js';
import { createGroupCommitter } from '../../src/store/group-commit.js';
import { migrate } from '../../src/store/migrations.js';
import { applyPragmas } from '../../src/store/pragmas.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { flattenEvents } from '../../src/store/write-messages.js';
import { sidecarEvent } from '../support/events.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelslo-group-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function events(ids: readonly string[], model = 'fraud-detector'): InferenceEvent[] {
  const d = decodeBatch(Buffer.from(JSON.stringify(ids.map((id) => sidecarEvent('request', id, { model })))), { eventPayloadBytes: 1 << 20, jsonDepth: 64 });
  if (!d.ok) throw new Error(d.error);
  return d.value.events;
}

/** A request whose second event violates NOT NULL: the whole request must roll back, its first event too. */
function broken(prefix: string): InferenceEvent[] {
  const [first, second] = events([`${prefix}-ok`, `${prefix}-bad`]);
  return [first!, { ...second!, namespace: null } as unknown as InferenceEvent];
}

function storedIds(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT request_id FROM predictions ORDER BY request_id').pluck().all() as string[]);
  } finally {
    db.close();
  }
}

describe('the group committer on one connection', () => {
  it('commits the good requests of a group and rolls back only the failing one, in one transaction', () => {
    const file = join(dir, 'unit.db');
    const db = new Database(file);
    applyPragmas(db);
    migrate(db, file);
    const commitGroup = createGroupCommitter(db);
    const replies = commitGroup([
      { seq: 1, op: 'events', rows: flattenEvents(events(['a-1', 'a-2'])) },
      { seq: 2, op: 'events', rows: flattenEvents(broken('b')) },
      { seq: 3, op: 'events', rows: flattenEvents(events(['c-1', 'a-1'])) },
    ]);
    expect(db.inTransaction).toBe(false);
    db.close();
    const bySeq = new Map(replies.map((r) => [r.seq, r]));
    expect(bySeq.get(1)).toEqual({ seq: 1, ok: true, a: 2, b: 0 });
    // a-1 again in request 3 is a duplicate of request 1, seen inside the same transaction.
    expect(bySeq.get(3)).toEqual({ seq: 3, ok: true, a: 1, b: 1 });
    expect(bySeq.get(2)).toMatchObject({ seq: 2, ok: false, code: 'SQLITE_CONSTRAINT_NOTNULL' });
    expect(storedIds(file)).toEqual(['a-1', 'a-2', 'c-1']);
  });
});

describe('the store through its writer thread', () => {
  it('acknowledges concurrent batches only after their group committed, with fewer commits than batches', async () => {
    const file = join(dir, 'concurrent.db');
    const store = await openSqliteStore(file);
    const batches = Array.from({ length: 20 }, (_, b) => events(Array.from({ length: 50 }, (_, i) => `cc-${b}-${i}`)));
    const results = await Promise.all(batches.map((b) => store.insertEvents(b)));
    expect(results).toEqual(batches.map(() => ({ inserted: 50, duplicates: 0 })));
    // Acknowledged means committed: the main thread's read connection sees every row right away.
    const page = await store.predictions({ namespace: 'payments', model: 'fraud-detector', limit: 1000 });
    expect(page.items).toHaveLength(1000);
    const stats = store.writerStats();
    expect(stats.requests).toBe(20);
    expect(stats.commits).toBeLessThan(20);
    await store.close();
    expect(storedIds(file)).toHaveLength(1000);
  });

  it('rejects only the failing request of concurrent ones; the others are stored', async () => {
    const file = join(dir, 'mixed.db');
    const store = await openSqliteStore(file);
    const outcomes = await Promise.allSettled([store.insertEvents(events(['m-1'])), store.insertEvents(broken('m-x')), store.insertEvents(events(['m-2']))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ message: expect.stringMatching(/NOT NULL/) as unknown });
    await store.close();
    expect(storedIds(file)).toEqual(['m-1', 'm-2']);
  });

  it('drains the writes accepted before close, then refuses new ones', async () => {
    const file = join(dir, 'drain.db');
    const store = await openSqliteStore(file);
    const writes = Array.from({ length: 10 }, (_, b) => store.insertEvents(events(Array.from({ length: 20 }, (_, i) => `dr-${b}-${i}`))));
    const closing = store.close();
    expect(store.ready()).toBe(false);
    await closing;
    expect((await Promise.allSettled(writes)).every((w) => w.status === 'fulfilled')).toBe(true);
    await expect(store.insertEvents(events(['late']))).rejects.toThrow('the store is closed');
    expect(storedIds(file)).toHaveLength(200);
  });

  it('writes drift results, expiry and retention through the writer, readable on the main connection', async () => {
    const store = await openSqliteStore(join(dir, 'upkeep.db'));
    const record = { namespace: 'payments', model: 'fraud-detector', runMs: 1000, windowFromMs: 0, windowToMs: 1000, endpoint: 'all', level: 'ok', driftShare: 0, feature: 'amount', kind: 'numerical', test: 'ks', featureLevel: 'ok', score: 0.1, pValue: 0.5, adjustedPValue: 0.5, threshold: 0.05, referenceSize: 10, currentSize: 10, details: null };
    await store.insertDriftResults([record]);
    expect(await store.driftResults({ namespace: 'payments', model: 'fraud-detector', limit: 10 })).toEqual([record]);
    await store.insertEvents(events(['u-1']));
    expect(await store.expireJoins(Date.now() + 1)).toBe(1);
    expect(await store.applyRetention(Date.now() + 1, Date.now() + 1)).toEqual({ payloads: 1, records: 1 });
    await store.close();
  });

  it('keeps the same group commit on its own connection for a private :memory: store', async () => {
    const store = await openSqliteStore(':memory:');
    const outcomes = await Promise.allSettled([store.insertEvents(events(['mem-1'])), store.insertEvents(broken('mem-x')), store.insertEvents(events(['mem-2', 'mem-1']))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.writerStats()).toEqual({ commits: 1, requests: 3 });
    const page = await store.predictions({ namespace: 'payments', model: 'fraud-detector', limit: 10 });
    expect(page.items.map((p) => p.requestId).sort()).toEqual(['mem-1', 'mem-2']);
    await store.close();
    expect(store.ready()).toBe(false);
  });
});
