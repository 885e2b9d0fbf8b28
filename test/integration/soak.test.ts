/**
 * A short soak of the daemon process under concurrent maximum-size batches (wide V2 tensors, the
 * costliest to decode) while a real sidecar ships its captures to it: the daemon's peak RSS stays
 * under the bound docs/operations.md gives for its limits, /healthz keeps answering fast, every
 * event acknowledged is in the store, and the batches refused with 503 are retried by the sidecar
 * until delivered (none dropped). Limits are scaled down (2 MiB batches, 3 MiB in flight) so the soak
 * fits npm test on two busy cores; the bound is the same formula.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { buildCli, callDaemon, spawnDaemon, TEST_TOKEN, type DaemonProcess } from '../support/daemon.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { metricValue, percentile, send, tempDir, testOptions, waitFor } from '../sidecar/helpers.js';

const MIB = 1024 * 1024;
const BODY = 2 * MIB;
const INFLIGHT = 3 * MIB;
/** docs/operations.md: peak RSS ≤ 512 MiB + 24 × daemon.limits.inflight_bytes (wide V2 tensors, the worst case). */
const RSS_BOUND = 512 * MIB + 24 * INFLIGHT;
const POSTERS = 8;
const SOAK_MS = 12_000;

let dir: string;
let daemon: DaemonProcess;
let model: ModelServer;
let sidecar: Sidecar;
let cleanup: () => Promise<void>;

const wide = Array.from({ length: 2000 }, (_, k) => Math.round(k * 37) / 100);
/** One batch just under BODY bytes of V2 requests with a 2000-wide input tensor. */
function batch(tag: string): { body: string; ids: string[] } {
  const parts: string[] = [];
  const ids: string[] = [];
  let size = 2;
  for (let i = 0; ; i++) {
    const id = `${tag}-${i}`;
    const e = JSON.stringify({ specversion: '1.0', id, source: 'soak', type: 'org.kubeflow.serving.inference.request', inferenceservicename: 'fraud-detector', namespace: 'payments', datacontenttype: 'application/json', modelsloprotocol: 'v2', data: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, wide.length], data: wide }] } });
    if (size + e.length + 1 > BODY - 64) break;
    parts.push(e);
    ids.push(id);
    size += e.length + 1;
  }
  return { body: `[${parts.join(',')}]`, ids };
}

function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

beforeAll(async () => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'modelslo-soak-'));
  daemon = await spawnDaemon({ dir, dbFile: join(dir, 'soak.db'), daemonYaml: `limits: { body_bytes: ${BODY}, inflight_bytes: ${INFLIGHT} }` });
  model = await startModelServer({ record: false });
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  sidecar = await startSidecar(
    testOptions(model.url, daemon.url, tmp.dir, undefined, (o) => {
      o.token = TEST_TOKEN;
      o.defaultModel = 'fraud-detector';
      o.capture.batchBytes = BODY / 2;
      o.ship = { timeoutMs: 30_000, retries: 2, backoffBaseMs: 100, backoffMaxMs: 800 };
    }),
    { tracing: false },
  );
}, 120_000);

afterAll(async () => {
  await sidecar?.close(3_000);
  await model?.stop();
  daemon?.child.kill('SIGKILL');
  await daemon?.exited;
  await cleanup?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('a soak of concurrent maximum-size batches', () => {
  const acknowledged: string[] = [];
  const healthz: number[] = [];
  const sidecarIds: string[] = [];
  let busy = 0;

  beforeAll(async () => {
    const end = Date.now() + SOAK_MS;
    const poster = async (p: number): Promise<void> => {
      for (let round = 0; Date.now() < end; round++) {
        const { body, ids } = batch(`soak-${p}-${round}`);
        for (;;) {
          const r = await callDaemon(daemon.url, 'POST', '/v1/events', body).catch(() => ({ status: 0, json: null }));
          if (r.status === 200) {
            expect(r.json.accepted).toBe(ids.length);
            acknowledged.push(...ids);
            break;
          }
          expect([0, 503]).toContain(r.status);
          busy += 1;
          // Retry-After: 1, with jitter.
          await new Promise((res) => setTimeout(res, 500 + Math.random() * 1000));
        }
      }
    };
    const probe = async (): Promise<void> => {
      while (Date.now() < end) {
        const t0 = performance.now();
        const r = await fetch(`${daemon.url}/healthz`);
        await r.text();
        healthz.push(performance.now() - t0);
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const traffic = async (): Promise<void> => {
      const pad = 'p'.repeat(30_000);
      for (let i = 0; Date.now() < end; i++) {
        const id = `soak-sc-${i}`;
        sidecarIds.push(id);
        await send(`${sidecar.url}/v2/models/fraud-detector/infer`, { headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify({ inputs: [{ name: 'amount', datatype: 'BYTES', shape: [1], data: [pad] }] }) });
        await new Promise((res) => setTimeout(res, 20));
      }
      sidecar.flushQueue();
    };
    await Promise.all([...Array.from({ length: POSTERS }, (_, p) => poster(p)), probe(), traffic()]);
  }, SOAK_MS + 120_000);

  it('keeps the daemon peak RSS under the documented bound', () => {
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(peakRss(daemon.child.pid ?? 0)).toBeLessThan(RSS_BOUND);
  });

  it('answers /healthz within 100 ms (95th percentile) throughout', () => {
    expect(healthz.length).toBeGreaterThan(SOAK_MS / 250);
    expect(percentile(healthz, 95)).toBeLessThan(100);
  });

  it('refused batches past the in-flight bound with 503, and stored every event it acknowledged', () => {
    expect(busy).toBeGreaterThan(0);
    const db = new Database(join(dir, 'soak.db'), { readonly: true });
    try {
      const stored = new Set(db.prepare("SELECT request_id FROM predictions WHERE request_id LIKE 'soak-%' AND request_id NOT LIKE 'soak-sc-%'").pluck().all() as string[]);
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('the sidecar retried what the daemon refused until it was stored: nothing dropped', async () => {
    const joined = (): Set<string> => {
      const db = new Database(join(dir, 'soak.db'), { readonly: true });
      try {
        return new Set(db.prepare("SELECT request_id FROM predictions WHERE request_id LIKE 'soak-sc-%' AND state = 'joined'").pluck().all() as string[]);
      } finally {
        db.close();
      }
    };
    await waitFor('every sidecar exchange stored', () => {
      const got = joined();
      return sidecarIds.every((id) => got.has(id));
    }, 60_000);
    const text = await sidecar.metrics.registry.metrics();
    expect(metricValue(text, 'modelslo_capture_events_total', { outcome: 'dropped' })).toBe(0);
    expect(metricValue(text, 'modelslo_capture_events_total', { outcome: 'shipped' })).toBe(2 * sidecarIds.length);
  }, 90_000);
});
