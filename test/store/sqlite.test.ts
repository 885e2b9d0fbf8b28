/** The SQLite store on a real temp file: migrations, joins, dedupe, expiry, retention, paging, window counts. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBatch } from '../../src/ingest/cloudevents.js';
import type { InferenceEvent } from '../../src/ingest/types.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../../src/store/migrations.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { sidecarEvent } from '../support/events.js';

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelslo-store-'));
  store = await openSqliteStore(join(dir, 'nested', 'store.db'));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function events(list: Array<Record<string, unknown>>): InferenceEvent[] {
  const d = decodeBatch(Buffer.from(JSON.stringify(list)), { eventPayloadBytes: 1 << 20, jsonDepth: 64 });
  if (!d.ok) throw new Error(d.error);
  return d.value.events;
}

describe('migrations', () => {
  it('applies every migration and records the version, in WAL mode with synchronous FULL', () => {
    const db = new Database(join(dir, 'nested', 'store.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(store.ready()).toBe(true);
  });

  it('applies the migrations after version 2 to a database left at 2, and every one to a new one', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6]);
    const file = join(dir, 'gap.db');
    const db = new Database(file);
    expect(migrate(db, file, MIGRATIONS.filter((m) => m.version <= 2))).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(migrate(db, file)).toBe(6);
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expect((db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('predictions') as string[])).toContain('decode_error');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    expect(tables).toEqual(expect.arrayContaining(['canary_decisions', 'alert_journal', 'labels', 'label_counts']));
    db.close();
    const fresh = new Database(':memory:');
    expect(migrate(fresh, ':memory:')).toBe(6);
    fresh.close();
  });

  it.each([
    ['a file that is not a database', (f: string) => writeFileSync(f, 'not sqlite at all, just text that is long enough to be read as a header'.repeat(20))],
    ['a directory where its parent should be', (f: string) => writeFileSync(join(f, '..'), 'x')],
  ])('names the file in every start-up error: %s', async (_name, make) => {
    const file = join(dir, `bad-${_name.length}`, 'store.db');
    mkdirSync(join(file, '..', '..'), { recursive: true });
    if (_name.startsWith('a file')) mkdirSync(join(file, '..'), { recursive: true });
    make(file);
    await expect(openSqliteStore(file)).rejects.toThrow(`cannot open database "${file}"`);
  });

  it('refuses a database with a newer schema, naming both versions', async () => {
    const file = join(dir, 'newer.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    await expect(openSqliteStore(file)).rejects.toThrow(`database "${file}" has schema version ${SCHEMA_VERSION + 5}, newer than this modelslo knows (${SCHEMA_VERSION})`);
  });
});

describe('writes', () => {
  it('joins halves in either order and skips repeats of (source, id, type)', async () => {
    expect(await store.insertEvents(events([sidecarEvent('response', 'j-1', { status: 500, latencyMs: 3 })]))).toEqual({ inserted: 1, duplicates: 0 });
    expect(await store.insertEvents(events([sidecarEvent('request', 'j-1'), sidecarEvent('request', 'j-1'), sidecarEvent('request', 'j-2')]))).toEqual({ inserted: 2, duplicates: 1 });
    const page = await store.predictions({ namespace: 'payments', model: 'fraud-detector', limit: 10 });
    const byId = new Map(page.items.map((p) => [p.requestId, p]));
    expect(byId.get('j-1')).toMatchObject({ state: 'joined', status: 500, latencyMs: 3 });
    expect(byId.get('j-2')?.state).toBe('pending');
  });

  it('rolls back a whole batch when one write fails', async () => {
    const good = events([sidecarEvent('request', 'rb-1')]);
    const broken = { ...good[0], id: 'rb-2', namespace: null } as unknown as InferenceEvent;
    await expect(store.insertEvents([...good, broken])).rejects.toThrow(/NOT NULL/);
    const page = await store.predictions({ namespace: 'payments', model: 'fraud-detector', limit: 100 });
    expect(page.items.map((p) => p.requestId)).not.toContain('rb-1');
  });

  it('expires halves unmatched past the TTL, and a late pair still joins', async () => {
    expect(await store.expireJoins(Date.now() + 1)).toBeGreaterThanOrEqual(1);
    const page = await store.predictions({ namespace: 'payments', model: 'fraud-detector', limit: 100 });
    expect(page.items.find((p) => p.requestId === 'j-2')?.state).toBe('expired');
    await store.insertEvents(events([sidecarEvent('response', 'j-2')]));
    const after = await store.predictions({ namespace: 'payments', model: 'fraud-detector', limit: 100 });
    expect(after.items.find((p) => p.requestId === 'j-2')?.state).toBe('joined');
  });
});

describe('reads', () => {
  it('pages newest first with a cursor, without gaps or repeats', async () => {
    const t = Date.parse('2024-05-01T00:00:00Z');
    await store.insertEvents(events(Array.from({ length: 25 }, (_, i) => sidecarEvent('request', `pg-${i}`, { timeMs: t + i * 1000, model: 'pager' }))));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.predictions({ namespace: 'payments', model: 'pager', limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((p) => p.requestId));
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `pg-${24 - i}`));
    const window = await store.predictions({ namespace: 'payments', model: 'pager', limit: 100, fromMs: t + 5000, toMs: t + 8000 });
    expect(window.items.map((p) => p.requestId)).toEqual(['pg-7', 'pg-6', 'pg-5']);
  });

  it('counts totals and errors per window (5xx for availability, latency over a threshold)', async () => {
    const now = Date.now();
    const list = [
      ...[1, 2, 3, 4].map((i) => sidecarEvent('response', `wc-${i}`, { model: 'wc', status: i === 1 ? 503 : 200, latencyMs: i * 100, timeMs: now - 60_000 })),
      sidecarEvent('response', 'wc-old', { model: 'wc', status: 500, latencyMs: 10, timeMs: now - 2 * 3_600_000 }),
    ];
    await store.insertEvents(events(list));
    const q = { namespace: 'payments', model: 'wc', nowMs: now, windowsMs: [300_000, 86_400_000] };
    expect(await store.windowCounts({ ...q, latencyThresholdMs: null })).toEqual([{ total: 4, bad: 1 }, { total: 5, bad: 2 }]);
    expect(await store.windowCounts({ ...q, latencyThresholdMs: 250 })).toEqual([{ total: 4, bad: 2 }, { total: 5, bad: 2 }]);
  });

  it('drops payloads after the payload retention and records after the aggregate retention', async () => {
    const now = Date.now();
    const r = await store.applyRetention(now + 1, 0);
    expect(r.payloads).toBeGreaterThan(0);
    const page = await store.predictions({ namespace: 'payments', model: 'fraud-detector', limit: 100 });
    expect(page.items.every((p) => p.request === null && p.response === null && p.features === null)).toBe(true);
    expect(page.items.length).toBeGreaterThan(0);
    await store.applyRetention(now + 1, now + 1);
    expect((await store.predictions({ namespace: 'payments', model: 'fraud-detector', limit: 100 })).items).toEqual([]);
  });
});
