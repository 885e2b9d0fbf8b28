/**
 * A full disk, for real: a 2 MiB tmpfs mounted for the test (the test runs as root, as CI does).
 * A spool write that fails leaves no `.tmp` file behind; a daemon whose every store write fails
 * reports not-ready on /readyz, naming the error, and ready again once the disk takes writes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { Spool } from '../../src/sidecar/spool.js';
import { daemonConfigText, TEST_TOKEN } from '../support/daemon.js';
import { BATCH_TYPE, sidecarEvent } from '../support/events.js';
import { mustParse } from '../support/fixtures.js';
import { waitFor } from '../sidecar/helpers.js';

let mount: string;
beforeAll(() => {
  mount = mkdtempSync(join(tmpdir(), 'modelslo-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
});
afterAll(() => {
  execFileSync('umount', [mount]);
  rmSync(mount, { recursive: true, force: true });
});

/** Fills the rest of the file system with one file; returns its path. */
function fill(name: string): string {
  const file = join(mount, name);
  try {
    writeFileSync(file, Buffer.alloc(4 * 1024 * 1024, 1));
  } catch {
    // ENOSPC: the file holds every byte that was left.
  }
  return file;
}

describe('a full disk', () => {
  it('leaves no .tmp file when a spool write fails', async () => {
    const dir = join(mount, 'spool');
    const spool = await Spool.open(dir, 64 * 1024 * 1024);
    const filler = fill('filler-spool');
    await expect(spool.write('x'.repeat(512 * 1024), 10)).rejects.toThrow(/ENOSPC/);
    expect(readdirSync(dir)).toEqual([]);
    rmSync(filler);
    expect(await spool.write('[]', 1)).toBe(0);
    expect(readdirSync(dir)).toHaveLength(1);
    rmSync(dir, { recursive: true });
  });

  describe('under the daemon store', () => {
    let daemon: RunningDaemon;
    const post = (body: string): Promise<Response> => fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { ...BATCH_TYPE, authorization: `Bearer ${TEST_TOKEN}` }, body });
    beforeAll(async () => {
      daemon = await startDaemon({ config: mustParse(daemonConfigText()), token: TEST_TOKEN, listen: '127.0.0.1:0', db: join(mount, 'store', 'modelslo.db') });
    });
    afterAll(async () => {
      await daemon.close();
    });

    it('reports not ready while every write fails, naming the error, and ready again when the disk takes writes', async () => {
      expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
      const filler = fill('filler-store');
      const big = JSON.stringify(Array.from({ length: 40 }, (_, i) => sidecarEvent('request', `full-${i}`, { data: { instances: ['z'.repeat(20_000)] } })));
      const r = await post(big);
      expect(r.status).toBe(503);
      const ready = await fetch(`${daemon.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { status: string }).status).toMatch(/^store writes failing: SQLITE_FULL: /);
      rmSync(filler);
      // The readiness check itself probes the disk (at most every 5 s) and reports the answer.
      await waitFor('ready again', async () => (await fetch(`${daemon.url}/readyz`)).status === 200, 15_000);
      expect((await post(JSON.stringify([sidecarEvent('request', 'after-full')]))).status).toBe(200);
    }, 30_000);
  });
});
