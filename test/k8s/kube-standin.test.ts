/**
 * Fidelity of the Kubernetes stand-in, checked with two independent real clients: kubectl 1.32 and
 * the Python `kubernetes` client (/usr/bin/python3). What they print and raise is what they print
 * and raise against a real API server for the same answers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeStandin } from '../../src/demo/kube-standin.js';
import { selfSignedCert } from '../../src/demo/kube-standin-tls.js';
import { runTool } from '../support/tools.js';

const SA = 'system:serviceaccount:modelslo-system:modelslo';
const VIEWER = 'system:serviceaccount:modelslo-system:viewer';
let standin: KubeStandin;
let dir: string;
let kubeconfig: string;

/** A kubeconfig with two contexts, `modelslo` (read and patch) and `viewer` (read only), trusting the stand-in's certificate. */
function kubeconfigYaml(server: string, caFile: string): string {
  const users = [['modelslo', 'token-modelslo'], ['viewer', 'token-viewer'], ['stranger', 'token-unknown']];
  return [
    'apiVersion: v1', 'kind: Config', `current-context: modelslo`,
    'clusters:', `- name: standin`, `  cluster: {server: "${server}", certificate-authority: "${caFile}"}`,
    'users:', ...users.map(([u, t]) => `- name: ${u}\n  user: {token: ${t}}`),
    'contexts:', ...users.map(([u]) => `- name: ${u}\n  context: {cluster: standin, user: ${u}, namespace: payments}`),
  ].join('\n');
}

function kubectl(args: string[], context = 'modelslo'): ReturnType<typeof runTool> {
  return runTool('kubectl', ['--kubeconfig', kubeconfig, '--context', context, '--cache-dir', join(dir, 'cache'), ...args]);
}

function storedPercent(name: string): unknown {
  return (standin.isvc('payments', name)?.spec as { predictor: { canaryTrafficPercent?: number } }).predictor.canaryTrafficPercent;
}

function storedPredictorStatus(name: string): Record<string, unknown> {
  return (standin.isvc('payments', name)?.status as { components: { predictor: Record<string, unknown> } }).components.predictor;
}

beforeAll(async () => {
  const tls = await selfSignedCert();
  standin = await KubeStandin.start({
    tls,
    users: [
      { token: 'token-modelslo', user: SA, verbs: { inferenceservices: ['get', 'list', 'watch', 'patch'], events: ['create'] } },
      { token: 'token-viewer', user: VIEWER, verbs: { inferenceservices: ['get', 'list'], events: ['list'] } },
    ],
    isvcs: [
      { namespace: 'payments', name: 'fraud', labels: { app: 'fraud', team: 'risk' }, revisions: 2, canaryTrafficPercent: 10 },
      { namespace: 'payments', name: 'churn', labels: { app: 'churn', team: 'growth' } },
      { namespace: 'payments', name: 'json-target', labels: { app: 'json' }, revisions: 2, canaryTrafficPercent: 20 },
      { namespace: 'payments', name: 'py-target', labels: { app: 'py' }, revisions: 2, canaryTrafficPercent: 20 },
      { namespace: 'lending', name: 'scoring', labels: { app: 'fraud', team: 'credit' } },
    ],
  });
  dir = await mkdtemp(join(tmpdir(), 'modelslo-kube-standin-'));
  await writeFile(join(dir, 'ca.pem'), tls.cert);
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigYaml(standin.url, join(dir, 'ca.pem')));
});

afterAll(async () => {
  await standin.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the stand-in', () => {
  it('prints KServe printer columns for kubectl get isvc, from a server-side Table', async () => {
    const r = await kubectl(['get', 'isvc']);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+URL\s+READY\s+PREV\s+LATEST\s+PREVROLLEDOUTREVISION\s+LATESTREADYREVISION\s+AGE$/);
    const fraud = lines.find((l) => l.startsWith('fraud '))?.split(/\s+/);
    expect(fraud?.slice(0, 7)).toEqual(['fraud', 'http://fraud.payments.example.com', 'True', '90', '10', 'fraud-predictor-00001', 'fraud-predictor-00002']);
    expect(lines.map((l) => l.split(/\s+/)[0]).slice(1)).toEqual(['churn', 'fraud', 'json-target', 'py-target']);
    const list = standin.requests.filter((q) => q.path === '/apis/serving.kserve.io/v1beta1/namespaces/payments/inferenceservices');
    expect(list.at(-1)?.accept).toContain('as=Table;v=v1;g=meta.k8s.io');
  });

  it('prints the stored object for kubectl get isvc NAME -o json', async () => {
    const r = await kubectl(['get', 'isvc', 'fraud', '-o', 'json']);
    expect(JSON.parse(r.stdout)).toEqual(standin.isvc('payments', 'fraud'));
  });

  it.each([
    ['app=fraud', ['lending/scoring', 'payments/fraud']],
    ['app in (churn,json)', ['payments/churn', 'payments/json-target']],
    ['app!=fraud,team', ['payments/churn']],
    ['!team', ['payments/json-target', 'payments/py-target']],
  ])('lists across namespaces with the label selector %s', async (selector, expected) => {
    const r = await kubectl(['get', 'isvc', '-A', '-l', selector, '-o', 'json']);
    const items = (JSON.parse(r.stdout) as { items: { metadata: { namespace: string; name: string } }[] }).items;
    expect(items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort()).toEqual(expected);
  });

  it('applies kubectl patch --type merge, bumps resourceVersion, and KServe splits the traffic', async () => {
    const before = Number((standin.isvc('payments', 'fraud')?.metadata as { resourceVersion: string }).resourceVersion);
    const r = await kubectl(['patch', 'isvc', 'fraud', '--type', 'merge', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":30}}}']);
    expect(r.stdout.trim()).toBe('inferenceservice.serving.kserve.io/fraud patched');
    expect(storedPercent('fraud')).toBe(30);
    const after = Number((standin.isvc('payments', 'fraud')?.metadata as { resourceVersion: string }).resourceVersion);
    expect(after).toBeGreaterThan(before);
    const traffic = storedPredictorStatus('fraud').traffic as { tag: string; percent: number }[];
    expect(traffic.map((t) => [t.tag, t.percent])).toEqual([['latest', 30], ['prev', 70]]);
    const again = await kubectl(['patch', 'isvc', 'fraud', '--type', 'merge', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":30}}}']);
    expect(again.stdout.trim()).toBe('inferenceservice.serving.kserve.io/fraud patched (no change)');
    expect(Number((standin.isvc('payments', 'fraud')?.metadata as { resourceVersion: string }).resourceVersion)).toBe(after);
  });

  it('applies kubectl patch --type json (test, replace, remove) and refuses a failing test op', async () => {
    const ops = [{ op: 'test', path: '/spec/predictor/canaryTrafficPercent', value: 20 }, { op: 'replace', path: '/spec/predictor/canaryTrafficPercent', value: 50 }];
    const r = await kubectl(['patch', 'isvc', 'json-target', '--type', 'json', '-p', JSON.stringify(ops)]);
    expect(r.stdout.trim()).toBe('inferenceservice.serving.kserve.io/json-target patched');
    expect(storedPercent('json-target')).toBe(50);
    const stale = await kubectl(['patch', 'isvc', 'json-target', '--type', 'json', '-p', JSON.stringify(ops)]);
    expect(stale.code).toBe(1);
    expect(stale.stderr.trim()).toBe('The request is invalid: testing value /spec/predictor/canaryTrafficPercent failed');
    expect(storedPercent('json-target')).toBe(50);
    const promote = await kubectl(['patch', 'isvc', 'json-target', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/predictor/canaryTrafficPercent"}]']);
    expect(promote.code).toBe(0);
    expect(storedPercent('json-target')).toBeUndefined();
    const status = storedPredictorStatus('json-target');
    expect([status.latestRolledoutRevision, status.previousRolledoutRevision]).toEqual(['json-target-predictor-00002', 'json-target-predictor-00001']);
  });

  it('answers the default (strategic merge) patch with 415, as kubectl reports it for a custom resource', async () => {
    const r = await kubectl(['patch', 'isvc', 'fraud', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":0}}}']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: application/strategic-merge-patch+json is not supported by serving.kserve.io/v1beta1, Kind=InferenceService: ' +
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
    const patch = standin.requests.filter((q) => q.method === 'PATCH').at(-1);
    expect([patch?.contentType, patch?.status]).toEqual(['application/strategic-merge-patch+json', 415]);
    expect(storedPercent('fraud')).toBe(30);
  });

  it('prints Forbidden for a patch the token may not make, and changes nothing', async () => {
    const r = await kubectl(['patch', 'isvc', 'fraud', '--type', 'merge', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":0}}}'], 'viewer');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`Error from server (Forbidden): inferenceservices.serving.kserve.io "fraud" is forbidden: User "${VIEWER}" ` +
      'cannot patch resource "inferenceservices" in API group "serving.kserve.io" in the namespace "payments"');
    expect(storedPercent('fraud')).toBe(30);
  });

  it.each([
    [['get', 'isvc', 'nope'], 'Error from server (NotFound): inferenceservices.serving.kserve.io "nope" not found'],
    [['get', 'isvc', 'nope', '-n', 'nowhere'], 'Error from server (NotFound): namespaces "nowhere" not found'],
  ])('prints NotFound for kubectl %j', async (args, message) => {
    const r = await kubectl(args);
    expect([r.code, r.stderr.trim()]).toEqual([1, message]);
  });

  it('asks for credentials when the token is unknown', async () => {
    const r = await kubectl(['get', 'isvc'], 'stranger');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('error: You must be logged in to the server (Unauthorized)');
  });
});

// One Python process runs every call and reports what the client returned or raised.
const PYTHON_SCRIPT = String.raw`
import datetime, json, sys
from kubernetes import client, config
from kubernetes.client.rest import ApiException
args = json.loads(sys.argv[1])
def api(context):
    return client.CustomObjectsApi(config.new_client_from_config(config_file=args['kubeconfig'], context=context))
G, V, P = 'serving.kserve.io', 'v1beta1', 'inferenceservices'
def err(e):
    return {'status': e.status, 'body': json.loads(e.body)}
out = {}
rw, ro = api('modelslo'), api('viewer')
out['get'] = rw.get_namespaced_custom_object(G, V, 'payments', P, 'py-target')
out['list'] = [i['metadata']['name'] for i in rw.list_namespaced_custom_object(G, V, 'payments', P, label_selector='team in (risk,growth)')['items']]
out['listAll'] = [i['metadata']['namespace'] + '/' + i['metadata']['name'] for i in rw.list_cluster_custom_object(G, V, P, label_selector='app=fraud')['items']]
rv = out['get']['metadata']['resourceVersion']
out['patched'] = rw.patch_namespaced_custom_object(G, V, 'payments', P, 'py-target', {'metadata': {'resourceVersion': rv}, 'spec': {'predictor': {'canaryTrafficPercent': 40}}})
try:
    rw.patch_namespaced_custom_object(G, V, 'payments', P, 'py-target', {'metadata': {'resourceVersion': rv}, 'spec': {'predictor': {'canaryTrafficPercent': 0}}})
    out['stale'] = 'no exception'
except ApiException as e:
    out['stale'] = err(e)
try:
    rw.get_namespaced_custom_object(G, V, 'payments', P, 'nope')
except ApiException as e:
    out['missing'] = err(e)
try:
    ro.patch_namespaced_custom_object(G, V, 'payments', P, 'py-target', {'spec': {'predictor': {'canaryTrafficPercent': 0}}})
except ApiException as e:
    out['forbidden'] = err(e)
ev = client.EventsV1Api(config.new_client_from_config(config_file=args['kubeconfig'], context='modelslo'))
body = client.EventsV1Event(metadata=client.V1ObjectMeta(name='py-target.python', namespace='payments'),
    event_time=datetime.datetime(2026, 12, 1, 11, 50, 0, 123456, tzinfo=datetime.timezone.utc),
    reporting_controller='modelslo.io/canary', reporting_instance='python', action='Rollback', reason='CanaryRolledBack',
    note='rolled back by the Python client', type='Warning',
    regarding=client.V1ObjectReference(api_version='serving.kserve.io/v1beta1', kind='InferenceService', name='py-target', namespace='payments'))
out['event'] = ev.create_namespaced_event('payments', body).metadata.name
print(json.dumps(out))
`;

describe('the Python kubernetes client against the stand-in', () => {
  let out: Record<string, unknown>;
  beforeAll(async () => {
    const r = await runTool('/usr/bin/python3', ['-c', PYTHON_SCRIPT, JSON.stringify({ kubeconfig })]);
    expect(r.stderr).toBe('');
    out = JSON.parse(r.stdout) as Record<string, unknown>;
  });

  it('gets and lists (namespaced and cluster-wide) with label selectors', () => {
    expect((out.get as { metadata: { uid: string } }).metadata.uid).toBe((standin.isvc('payments', 'py-target')?.metadata as { uid: string }).uid);
    expect(out.list).toEqual(['churn', 'fraud']);
    expect(out.listAll).toEqual(['lending/scoring', 'payments/fraud']);
  });

  it('merge-patches with a resourceVersion precondition and gets 409 Conflict when it is stale', () => {
    expect((out.patched as { spec: { predictor: { canaryTrafficPercent: number } } }).spec.predictor.canaryTrafficPercent).toBe(40);
    expect(storedPercent('py-target')).toBe(40);
    const pythonPatches = standin.requests.filter((q) => q.method === 'PATCH' && q.path.endsWith('/py-target') && q.user === SA);
    expect(pythonPatches.map((q) => [q.contentType, q.status])).toEqual([['application/merge-patch+json', 200], ['application/merge-patch+json', 409]]);
    expect(out.stale).toEqual({ status: 409, body: {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Conflict', code: 409,
      message: 'Operation cannot be fulfilled on inferenceservices.serving.kserve.io "py-target": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'py-target', group: 'serving.kserve.io', kind: 'inferenceservices' },
    } });
  });

  it('creates an events.k8s.io/v1 Event that kubectl then lists', async () => {
    expect(out.event).toBe('py-target.python');
    expect(standin.events.at(-1)).toMatchObject({ eventTime: '2026-12-01T11:50:00.123456Z', reason: 'CanaryRolledBack', regarding: { name: 'py-target' } });
    const r = await kubectl(['get', 'events.events.k8s.io'], 'viewer');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(lines[1]).toMatch(/^\S+\s+Warning\s+CanaryRolledBack\s+inferenceservice\/py-target\s+rolled back by the Python client$/);
  });

  it('raises 404 NotFound and 403 Forbidden with the real server\'s Status objects', () => {
    expect(out.missing).toEqual({ status: 404, body: {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404,
      message: 'inferenceservices.serving.kserve.io "nope" not found', details: { name: 'nope', group: 'serving.kserve.io', kind: 'inferenceservices' },
    } });
    expect(out.forbidden).toEqual({ status: 403, body: {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
      message: `inferenceservices.serving.kserve.io "py-target" is forbidden: User "${VIEWER}" cannot patch resource "inferenceservices" in API group "serving.kserve.io" in the namespace "payments"`,
      details: { name: 'py-target', group: 'serving.kserve.io', kind: 'inferenceservices' },
    } });
    expect(storedPercent('py-target')).toBe(40);
  });
});
