/**
 * Canary analysis end to end, on the real parts: model servers in several revisions, each behind
 * its own real sidecar shipping captures to the real daemon (SQLite file); traffic split by this
 * test at the InferenceService's current percent, as Knative would; the daemon judging every
 * second through its default Kubernetes adapter (@kubernetes/client-node, KUBECONFIG) against the
 * Kubernetes STAND-IN (no kube-apiserver runs here; src/demo/kube-standin.ts); a real Alertmanager
 * with the generated routing delivering to webhooks this test serves.
 *
 * (c) a good canary walks the steps and is promoted (first: the bad canaries after it spend the
 * model's error budget, and no canary is stepped or promoted while it is spent); (a) a canary with
 * 10% 5xx and 3× latency is rolled back (after a 403 and a 409 on its patches); (b) a canary with
 * healthy errors and latency but shifted predictions is rolled back on drift alone; (d) a thin
 * canary holds; (e) dry_run patches nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { KubeStandin } from '../../src/demo/kube-standin.js';
import { selfSignedCert } from '../../src/demo/kube-standin-tls.js';
import { mulberry32 } from '../../src/demo/prng.js';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import type { CanaryDecisionRecord } from '../../src/store/port.js';
import { generatedRoutingForTests, startAlertmanager, type AlertmanagerServer } from '../support/alertmanager.js';
import { TEST_TOKEN } from '../support/daemon.js';
import { mustParse } from '../support/fixtures.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { metricValue, send, testOptions, waitFor } from '../sidecar/helpers.js';
import { startWebhook, type WebhookServer } from '../support/webhook.js';

const NS = 'payments';
const SA = 'system:serviceaccount:modelslo-system:modelslo';
const rev = (model: string, n: number): string => `${model}-predictor-${String(n).padStart(5, '0')}`;

let dir: string;
let standin: KubeStandin;
let webhook: WebhookServer;
let am: AlertmanagerServer;
let daemon: RunningDaemon;
let servers: { primary: ModelServer; bad: ModelServer; drifted: ModelServer; good: ModelServer };
const sidecars = new Map<string, Sidecar>();
const rand = mulberry32(42);

function configText(alertmanagerUrl: string, hook: string): string {
  const canary = '{ interval: 1s, window: 5m, min_requests: 100, failure_limit: 2, promote_after: 2, steps: [25, 50] }';
  const model = (name: string, c: string): string[] => [
    `  - name: ${name}`,
    `    namespace: ${NS}`,
    '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
    '    slos:',
    '      - { name: availability, objective: 99.9, sli: { availability: {} } }',
    '      - { name: latency, objective: 99, sli: { latency: { threshold_ms: 500 } } }',
    `    canary: ${c}`,
  ];
  return [
    'alerting:',
    `  alertmanager_url: ${alertmanagerUrl}`,
    '  oncall_receiver: oncall',
    '  receivers:',
    `    - { name: oncall, webhook_configs: [{ url: "${hook}/oncall", send_resolved: true }] }`,
    `    - { name: fraud-ml, webhook_configs: [{ url: "${hook}/fraud-ml", send_resolved: true }] }`,
    'models:',
    ...model('fraud-detector', canary),
    ...model('fraud-shadow', '{ interval: 1s, window: 5m, min_requests: 100, failure_limit: 1, dry_run: true }'),
    '',
  ].join('\n');
}

/** A sidecar for one revision of a model in front of `server`. */
async function sidecarFor(model: string, revision: string, server: ModelServer, endpoint: 'default' | 'canary'): Promise<Sidecar> {
  const spool = await mkdtemp(join(dir, 'spool-'));
  const s = await startSidecar(
    testOptions(server.url, daemon.url, spool, undefined, (o) => {
      o.token = TEST_TOKEN;
      o.defaultModel = model;
      o.revision = revision;
      o.endpoint = endpoint;
      o.traceSampleRatio = 0;
    }),
  );
  sidecars.set(revision, s);
  return s;
}

/** The traffic split KServe reports for the model: revision → percent. */
function split(model: string): Map<string, number> {
  const o = standin.isvc(NS, model) as { status: { components: { predictor: { traffic: Array<{ revisionName: string; percent: number }> } } } };
  return new Map(o.status.components.predictor.traffic.filter((t) => t.percent > 0).map((t) => [t.revisionName, t.percent]));
}

/** Sends `n` V1 requests, each to a revision drawn by the current split (re-read every 50), 8 at a time. */
async function drive(model: string, n: number): Promise<Record<string, number>> {
  const sent: Record<string, number> = {};
  let shares = split(model);
  let next = 0;
  const one = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      if (i % 50 === 0) shares = split(model);
      let u = rand() * 100;
      let target = [...shares.keys()][0] ?? '';
      for (const [r, p] of shares) {
        if (u < p) {
          target = r;
          break;
        }
        u -= p;
      }
      const sidecar = sidecars.get(target);
      if (sidecar === undefined) throw new Error(`no sidecar for revision ${target}`);
      const body = JSON.stringify({ instances: [[Math.round(rand() * 100) / 10, Math.round(rand() * 100) / 10]] });
      await send(`${sidecar.url}/v1/models/${model}:predict`, { headers: { 'content-type': 'application/json' }, body });
      sent[target] = (sent[target] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
  for (const s of sidecars.values()) s.flushQueue();
  return sent;
}

const decisions = (model: string, revision: string): Promise<CanaryDecisionRecord[]> =>
  daemon.store.canaryDecisions({ namespace: NS, model, limit: 1000 }).then((ds) => ds.filter((d) => d.revision === revision));

/**
 * The daemon has stored its decision to `verdict` the revision, with the patch applied. The stand-in
 * shows a patch as soon as it is applied; the daemon records the decision (and posts its Event) only
 * when the answer is back, so a test waits for both before it reads them.
 */
const patchedLast = async (model: string, revision: string, verdict: string): Promise<boolean> => {
  const last = (await decisions(model, revision)).at(-1);
  return last?.verdict === verdict && last.action === 'patched';
};

const percentOf = (model: string): unknown => (standin.isvc(NS, model) as { spec: { predictor: { canaryTrafficPercent?: number } } }).spec.predictor.canaryTrafficPercent;

/** Sends traffic in rounds until `done` holds (the daemon judges every second meanwhile). */
async function driveUntil(model: string, what: string, done: () => boolean | Promise<boolean>, perRound = 400, timeoutMs = 45_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; decisions:\n${timeline(await daemon.store.canaryDecisions({ namespace: NS, model, limit: 30 }))}`);
    await drive(model, perRound);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const timeline = (ds: readonly CanaryDecisionRecord[]): string =>
  ds.map((d) => `${new Date(d.timeMs).toISOString()} ${d.percent}% ${d.verdict}/${d.action} canary=${d.requests.canary} primary=${d.requests.primary}: ${d.reason}${d.error ? ` [${d.error}]` : ''}`).join('\n');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelslo-canary-e2e-'));
  const tls = await selfSignedCert();
  standin = await KubeStandin.start({
    tls,
    users: [{ token: 'modelslo-sa-token', user: SA, verbs: { inferenceservices: ['get', 'list', 'watch', 'patch'], events: ['create'] } }],
    isvcs: [{ namespace: NS, name: 'fraud-detector' }, { namespace: NS, name: 'fraud-shadow' }],
  });
  await writeFile(join(dir, 'ca.pem'), tls.cert);
  await writeFile(
    join(dir, 'kubeconfig'),
    ['apiVersion: v1', 'kind: Config', 'clusters:', `- name: standin`, `  cluster: { server: "${standin.url}", certificate-authority: "${join(dir, 'ca.pem')}" }`, 'users:', '- name: modelslo', '  user: { token: modelslo-sa-token }', 'contexts:', '- name: c', '  context: { cluster: standin, user: modelslo }', 'current-context: c', ''].join('\n'),
  );
  // The daemon's default adapter reads the kubeconfig as in production (loadFromDefault).
  process.env.KUBECONFIG = join(dir, 'kubeconfig');
  webhook = await startWebhook();
  const amConfig = mustParse(configText('http://127.0.0.1:1', webhook.url));
  am = await startAlertmanager(generatedRoutingForTests(amConfig));
  daemon = await startDaemon({ config: mustParse(configText(am.url, webhook.url)), token: TEST_TOKEN, listen: '127.0.0.1:0', db: join(dir, 'modelslo.db') });
  const server = async (knobs: Partial<ModelServer['knobs']>): Promise<ModelServer> => {
    const s = await startModelServer({ record: false });
    Object.assign(s.knobs, knobs);
    return s;
  };
  // Primary and good canary alike; the bad one fails every 10th request and takes 3× as long; the drifted one predicts 3 more.
  servers = { primary: await server({ delayMs: 20 }), bad: await server({ delayMs: 60, failEvery: 10 }), drifted: await server({ delayMs: 20, offset: 3 }), good: await server({ delayMs: 20 }) };
  await sidecarFor('fraud-detector', rev('fraud-detector', 1), servers.primary, 'default');
  await sidecarFor('fraud-shadow', rev('fraud-shadow', 1), servers.primary, 'default');
}, 120_000);

afterAll(async () => {
  for (const s of sidecars.values()) await s.close(2_000);
  await daemon?.close();
  await am?.stop();
  await webhook?.stop();
  for (const s of Object.values(servers ?? {})) await s.stop();
  await standin?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('canary analysis through the Kubernetes API', () => {
  it('(c) walks a good canary through the steps and promotes it', async () => {
    const canary = rev('fraud-detector', 2);
    await sidecarFor('fraud-detector', canary, servers.good, 'canary');
    standin.rolloutRevision(NS, 'fraud-detector', 10);
    await driveUntil('fraud-detector', 'the promotion', async () => percentOf('fraud-detector') === undefined && (await patchedLast('fraud-detector', canary, 'promote')), 300, 100_000);
    const ds = await decisions('fraud-detector', canary);
    const moves = ds.filter((d) => d.action === 'patched').map((d) => [d.verdict, (d.patch as { spec: { predictor: { canaryTrafficPercent: number | null } } }).spec.predictor.canaryTrafficPercent]);
    expect(moves).toEqual([['step', 25], ['step', 50], ['promote', null]]);
    const o = standin.isvc(NS, 'fraud-detector') as { status: { components: { predictor: { latestRolledoutRevision: string } } } };
    expect(o.status.components.predictor.latestRolledoutRevision).toBe(canary);
    expect(split('fraud-detector')).toEqual(new Map([[canary, 100]]));
  }, 120_000);

  it('(a) rolls back a canary with 10% 5xx and 3× latency; a 403 is reported with the verb, a 409 retried', async () => {
    const canary = rev('fraud-detector', 3);
    await sidecarFor('fraud-detector', canary, servers.bad, 'canary');
    const seen = standin.requests.length;
    standin.rolloutRevision(NS, 'fraud-detector', 10);
    // The first rollback patch is forbidden, the second meets a conflict: both must be survived.
    standin.failNext({ verb: 'patch', resource: 'inferenceservices', status: 403 });
    standin.failNext({ verb: 'patch', resource: 'inferenceservices', status: 409 });
    await driveUntil('fraud-detector', 'the rollback', async () => percentOf('fraud-detector') === 0 && (await patchedLast('fraud-detector', canary, 'rollback')) && standin.events.some((e) => (e as { reason?: string }).reason === 'CanaryRolledBack'));

    const ds = await decisions('fraud-detector', canary);
    console.log(`decision timeline of (a):\n${timeline(ds)}`);
    const failed = ds.find((d) => d.action === 'failed');
    expect(failed?.error).toMatch(/forbidden.*patch.*inferenceservices/i);
    const rollback = ds.at(-1);
    expect(rollback).toMatchObject({ verdict: 'rollback', action: 'patched', outcome: 'fail', patch: { spec: { predictor: { canaryTrafficPercent: 0 } } } });
    expect((rollback?.apiResponse as { attempts: number }).attempts).toBe(2);
    const checks = rollback?.checks as Array<{ name: string; pass: boolean; value: number }>;
    expect(checks.map((c) => c.name)).toEqual(['error_rate', 'latency', 'latency_p99_ratio', 'budget:availability', 'budget:latency', 'prediction_drift']);
    expect(checks.filter((c) => !c.pass).map((c) => c.name)).toEqual(expect.arrayContaining(['error_rate', 'latency', 'budget:availability']));
    // Before the rollback: holds for too few records, then a failed analysis held (1 of failure_limit 2).
    expect(ds.some((d) => d.verdict === 'hold' && d.outcome === 'fail')).toBe(true);

    // The stand-in shows it: 0%, the traffic back on the primary, and an Event on the InferenceService.
    expect(split('fraud-detector')).toEqual(new Map([[rev('fraud-detector', 2), 100]]));
    const event = standin.events.find((e) => (e as { reason?: string }).reason === 'CanaryRolledBack') as { type: string; regarding: { name: string; kind: string }; note: string; reportingController: string } | undefined;
    expect(event).toMatchObject({ type: 'Warning', regarding: { name: 'fraud-detector', kind: 'InferenceService' }, reportingController: 'modelslo.io/canary' });
    expect(standin.events.filter((e) => (e as { reason?: string }).reason === 'CanaryRollbackFailed')).toHaveLength(1);
    const patches = standin.requests.slice(seen).filter((r) => r.method === 'PATCH' && r.path.endsWith('/inferenceservices/fraud-detector'));
    expect(patches.map((p) => p.status)).toEqual([403, 409, 200]);
    expect(patches.every((p) => p.contentType === 'application/merge-patch+json')).toBe(true);
    expect(JSON.parse(patches.at(-1)?.body ?? '{}')).toMatchObject({ spec: { predictor: { canaryTrafficPercent: 0 } } });

    // The owners got ModelCanaryRolledBack through the real Alertmanager; the on-call did not.
    const n = await webhook.waitFor((x) => x.alerts.some((a) => a.labels.alertname === 'ModelCanaryRolledBack'), 30_000);
    expect(n.path).toBe('/fraud-ml');
    expect(n.alerts[0]?.labels).toMatchObject({ severity: 'ticket', namespace: NS, model: 'fraud-detector', revision: canary });
    expect(webhook.received.filter((x) => x.path === '/oncall' && x.alerts.some((a) => a.labels.alertname === 'ModelCanaryRolledBack'))).toEqual([]);

    // The API and the metric agree.
    const api = await (await fetch(`${daemon.url}/api/v1/models/${NS}/fraud-detector/canary`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json() as { status: string; decisions: unknown[] };
    expect(api.status).toBe('rolled_back');
    expect(api.decisions.length).toBe((await daemon.store.canaryDecisions({ namespace: NS, model: 'fraud-detector', limit: 1000 })).length);
    const metrics = await daemon.metrics.registry.metrics();
    expect(metricValue(metrics, 'modelslo_canary_decisions_total', { model: 'fraud-detector', decision: 'rollback' })).toBe(2);
    expect(metricValue(metrics, 'modelslo_canary_failures_total', { model: 'fraud-detector', reason: 'kubernetes' })).toBeGreaterThanOrEqual(1);
    await sidecars.get(canary)?.close(2_000);
    sidecars.delete(canary);
  });

  it('(b) rolls back a canary whose errors and latency are healthy but whose predictions shifted', async () => {
    const canary = rev('fraud-detector', 4);
    await sidecarFor('fraud-detector', canary, servers.drifted, 'canary');
    standin.rolloutRevision(NS, 'fraud-detector', 10);
    await driveUntil('fraud-detector', 'the rollback on drift', async () => percentOf('fraud-detector') === 0 && (await patchedLast('fraud-detector', canary, 'rollback')));
    const last = (await decisions('fraud-detector', canary)).at(-1);
    expect(last).toMatchObject({ verdict: 'rollback', action: 'patched' });
    const failed = (last?.checks as Array<{ name: string; pass: boolean }>).filter((c) => !c.pass).map((c) => c.name);
    // The predictions decide it; errors and the latency test (a significance test) pass. The p99
    // ratio is a bare threshold on a tail of ~10% of the traffic: on a loaded 2-core machine it can
    // cross 1.5 by scheduling noise alone, so it is not asserted here ((a) asserts it fails on 3×).
    expect(failed).toContain('prediction_drift');
    expect(failed).not.toContain('error_rate');
    expect(failed).not.toContain('latency');
  });

  it('(d) holds a thin canary: never rolled back or promoted for lack of data', async () => {
    const canary = rev('fraud-detector', 5);
    await sidecarFor('fraud-detector', canary, servers.bad, 'canary');
    standin.rolloutRevision(NS, 'fraud-detector', 1);
    // 1% of 1,500 requests: about 15 canary records, far under min_requests 100.
    await drive('fraud-detector', 1500);
    await waitFor('three analyses of the thin canary', async () => (await decisions('fraud-detector', canary)).filter((d) => d.requests.canary > 0).length >= 3, 20_000);
    const ds = await decisions('fraud-detector', canary);
    expect(ds.every((d) => d.verdict === 'hold' && d.outcome === 'inconclusive' && d.action === 'none')).toBe(true);
    expect(ds.at(-1)?.reason).toMatch(/canary has \d+ request records in the window, fewer than min_requests 100/);
    expect(percentOf('fraud-detector')).toBe(1);
  });

  it('(e) under dry_run records "would roll back" and patches nothing', async () => {
    const canary = rev('fraud-shadow', 2);
    await sidecarFor('fraud-shadow', canary, servers.bad, 'canary');
    standin.rolloutRevision(NS, 'fraud-shadow', 10);
    await driveUntil('fraud-shadow', 'a dry-run rollback', async () => (await decisions('fraud-shadow', canary)).some((d) => d.verdict === 'rollback'), 400);
    const d = (await decisions('fraud-shadow', canary)).find((x) => x.verdict === 'rollback');
    expect(d).toMatchObject({ action: 'dry_run', patch: { spec: { predictor: { canaryTrafficPercent: 0 } } } });
    expect(d?.reason).toMatch(/^dry run: would roll back/);
    expect(percentOf('fraud-shadow')).toBe(10);
    expect(standin.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/fraud-shadow'))).toEqual([]);
  });
});
