/** The spool (crash-safe, bounded, ordered), the shipper's backoff, and a spool surviving a sidecar restart. */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/sidecar/shipper.js';
import { startSidecar } from '../../src/sidecar/sidecar.js';
import { Spool } from '../../src/sidecar/spool.js';
import { startEventReceiver } from '../support/event-receiver.js';
import { startModelServer } from '../support/model-server.js';
import { send, tempDir, testOptions, waitFor } from './helpers.js';

describe('spool', () => {
  it('keeps batches in order across a reopen and deletes a half-written .tmp left by a crash', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const a = await Spool.open(dir, 10_000);
      expect(await a.write('["a"]', 1)).toBe(0);
      expect(await a.write('["b","b"]', 2)).toBe(0);
      await writeFile(join(dir, '0000000000000003-1.batch.json.tmp'), '["half');
      const b = await Spool.open(dir, 10_000);
      expect(b.length).toBe(2);
      expect((await readdir(dir)).some((f) => f.endsWith('.tmp'))).toBe(false);
      const first = await b.takeOldest();
      expect(first?.body.toString()).toBe('["a"]');
      if (first !== undefined) await b.remove(first.entry);
      expect((await b.takeOldest())?.body.toString()).toBe('["b","b"]');
      b.release();
      expect(await b.write('["c"]', 1)).toBe(0);
      expect((await readdir(dir)).sort()).toEqual(['0000000000000002-2.batch.json', '0000000000000003-1.batch.json']);
    } finally {
      await cleanup();
    }
  });

  it('drops the oldest batches when full and reports their events', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const s = await Spool.open(dir, 100);
      const batch = (n: number): string => JSON.stringify(Array.from({ length: n }, () => 'x'.repeat(8)));
      expect(await s.write(batch(3), 3)).toBe(0); // 34 bytes
      expect(await s.write(batch(3), 3)).toBe(0);
      expect(await s.write(batch(4), 4)).toBe(3); // 45 bytes: the first batch goes
      expect(s.bytes).toBeLessThanOrEqual(100);
      expect(await s.write('x'.repeat(101), 5)).toBe(5); // never fits
      expect(s.length).toBe(2);
    } finally {
      await cleanup();
    }
  });
});

describe('backoff', () => {
  it.each([0, 1, 5, 20])('backoff of attempt %i is within [0, min(max, base·2^n)]', (n) => {
    expect(backoffMs(n, 100, 5_000, () => 0.999999)).toBe(Math.round(0.999999 * Math.min(5_000, 100 * 2 ** n)));
    expect(backoffMs(n, 100, 5_000, () => 0)).toBe(0);
  });
});

it('a sidecar stopped while the daemon is down leaves its events in the spool; the next one delivers them', async () => {
  const model = await startModelServer({ record: false });
  const receiver = await startEventReceiver();
  const { dir, cleanup } = await tempDir();
  try {
    await receiver.down();
    const first = await startSidecar(testOptions(model.url, receiver.url, dir), { tracing: false });
    for (let i = 0; i < 5; i++) await send(`${first.url}/v1/models/m:predict`, { headers: { 'content-type': 'application/json', 'x-request-id': `r${i}` }, body: '{"instances":[[1]]}' });
    await first.close(300);
    expect((await readdir(dir)).filter((f) => f.endsWith('.batch.json')).length).toBeGreaterThan(0);
    await receiver.up();
    const second = await startSidecar(testOptions(model.url, receiver.url, dir), { tracing: false });
    await waitFor('the spooled events', () => receiver.events().length === 10);
    expect(new Set(receiver.events().map((e) => e.id))).toEqual(new Set(['r0', 'r1', 'r2', 'r3', 'r4']));
    await waitFor('an empty spool', async () => (await readdir(dir)).length === 0);
    await second.close(1_000);
  } finally {
    await model.stop();
    await receiver.down();
    await cleanup();
  }
});
