/** `modelslo sidecar` as a real process: flags, env (K_SERVICE, K_REVISION, POD_NAMESPACE), token file, SIGTERM drain and flush. */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startEventReceiver } from '../support/event-receiver.js';
import { repoPath } from '../support/fixtures.js';
import { freePort } from '../support/free-port.js';
import { startModelServer } from '../support/model-server.js';
import { metricValue, send, tempDir, waitFor } from './helpers.js';

describe('usage errors exit 2 with a message naming the flag', () => {
  afterEach(() => vi.restoreAllMocks());
  it.each([
    [['sidecar', '--daemon', 'http://127.0.0.1:1'], '--upstream URL is required'],
    [['sidecar', '--upstream', 'http://127.0.0.1:1'], '--daemon URL is required'],
    [['sidecar', '--upstream', 'ftp://x', '--daemon', 'http://127.0.0.1:1'], '--upstream must be http or https'],
    [['sidecar', '--upstream', 'http://127.0.0.1:1', '--daemon', 'http://127.0.0.1:1', '--listen', 'nope'], '--listen must be HOST:PORT'],
    [['sidecar', '--upstream', 'http://127.0.0.1:1', '--daemon', 'http://127.0.0.1:1', '--endpoint', 'blue'], '--endpoint must be default or canary'],
    [['sidecar', '--upstream', 'http://127.0.0.1:1', '--daemon', 'http://127.0.0.1:1', '--token-file', '/no/such/token'], 'cannot read secret file "/no/such/token"'],
  ])('%j', async (argv, message) => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(argv)).toBe(2);
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain(message);
  });
});

it('runs, labels metrics and events from the Knative env, and on SIGTERM drains and flushes captures with the file token', async () => {
  const model = await startModelServer({ record: false });
  const receiver = await startEventReceiver();
  const { dir, cleanup } = await tempDir();
  const port = await freePort();
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, 'file-token\n');
  const config = join(dir, 'modelslo.yaml');
  await writeFile(config, `alerting: { receivers: [{ name: oncall }, { name: fraud-ml }] }\nsidecar:\n  capture: { batch_interval: 60s, spool_dir: ${join(dir, 'spool')} }\nmodels:\n  - name: fraud-detector\n    namespace: payments\n    owners: [{ team: fraud-ml, receiver: fraud-ml }]\n    slos: [{ name: availability, objective: 99.9, sli: { availability: {} } }]\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('test/sidecar/cli-entry.ts'), 'sidecar', '--upstream', model.url, '--listen', `127.0.0.1:${port}`, '--daemon', receiver.url, '-c', config, '--token-file', tokenFile, '--no-tracing'], {
    env: { ...process.env, K_SERVICE: 'fraud-detector-predictor', K_REVISION: 'fraud-detector-predictor-00007', POD_NAMESPACE: 'payments', MODELSLO_TOKEN: 'env-token' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the sidecar to listen', () => stderr.includes('modelslo sidecar:') || child.exitCode !== null, 30_000);
    expect(child.exitCode, stderr).toBeNull();
    for (let i = 0; i < 3; i++) expect((await send(`${url}/v1/models/fraud-detector:predict`, { headers: { 'content-type': 'application/json', 'x-request-id': `cli-${i}` }, body: '{"instances":[[1,2]]}' })).status).toBe(200);
    expect((await send(`${url}/healthz`)).status).toBe(200);
    const metrics = (await send(`${url}/metrics`)).body.toString();
    expect(metricValue(metrics, 'modelslo_requests_total', { model: 'fraud-detector', namespace: 'payments', revision: 'fraud-detector-predictor-00007', code: '200' })).toBe(3);
    expect(receiver.events()).toHaveLength(0); // the 60 s batch interval has not passed
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(receiver.events().map((e) => e.id).sort()).toEqual(['cli-0', 'cli-0', 'cli-1', 'cli-1', 'cli-2', 'cli-2']);
    expect(receiver.events()[0]).toMatchObject({ namespace: 'payments', inferenceservicename: 'fraud-detector', modelslorevision: 'fraud-detector-predictor-00007' });
    expect(receiver.received[0]?.headers.authorization).toBe('Bearer file-token');
    const logs = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { component?: string; msg?: string });
    expect(logs.some((l) => l.component === 'sidecar' && l.msg === 'shut down cleanly')).toBe(true);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await model.stop();
    await receiver.down();
    await cleanup();
  }
}, 60_000);
