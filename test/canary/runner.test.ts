/**
 * The canary loop's own rules (src/canary/runner.ts) over a real SQLite store and the Kubernetes
 * STAND-IN through the real adapter: it stops acting on a canary someone else moved, resumes a
 * canary's progress after a restart from its audit records, only alerts under action notify, and
 * survives an API that cannot be reached.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AmAlert, AlertSink } from '../../src/alerting/alertmanager-client.js';
import { CanaryRunner, eventReason } from '../../src/canary/runner.js';
import { KubeStandin } from '../../src/demo/kube-standin.js';
import { selfSignedCert } from '../../src/demo/kube-standin-tls.js';
import { mulberry32 } from '../../src/demo/prng.js';
import type { InferenceEvent } from '../../src/ingest/types.js';
import { KubeRollout } from '../../src/k8s/kube-rollout.js';
import type { Model } from '../../src/model/types.js';
import { silentLogger } from '../../src/ops/logger.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { mustParse } from '../support/fixtures.js';

const NS = 'payments';
let dir: string;
let standin: KubeStandin;
let store: SqliteStore;
let kc: KubeConfig;
let models: Model[];
const NOW = Date.parse('2026-12-01T10:00:00Z');

function modelsYaml(): string {
  const model = (name: string, canary: string) => [`  - name: ${name}`, `    namespace: ${NS}`, '    owners: [{ team: t, receiver: owners }]', '    slos: [{ name: availability, objective: 99.9, sli: { availability: {} } }]', `    canary: ${canary}`];
  return ['alerting: { receivers: [{ name: oncall }, { name: owners }] }', 'models:', ...model('moved', '{ min_requests: 50, failure_limit: 3 }'), ...model('resumed', '{ min_requests: 50, failure_limit: 2 }'), ...model('notified', '{ min_requests: 50, failure_limit: 1, action: notify }'), ''].join('\n');
}

/** Response records of a revision in the last minute: every `failEvery`-th a 500. */
function records(model: string, revision: string, endpoint: string, n: number, failEvery: number, seed: number): InferenceEvent[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i): InferenceEvent => ({
    source: `test/${revision}`, id: `${revision}-${i}`, type: 'org.kubeflow.serving.inference.response', kind: 'response', timeMs: NOW - 50_000 + i * 10,
    model, namespace: NS, component: 'predictor', endpoint, revision, protocol: 'v1', path: null, status: failEvery > 0 && i % failEvery === 0 ? 500 : 200,
    latencyMs: 20 * (0.5 + r()), truncated: false, redacted: null, contentType: 'application/json', payload: null, decoded: JSON.stringify([r()]), metadata: null, decodeError: null,
  }));
}

const runner = (sink: AlertSink | null = null, k = kc): CanaryRunner => new CanaryRunner({ models, rollout: new KubeRollout({ kubeConfig: k, retry: { attempts: 2, baseDelayMs: 10, timeoutMs: 2000 } }), store, log: silentLogger(), sink, now: () => NOW });
const percent = (name: string): unknown => (standin.isvc(NS, name) as { spec: { predictor: { canaryTrafficPercent?: number } } }).spec.predictor.canaryTrafficPercent;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelslo-canary-runner-'));
  const tls = await selfSignedCert();
  standin = await KubeStandin.start({ tls, users: [{ token: 't', user: 'system:serviceaccount:modelslo-system:modelslo', verbs: { inferenceservices: ['get', 'patch'], events: ['create'] } }] });
  await writeFile(join(dir, 'ca.pem'), tls.cert);
  kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 's', server: standin.url, caFile: join(dir, 'ca.pem') }], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'c', cluster: 's', user: 'u' }], currentContext: 'c' });
  store = await openSqliteStore(join(dir, 'modelslo.db'));
  models = mustParse(modelsYaml()).models;
  for (const [i, name] of ['moved', 'resumed', 'notified'].entries()) {
    standin.createIsvc({ namespace: NS, name });
    standin.rolloutRevision(NS, name, 10);
    await store.insertEvents([...records(name, `${name}-predictor-00001`, 'default', 500, 0, 2 * i + 1), ...records(name, `${name}-predictor-00002`, 'canary', 200, 5, 2 * i + 2)]);
  }
});

afterAll(async () => {
  await store?.close();
  await standin?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the canary loop', () => {
  it('stops acting on a canary whose percent someone else moved', async () => {
    const r = runner();
    expect((await r.run(NS, 'moved')).progress?.failures).toBe(1);
    standin.edit(NS, 'moved', { spec: { predictor: { canaryTrafficPercent: 30 } } });
    const s = await r.run(NS, 'moved');
    expect(s.status).toBe('stopped');
    expect(s.message).toContain('moved from 10 to 30 by someone else');
    // It stays hands-off: more failed rounds patch nothing.
    await r.run(NS, 'moved');
    await r.run(NS, 'moved');
    expect(percent('moved')).toBe(30);
    expect(standin.requests.filter((q) => q.method === 'PATCH' && q.path.endsWith('/moved'))).toEqual([]);
    await r.close();
  });

  it('resumes a canary after a restart from its audit records', async () => {
    const first = runner();
    const s1 = await first.run(NS, 'resumed');
    expect(s1.lastAnalysis?.decision).toMatchObject({ verdict: 'hold', progress: { failures: 1 } });
    await first.close();
    // A new daemon process: the second failure (failure_limit 2) rolls back, not a first one.
    const second = runner();
    const s2 = await second.run(NS, 'resumed');
    expect(s2.lastAnalysis?.decision.verdict).toBe('rollback');
    expect(s2.status).toBe('rolled_back');
    expect(percent('resumed')).toBe(0);
    const ds = await store.canaryDecisions({ namespace: NS, model: 'resumed', limit: 10 });
    expect(ds.map((d) => [d.verdict, d.action, d.progress.failures])).toEqual([['hold', 'none', 1], ['rollback', 'patched', 2]]);
    await second.close();
  });

  it('under action notify alerts the owners and patches nothing', async () => {
    const sent: AmAlert[] = [];
    const sink: AlertSink = { send: (a) => (sent.push(...a), Promise.resolve()), close: () => Promise.resolve() };
    const r = runner(sink);
    const s = await r.run(NS, 'notified');
    expect(s.lastAnalysis?.action).toBe('notified');
    expect(percent('notified')).toBe(10);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.labels).toMatchObject({ alertname: 'ModelCanaryRolledBack', severity: 'ticket', model: 'notified', revision: 'notified-predictor-00002' });
    expect(sent[0]?.annotations.summary).toContain('action notify: not rolled back');
    expect(standin.events.map((e) => (e as { reason?: string; regarding?: { name?: string } })).filter((e) => e.regarding?.name === 'notified').map((e) => e.reason)).toEqual(['CanaryRollbackNotified']);
    await r.close();
  });

  it('keeps going when the API server cannot be reached, and says why', async () => {
    const dead = new KubeConfig();
    dead.loadFromOptions({ clusters: [{ name: 's', server: 'https://127.0.0.1:1', skipTLSVerify: true }], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'c', cluster: 's', user: 'u' }], currentContext: 'c' });
    const r = runner(null, dead);
    const s = await r.run(NS, 'moved');
    expect(s.status).toBe('error');
    expect(s.message).toMatch(/inferenceservices/);
    await r.close();
  });

  it.each([
    [{ verdict: 'rollback', action: 'patched' }, 'CanaryRolledBack'],
    [{ verdict: 'rollback', action: 'dry_run' }, 'CanaryRollbackDryRun'],
    [{ verdict: 'step', action: 'failed' }, 'CanaryStepFailed'],
    [{ verdict: 'promote', action: 'patched' }, 'CanaryPromoted'],
    [{ verdict: 'hold', action: 'none' }, 'CanaryHeld'],
  ] as const)('names the Event of %j %s', (r, reason) => {
    expect(eventReason(r)).toBe(reason);
  });
});
