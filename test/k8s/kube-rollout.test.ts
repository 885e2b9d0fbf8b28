/**
 * The Rollout adapter (@kubernetes/client-node 1.x) against the Kubernetes stand-in over TLS, with
 * the modelslo service account allowed exactly the verbs deploy/base/rbac.yaml grants.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KubeStandin, type StandinUser } from '../../src/demo/kube-standin.js';
import { selfSignedCert, type TlsPair } from '../../src/demo/kube-standin-tls.js';
import { KubeApiError } from '../../src/k8s/kube-errors.js';
import { KubeRollout, type KubeRolloutConfig } from '../../src/k8s/kube-rollout.js';
import type { RetryInfo } from '../../src/k8s/kube-retry.js';
import type { IsvcSnapshot } from '../../src/k8s/port.js';
import { freePort } from '../support/free-port.js';

const SA = 'system:serviceaccount:modelslo-system:modelslo';
let standin: KubeStandin;
let tls: TlsPair;
let seq = 0;

/** The verbs deploy/base/rbac.yaml's ClusterRole grants, per resource, as the stand-in's user for the service account. */
async function rbacUser(): Promise<StandinUser> {
  const docs = parseAllDocuments(await readFile(new URL('../../deploy/base/rbac.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  const role = docs.find((d) => d.kind === 'ClusterRole') as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
  const verbs: StandinUser['verbs'] = {};
  for (const rule of role.rules) {
    for (const resource of rule.resources) {
      const group = rule.apiGroups[0];
      if (resource === 'inferenceservices' && group === 'serving.kserve.io') verbs.inferenceservices = rule.verbs;
      else if (resource === 'events' && group === 'events.k8s.io') verbs.events = rule.verbs;
      else throw new Error(`deploy/base/rbac.yaml grants ${group}/${resource}, which canary analysis does not use`);
    }
  }
  return { token: 'token-modelslo', user: SA, verbs };
}

/** A kubeConfig trusting the stand-in's certificate (client-node 1.x refuses plain HTTP unless skipTLSVerify is set). */
function kubeConfigFor(server: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'standin', server, caData: Buffer.from(tls.cert).toString('base64'), skipTLSVerify: server.startsWith('http:') }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'standin', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

function rollout(extra: KubeRolloutConfig = {}, token = 'token-modelslo'): { port: KubeRollout; retries: RetryInfo[]; sleeps: number[] } {
  const retries: RetryInfo[] = [];
  const sleeps: number[] = [];
  const port = new KubeRollout({
    kubeConfig: kubeConfigFor(standin.url, token), retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, timeoutMs: 5000 },
    onRetry: (r) => retries.push(r), sleep: (ms) => { sleeps.push(ms); return Promise.resolve(); }, reportingInstance: 'modelslo-0', ...extra,
  });
  return { port, retries, sleeps };
}

/** A fresh InferenceService with a canary at 10% on its second revision. */
function freshCanary(): { namespace: string; name: string } {
  seq += 1;
  const ref = { namespace: 'payments', name: `fraud-${seq}` };
  standin.createIsvc({ ...ref, labels: { app: 'fraud' }, revisions: 2, canaryTrafficPercent: 10 });
  return ref;
}

function patchesOf(name: string): { contentType: string | undefined; body: unknown; status: number; query: Record<string, string> }[] {
  return standin.requests.filter((q) => q.method === 'PATCH' && q.path.endsWith(`/inferenceservices/${name}`))
    .map((q) => ({ contentType: q.contentType, body: JSON.parse(q.body) as unknown, status: q.status, query: q.query }));
}

function predictorStatus(ref: { namespace: string; name: string }): Record<string, unknown> {
  return (standin.isvc(ref.namespace, ref.name)?.status as { components: { predictor: Record<string, unknown> } }).components.predictor;
}

/** Precondition: the canary under analysis is still the given latest revision. */
const sameRevision = (revision: string) => (s: IsvcSnapshot): string | null =>
  s.latestCreatedRevision === revision ? null : `latest revision is now ${s.latestCreatedRevision ?? 'none'}, not ${revision}`;

beforeAll(async () => {
  tls = await selfSignedCert();
  standin = await KubeStandin.start({ tls, users: [await rbacUser(), { token: 'token-viewer', user: 'viewer', verbs: { inferenceservices: ['get', 'list'] } }] });
});

afterAll(async () => {
  await standin.stop();
});

describe('KubeRollout.read', () => {
  it('maps identity, the canary percent, the revisions and the traffic split', async () => {
    const ref = freshCanary();
    const stored = standin.isvc(ref.namespace, ref.name)?.metadata as { uid: string; resourceVersion: string };
    const snapshot = await rollout().port.read(ref);
    expect(snapshot).toEqual({
      ref, uid: stored.uid, resourceVersion: stored.resourceVersion, generation: 2, canaryTrafficPercent: 10,
      latestRolledoutRevision: `${ref.name}-predictor-00001`, latestCreatedRevision: `${ref.name}-predictor-00002`,
      traffic: [
        { revisionName: `${ref.name}-predictor-00002`, percent: 10, latestRevision: true, tag: 'latest' },
        { revisionName: `${ref.name}-predictor-00001`, percent: 90, latestRevision: false, tag: 'prev' },
      ],
    });
  });

  it('returns null for an InferenceService that does not exist', async () => {
    expect(await rollout().port.read({ namespace: 'payments', name: 'absent' })).toBeNull();
  });
});

describe('KubeRollout.setCanaryPercent', () => {
  it('rolls back with a merge patch of canaryTrafficPercent alone, under the resourceVersion it read', async () => {
    const ref = freshCanary();
    const rv = (standin.isvc(ref.namespace, ref.name)?.metadata as { resourceVersion: string }).resourceVersion;
    const outcome = await rollout().port.setCanaryPercent(ref, 0, sameRevision(`${ref.name}-predictor-00002`));
    expect(outcome).toMatchObject({ applied: true, attempts: 1 });
    expect(patchesOf(ref.name)).toEqual([{ contentType: 'application/merge-patch+json', status: 200, query: { fieldManager: 'modelslo' },
      body: { metadata: { resourceVersion: rv }, spec: { predictor: { canaryTrafficPercent: 0 } } } }]);
    const traffic = predictorStatus(ref).traffic as { revisionName: string; percent: number }[];
    expect(traffic.map((t) => [t.revisionName, t.percent])).toEqual([[`${ref.name}-predictor-00002`, 0], [`${ref.name}-predictor-00001`, 100]]);
  });

  it('promotes by removing the field, and KServe rolls the latest revision out', async () => {
    const ref = freshCanary();
    const outcome = await rollout().port.setCanaryPercent(ref, null, sameRevision(`${ref.name}-predictor-00002`));
    expect(outcome.applied).toBe(true);
    expect(patchesOf(ref.name).map((p) => p.body)).toEqual([expect.objectContaining({ spec: { predictor: { canaryTrafficPercent: null } } })]);
    expect((standin.isvc(ref.namespace, ref.name)?.spec as { predictor: Record<string, unknown> }).predictor).not.toHaveProperty('canaryTrafficPercent');
    const after = await rollout().port.read(ref);
    expect(after).toMatchObject({ canaryTrafficPercent: null, latestRolledoutRevision: `${ref.name}-predictor-00002`,
      traffic: [{ revisionName: `${ref.name}-predictor-00002`, percent: 100, latestRevision: true, tag: 'latest' }] });
    expect(predictorStatus(ref).previousRolledoutRevision).toBe(`${ref.name}-predictor-00001`);
  });

  it('re-reads and retries after a 409 on the first patch', async () => {
    const ref = freshCanary();
    standin.failNext({ verb: 'patch', status: 409 });
    const { port, retries } = rollout();
    const outcome = await port.setCanaryPercent(ref, 25, sameRevision(`${ref.name}-predictor-00002`));
    expect(outcome).toMatchObject({ applied: true, attempts: 2 });
    const calls = standin.requests.filter((q) => q.path.endsWith(`/inferenceservices/${ref.name}`)).map((q) => `${q.method} ${q.status}`);
    expect(calls).toEqual(['GET 200', 'PATCH 409', 'GET 200', 'PATCH 200']);
    expect(retries.map((r) => r.reason)).toEqual(['HTTP 409 Conflict']);
    expect(standin.isvc(ref.namespace, ref.name)?.spec).toMatchObject({ predictor: { canaryTrafficPercent: 25 } });
  });

  it('gives up with applied:false when a new revision rolled out between read and patch', async () => {
    const ref = freshCanary();
    standin.failNext({ verb: 'patch', before: () => { standin.rolloutRevision(ref.namespace, ref.name, 10); } });
    const outcome = await rollout().port.setCanaryPercent(ref, 0, sameRevision(`${ref.name}-predictor-00002`));
    expect(outcome).toMatchObject({ applied: false, attempts: 1,
      reason: `latest revision is now ${ref.name}-predictor-00003, not ${ref.name}-predictor-00002` });
    expect(patchesOf(ref.name).map((p) => p.status)).toEqual([409]);
    expect(standin.isvc(ref.namespace, ref.name)?.spec).toMatchObject({ predictor: { canaryTrafficPercent: 10 } });
  });

  it('gives up with applied:false when someone else moved the percent', async () => {
    const ref = freshCanary();
    standin.failNext({ verb: 'patch', before: () => { standin.edit(ref.namespace, ref.name, { spec: { predictor: { canaryTrafficPercent: 50 } } }); } });
    const stillAt10 = (s: IsvcSnapshot): string | null => (s.canaryTrafficPercent === 10 ? null : `canary is at ${s.canaryTrafficPercent}%, not 10%`);
    const outcome = await rollout().port.setCanaryPercent(ref, 30, stillAt10);
    expect(outcome).toMatchObject({ applied: false, reason: 'canary is at 50%, not 10%', current: { canaryTrafficPercent: 50 } });
    expect(standin.isvc(ref.namespace, ref.name)?.spec).toMatchObject({ predictor: { canaryTrafficPercent: 50 } });
  });

  it('counts a 409 as applied when the re-read shows the percent already set on the same revision', async () => {
    const ref = freshCanary();
    standin.failNext({ verb: 'patch', before: () => { standin.edit(ref.namespace, ref.name, { spec: { predictor: { canaryTrafficPercent: 0 } } }); } });
    const outcome = await rollout().port.setCanaryPercent(ref, 0, sameRevision(`${ref.name}-predictor-00002`));
    expect(outcome).toMatchObject({ applied: true, attempts: 1, after: { canaryTrafficPercent: 0 } });
    expect(patchesOf(ref.name).map((p) => p.status)).toEqual([409]);
  });

  it('retries 503 with growing, jittered backoff, then succeeds', async () => {
    const ref = freshCanary();
    standin.failNext({ verb: 'patch', status: 503, times: 2 });
    const { port, retries, sleeps } = rollout();
    const outcome = await port.setCanaryPercent(ref, 0, () => null);
    expect(outcome).toMatchObject({ applied: true, attempts: 3 });
    expect(retries.map((r) => [r.op, r.attempt, r.reason])).toEqual([['patch', 2, 'HTTP 503 ServiceUnavailable'], ['patch', 3, 'HTTP 503 ServiceUnavailable']]);
    // Equal jitter on base 100 ms doubling: the first wait lies in [50, 100], the second in [100, 200].
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('stops after the configured attempts and throws the last 503 as a KubeApiError', async () => {
    const ref = freshCanary();
    standin.failNext({ verb: 'patch', status: 503, times: 10 });
    const error = await rollout().port.setCanaryPercent(ref, 0, () => null).catch((e: unknown) => e);
    standin.clearFaults();
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(503);
    expect(patchesOf(ref.name)).toHaveLength(4);
  });

  it('throws a KubeApiError naming verb and resource on 403, without retrying', async () => {
    const ref = freshCanary();
    const error = await rollout({}, 'token-viewer').port.setCanaryPercent(ref, 0, () => null).catch((e: unknown) => e) as KubeApiError;
    expect(error).toBeInstanceOf(KubeApiError);
    expect([error.status, error.verb, error.resource, error.group]).toEqual([403, 'patch', 'inferenceservices', 'serving.kserve.io']);
    expect(error.message).toBe(`forbidden: cannot patch inferenceservices.serving.kserve.io "${ref.name}" in namespace "payments" ` +
      '(needs verb "patch" on resource "inferenceservices" of group "serving.kserve.io"): check the modelslo ClusterRole and its binding (deploy/base/rbac.yaml)');
    expect(patchesOf(ref.name)).toHaveLength(1);
  });

  it('throws a 401 KubeApiError for an unknown token', async () => {
    const error = await rollout({}, 'token-unknown').port.read({ namespace: 'payments', name: 'x' }).catch((e: unknown) => e) as KubeApiError;
    expect([error.status, error.verb]).toEqual([401, 'get']);
    expect(error.message).toMatch(/^unauthorized: .*get inferenceservices\.serving\.kserve\.io "x" in namespace "payments"/);
  });

  it('retries connection errors and then throws a KubeApiError without a status', async () => {
    const closed = `https://127.0.0.1:${await freePort()}`;
    const retries: RetryInfo[] = [];
    const port = new KubeRollout({ kubeConfig: kubeConfigFor(closed, 'token-modelslo'), retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 2000 },
      onRetry: (r) => retries.push(r) });
    const error = await port.read({ namespace: 'payments', name: 'x' }).catch((e: unknown) => e) as KubeApiError;
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error.status).toBeUndefined();
    expect(retries.map((r) => r.reason)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
  });
});

describe('KubeRollout timeouts', () => {
  it('aborts a request that gets no answer after timeoutMs, retries it, then throws', async () => {
    // A server that accepts connections and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const retries: RetryInfo[] = [];
      const server = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const port = new KubeRollout({ kubeConfig: kubeConfigFor(server, 'token-modelslo'), retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 300 },
        onRetry: (r) => retries.push(r) });
      const started = Date.now();
      const error = await port.read({ namespace: 'payments', name: 'x' }).catch((e: unknown) => e) as KubeApiError;
      expect(error).toBeInstanceOf(KubeApiError);
      expect(error.status).toBeUndefined();
      expect(retries.map((r) => r.reason)).toEqual(['timeout']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('KubeRollout.recordEvent', () => {
  it('creates an events.k8s.io/v1 Event regarding the InferenceService, with a microsecond eventTime', async () => {
    const ref = freshCanary();
    const now = new Date('2026-12-01T11:50:00.123Z');
    const { port } = rollout({ now: () => now });
    const snapshot = await port.read(ref);
    if (snapshot === null) throw new Error('no snapshot');
    await port.recordEvent(snapshot, { type: 'Warning', reason: 'CanaryRolledBack', action: 'Rollback', note: 'error rate 4.1% vs 0.2% on the primary' });
    const event = standin.events.at(-1) as Record<string, unknown>;
    expect(event).toMatchObject({
      apiVersion: 'events.k8s.io/v1', kind: 'Event', type: 'Warning', reason: 'CanaryRolledBack', action: 'Rollback',
      note: 'error rate 4.1% vs 0.2% on the primary', reportingController: 'modelslo.io/canary', reportingInstance: 'modelslo-0',
      eventTime: '2026-12-01T11:50:00.123000Z',
      regarding: { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: ref.name, namespace: ref.namespace,
        uid: snapshot.uid, resourceVersion: snapshot.resourceVersion },
      metadata: { namespace: ref.namespace },
    });
    expect((event.metadata as { name: string }).name.startsWith(`${ref.name}.`)).toBe(true);
  });

  it('cuts a long note to the 1 kB the API accepts, on a character boundary', async () => {
    const ref = freshCanary();
    const { port } = rollout();
    const snapshot = await port.read(ref);
    if (snapshot === null) throw new Error('no snapshot');
    await port.recordEvent(snapshot, { type: 'Normal', reason: 'CanaryHeld', action: 'Hold', note: 'é'.repeat(2000) });
    const note = (standin.events.at(-1) as { note: string }).note;
    expect(Buffer.byteLength(note)).toBeLessThanOrEqual(1024);
    expect(note.startsWith('éé')).toBe(true);
    expect(note).not.toContain('\uFFFD');
  });

  it('throws a KubeApiError naming create on events when the role lacks it', async () => {
    const ref = freshCanary();
    const { port } = rollout({}, 'token-viewer');
    const snapshot = await port.read(ref);
    if (snapshot === null) throw new Error('no snapshot');
    const error = await port.recordEvent(snapshot, { type: 'Normal', reason: 'X', action: 'Hold', note: '' }).catch((e: unknown) => e) as KubeApiError;
    expect([error.status, error.verb, error.resource, error.group]).toEqual([403, 'create', 'events', 'events.k8s.io']);
  });
});

describe('KubeRollout without a kubeConfig', () => {
  it('loads the kubeconfig named by KUBECONFIG (loadFromDefault)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modelslo-kubeconfig-'));
    const saved = process.env.KUBECONFIG;
    try {
      const ref = freshCanary();
      await writeFile(join(dir, 'ca.pem'), tls.cert);
      await writeFile(join(dir, 'config'), [
        'apiVersion: v1', 'kind: Config', 'current-context: standin',
        `clusters: [{name: standin, cluster: {server: "${standin.url}", certificate-authority: "${join(dir, 'ca.pem')}"}}]`,
        'users: [{name: modelslo, user: {token: token-modelslo}}]',
        'contexts: [{name: standin, context: {cluster: standin, user: modelslo}}]',
      ].join('\n'));
      process.env.KUBECONFIG = join(dir, 'config');
      const snapshot = await new KubeRollout().read(ref);
      expect(snapshot?.latestCreatedRevision).toBe(`${ref.name}-predictor-00002`);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
