/**
 * The real CLI process: kill -9 in the middle of a stream of acknowledged batches, restart, and
 * every acknowledged event is there exactly once; SIGTERM stops cleanly; no token, no start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_TYPE, sidecarEvent } from '../support/events.js';
import { buildCli, spawnDaemon, TEST_TOKEN } from '../support/daemon.js';

let dir: string;
beforeAll(() => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'modelslo-crash-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const BATCH = 50;

function batchOf(n: number): string {
  return JSON.stringify(Array.from({ length: BATCH }, (_, i) => sidecarEvent(i % 2 === 0 ? 'request' : 'response', `crash-${n}-${Math.floor(i / 2)}`)));
}

async function send(url: string, body: string): Promise<number> {
  const res = await request(`${url}/v1/events`, { method: 'POST', body, headers: { ...BATCH_TYPE, authorization: `Bearer ${TEST_TOKEN}` } });
  await res.body.text();
  return res.statusCode;
}

describe('modelslo daemon (the real process)', () => {
  it('keeps every acknowledged event, none twice, across kill -9 and restart', async () => {
    const dbFile = join(dir, 'crash.db');
    const first = await spawnDaemon({ dir, dbFile });
    const acked = new Set<number>();
    let next = 0;
    let killed = false;
    // Three concurrent senders stream batches until the process dies under them.
    const sender = async (): Promise<void> => {
      while (!killed) {
        const n = next++;
        try {
          if ((await send(first.url, batchOf(n))) === 200) acked.add(n);
        } catch {
          return; // connection reset by the kill: this batch was not acknowledged
        }
      }
    };
    const senders = [sender(), sender(), sender()];
    while (acked.size < 40) await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(senders);
    await first.exited;
    expect(acked.size).toBeGreaterThanOrEqual(40);

    const second = await spawnDaemon({ dir, dbFile });
    // A client retries every batch it sent (acknowledged or not): retries are stored once.
    for (let n = 0; n < next; n++) expect(await send(second.url, batchOf(n))).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toContain('shut down cleanly');

    const db = new Database(dbFile, { readonly: true });
    const ids = new Set((db.prepare("SELECT id FROM events WHERE type LIKE '%request'").pluck().all() as string[]));
    const perRequest = db.prepare('SELECT request_id, COUNT(*) AS n FROM predictions GROUP BY request_id HAVING n > 1').all();
    const events = (db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number);
    const joined = (db.prepare("SELECT COUNT(*) FROM predictions WHERE state = 'joined'").pluck().get() as number);
    db.close();
    for (const n of acked) for (let k = 0; k < BATCH / 2; k++) expect(ids.has(`crash-${n}-${k}`)).toBe(true);
    expect(perRequest).toEqual([]);
    expect(events).toBe(next * BATCH);
    expect(joined).toBe((next * BATCH) / 2);
  });

  it('refuses to start without a token (exit 2) and names the way to give one', async () => {
    const p = await spawnDaemon({ dir, dbFile: join(dir, 'nt.db'), args: [], env: { MODELSLO_TOKEN: '' } });
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('no token: pass --token-file FILE or set MODELSLO_TOKEN');
  });

  it('starts with --insecure-no-auth, warning in a JSON log line, and never logs the token otherwise', async () => {
    const p = await spawnDaemon({ dir, dbFile: join(dir, 'na.db'), args: ['--insecure-no-auth'], env: { MODELSLO_TOKEN: '' } });
    const res = await request(`${p.url}/api/v1/models`);
    expect(res.statusCode).toBe(200);
    await res.body.text();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const warn = p.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40);
    expect(warn?.msg).toContain('WITHOUT authentication');
    expect(p.stderr()).not.toContain(TEST_TOKEN);
  });
});
