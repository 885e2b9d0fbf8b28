/** The daemon's write path over HTTP: concurrent batches group-committed by the writer thread, readiness, and a draining close. */
import Database from 'better-sqlite3';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { BATCH_TYPE, sidecarEvent } from '../support/events.js';
import { startTestDaemon, TEST_TOKEN } from '../support/daemon.js';

const batch = (b: number, size: number): string => JSON.stringify(Array.from({ length: size }, (_, i) => sidecarEvent(i % 2 === 0 ? 'request' : 'response', `gc-${b}-${i >> 1}`)));

function counter(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

function count(file: string, sql: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('the daemon write path', () => {
  it('acknowledges every one of many concurrent batches, stores each once, and commits them in fewer transactions', async () => {
    const d = await startTestDaemon();
    try {
      expect((await d.get('/readyz', false)).status).toBe(200);
      const before = (await d.get('/metrics')).text;
      const replies = await Promise.all(Array.from({ length: 24 }, (_, b) => d.post('/v1/events', batch(b, 40), BATCH_TYPE)));
      expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
      expect(replies.map((r) => r.body)).toEqual(replies.map(() => ({ accepted: 40, stored: 40, duplicates: 0, refused: [] })));
      const models = (await d.get('/api/v1/models')).body as { models: Array<{ model: string; predictions: { total: number; joined: number } }> };
      expect(models.models.find((m) => m.model === 'fraud-detector')?.predictions).toMatchObject({ total: 24 * 20, joined: 24 * 20 });
      const metrics = (await d.get('/metrics')).text;
      // Deltas over the 24 batches (background upkeep may have written before them).
      const requests = counter(metrics, 'modelslo_store_write_requests_total') - counter(before, 'modelslo_store_write_requests_total');
      const transactions = counter(metrics, 'modelslo_store_write_transactions_total') - counter(before, 'modelslo_store_write_transactions_total');
      expect(requests).toBe(24);
      expect(transactions).toBeGreaterThanOrEqual(1);
      expect(transactions).toBeLessThan(requests);
    } finally {
      await d.stop();
    }
  });

  it('answers the batches in flight at close only after they committed, then closes the store', async () => {
    const d = await startTestDaemon();
    const sends = Array.from({ length: 8 }, (_, b) =>
      request(`${d.url}/v1/events`, { method: 'POST', body: batch(100 + b, 50), headers: { ...BATCH_TYPE, authorization: `Bearer ${TEST_TOKEN}` } }).then(async (r) => (await r.body.text(), r.statusCode)),
    );
    // Let the requests reach the daemon, then close it under them (the clients keep their connections alive).
    await new Promise((r) => setTimeout(r, 20));
    const closing = d.daemon.close();
    const codes = await Promise.allSettled(sends);
    await closing;
    expect(d.daemon.store.ready()).toBe(false);
    const acked = codes.filter((c) => c.status === 'fulfilled' && c.value === 200).length;
    expect(acked).toBeGreaterThan(0);
    // Every acknowledged batch is in the file after close; nothing half-written (whole batches only).
    expect(count(d.dbFile, 'SELECT COUNT(*) FROM events')).toBe(acked * 50);
    await d.stop();
  });
});
