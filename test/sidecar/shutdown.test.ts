/**
 * Shutdown in the worst case: requests in flight to a predictor that takes a minute, and a daemon
 * that accepts connections but never answers. The sidecar stops within its budget (under
 * Kubernetes' 30 s grace period by default), spools what it could not deliver, and the counts it
 * reports match what is on disk. The daemon, with a client stuck mid-upload, stops within its own.
 */
import { readdir } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { resolveOptions } from '../../src/sidecar/options.js';
import { startSidecar } from '../../src/sidecar/sidecar.js';
import { daemonConfigText, TEST_TOKEN } from '../support/daemon.js';
import { mustParse } from '../support/fixtures.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { send, tempDir, testOptions, waitFor } from './helpers.js';
import { durationSeconds } from '../../src/slo/burn-windows.js';

let model: ModelServer;
let hung: Server;
const held = new Set<Socket>();

beforeAll(async () => {
  model = await startModelServer({ record: false });
  // A daemon that takes the connection and the request, and never answers.
  hung = createServer((s) => {
    held.add(s);
    s.on('error', () => undefined);
    s.resume();
  });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((r) => hung.close(() => r()));
  await model.stop();
});

describe('shutdown', () => {
  it('has default budgets, plus the hard stop, under Kubernetes\' 30 s grace period', () => {
    const opts = resolveOptions({ upstream: 'http://127.0.0.1:1', daemon: 'http://127.0.0.1:2', listen: { host: '127.0.0.1', port: 0 } }, undefined, {});
    expect(opts.shutdownBudgetMs + 2_000).toBeLessThan(30_000);
    expect(durationSeconds(mustParse(daemonConfigText()).daemon.shutdownTimeout) * 1000 + 2_000).toBeLessThan(30_000);
  });

  it('stops the sidecar within its budget with slow requests in flight and a hung daemon, and spools what it counts as spooled', async () => {
    const tmp = await tempDir();
    const BUDGET = 4_000;
    const sidecar = await startSidecar(
      testOptions(model.url, `http://127.0.0.1:${(hung.address() as AddressInfo).port}`, tmp.dir, undefined, (o) => {
        o.token = TEST_TOKEN;
        o.defaultModel = 'fraud-detector';
        o.ship = { timeoutMs: 60_000, retries: 2, backoffBaseMs: 50, backoffMaxMs: 200 };
      }),
      { tracing: false },
    );
    const body = JSON.stringify({ inputs: [{ name: 'amount', datatype: 'FP32', shape: [1], data: [1] }] });
    const json = { 'content-type': 'application/json' };
    for (let i = 0; i < 10; i++) expect((await send(`${sidecar.url}/v2/models/fraud-detector/infer`, { headers: json, body })).status).toBe(200);
    sidecar.flushQueue();
    // Three requests the predictor holds for a minute.
    const slow = Array.from({ length: 3 }, () => send(`${sidecar.url}/v2/models/fraud-detector/infer`, { headers: { ...json, 'x-test-delay-ms': '60000' }, body }).catch(() => 'cut'));
    await waitFor('a batch in flight to the hung daemon', () => held.size > 0);
    const t0 = Date.now();
    await sidecar.close(BUDGET);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(BUDGET + 1_000);
    expect(await Promise.all(slow)).toEqual(['cut', 'cut', 'cut']);
    const spooled = await sidecar.metrics.captured('spooled');
    expect(await sidecar.metrics.captured('shipped')).toBe(0);
    expect(await sidecar.metrics.captured('dropped')).toBe(0);
    expect(spooled).toBe(20);
    const files = (await readdir(tmp.dir)).filter((f) => f.endsWith('.batch.json'));
    expect(files.reduce((n, f) => n + Number(/-(\d+)\.batch\.json$/.exec(f)?.[1] ?? 0), 0)).toBe(spooled);
    await tmp.cleanup();
  }, 30_000);

  it('stops the daemon within daemon.shutdown_timeout with a client stuck mid-upload', async () => {
    const dir = (await tempDir('modelslo-daemon-stop-')).dir;
    const daemon = await startDaemon({ config: mustParse(daemonConfigText('shutdown_timeout: 3s')), token: TEST_TOKEN, listen: '127.0.0.1:0', db: `${dir}/db.sqlite` });
    const socket = connect(daemon.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST /v1/events HTTP/1.1\r\nHost: d\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/cloudevents-batch+json\r\nContent-Length: 100000\r\n\r\n[`);
    const trickle = setInterval(() => socket.write(' '), 200);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await daemon.close();
    clearInterval(trickle);
    socket.destroy();
    expect(Date.now() - t0).toBeLessThan(3_000 + 1_000);
  }, 30_000);
});
