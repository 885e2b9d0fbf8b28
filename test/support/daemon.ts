/**
 * Starts the real daemon for tests: in-process (startDaemon on 127.0.0.1:0, a temp dir and a
 * real SQLite file), or as the real CLI process `node bin/modelslo.js daemon` after a build.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { mustParse, repoPath } from './fixtures.js';
import { BATCH_TYPE } from './events.js';
import { freePort } from './free-port.js';

/** The test token (never a real secret). */
export const TEST_TOKEN = 'test-token-4b1d2c9e8f7a';

/** A config with one model (payments/fraud-detector: availability 99.9 and latency 200 ms SLOs) and a daemon section. */
export function daemonConfigText(daemonYaml = ''): string {
  return [
    'alerting:',
    '  oncall_receiver: oncall',
    '  receivers: [{ name: oncall }, { name: fraud-ml }]',
    'models:',
    '  - name: fraud-detector',
    '    namespace: payments',
    '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
    '    slos:',
    '      - { name: availability, objective: 99.9, window: 28d, sli: { availability: {} } }',
    '      - { name: latency, objective: 99, window: 28d, sli: { latency: { threshold_ms: 200 } } }',
    ...(daemonYaml === '' ? [] : ['daemon:', ...daemonYaml.split('\n').map((l) => `  ${l}`)]),
    '',
  ].join('\n');
}

/** An in-process daemon with its temp dir. */
export interface TestDaemon {
  url: string;
  dir: string;
  dbFile: string;
  daemon: RunningDaemon;
  /** POSTs with the test token (unless `auth` is false) and returns status and parsed JSON body. */
  post(path: string, body: string | Buffer, headers: Record<string, string>, auth?: boolean): Promise<{ status: number; body: unknown }>;
  get(path: string, auth?: boolean): Promise<{ status: number; body: unknown; text: string }>;
  stop(): Promise<void>;
}

/** Starts the daemon in this process on a free port with a temp SQLite file (on `configText` instead of the one-model config when given). */
export async function startTestDaemon(daemonYaml = '', configText?: string): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'modelslo-daemon-'));
  const dbFile = join(dir, 'modelslo.db');
  const daemon = await startDaemon({ config: mustParse(configText ?? daemonConfigText(daemonYaml)), token: TEST_TOKEN, listen: '127.0.0.1:0', db: dbFile });
  const authz = (auth: boolean): Record<string, string> => (auth ? { authorization: `Bearer ${TEST_TOKEN}` } : {});
  return {
    url: daemon.url,
    dir,
    dbFile,
    daemon,
    async post(path, body, headers, auth = true) {
      const res = await request(`${daemon.url}${path}`, { method: 'POST', body, headers: { ...headers, ...authz(auth) } });
      const text = await res.body.text();
      return { status: res.statusCode, body: text === '' ? null : (JSON.parse(text) as unknown) };
    },
    async get(path, auth = true) {
      const res = await request(`${daemon.url}${path}`, { headers: authz(auth) });
      const text = await res.body.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = null;
      }
      return { status: res.statusCode, body, text };
    },
    async stop() {
      await daemon.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let built = false;

/** Compiles src/ to dist/ once per test process so that bin/modelslo.js runs the current code. */
export function buildCli(): void {
  if (built) return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoPath(''), encoding: 'utf8' });
  // tsc emits even with type errors elsewhere in the tree (other work in progress); the daemon's files must exist.
  if (!existsSync(repoPath('dist/cli/daemon.js')) || !existsSync(repoPath('dist/daemon/daemon.js'))) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
  built = true;
}

/** A daemon run as its own OS process by the real CLI. */
export interface DaemonProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Spawns `node bin/modelslo.js daemon` and waits until /healthz answers. */
export async function spawnDaemon(opts: { dir: string; dbFile: string; env?: Record<string, string>; args?: string[]; daemonYaml?: string }): Promise<DaemonProcess> {
  const configFile = join(opts.dir, 'modelslo.yaml');
  writeFileSync(configFile, daemonConfigText(opts.daemonYaml));
  const tokenFile = join(opts.dir, 'token');
  writeFileSync(tokenFile, `${TEST_TOKEN}\n`);
  const port = await freePort();
  const args = opts.args ?? ['--token-file', tokenFile];
  const child = spawn(process.execPath, [repoPath('bin/modelslo.js'), 'daemon', '-c', configFile, '--listen', `127.0.0.1:${port}`, '--db', opts.dbFile, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) return { child, url, stderr: () => err, exited };
    try {
      const res = await request(`${url}/healthz`);
      await res.body.text();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon did not start:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, stderr: () => err, exited };
}

/** One authenticated call to a daemon's API (`body` is sent as a CloudEvents batch); the status, the parsed JSON (null if not JSON) and the text. */
/* eslint-disable @typescript-eslint/no-explicit-any -- tests read the API's JSON answers loosely */
export async function callDaemon(url: string, method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(body !== undefined ? BATCH_TYPE : {}) }, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
