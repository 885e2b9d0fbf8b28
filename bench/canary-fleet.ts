/**
 * One canary interval of a fleet: 200 models, each with a canary at 10% in the Kubernetes
 * STAND-IN (over TLS, through the real @kubernetes/client-node adapter), 2,000 primary and 200
 * canary request records each in a real SQLite store; one round of every model's canary analysis
 * (read the InferenceService, read both sides' records, analyse, decide, record; one model in ten
 * is bad and is rolled back with a patch and an Event). Target: the round takes under 10% of the
 * default interval (1m). The load average at start is printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CanaryRunner } from '../src/canary/runner.js';
import { KubeStandin } from '../src/demo/kube-standin.js';
import { selfSignedCert } from '../src/demo/kube-standin-tls.js';
import { mulberry32 } from '../src/demo/prng.js';
import type { InferenceEvent } from '../src/ingest/types.js';
import { KubeRollout } from '../src/k8s/kube-rollout.js';
import { silentLogger } from '../src/ops/logger.js';
import { durationSeconds } from '../src/slo/burn-windows.js';
import { parseConfig } from '../src/spec/parse.js';
import { openSqliteStore } from '../src/store/sqlite.js';

const MODELS = Number(process.env.CANARY_FLEET_MODELS ?? 200);
const PRIMARY = 2000;
const CANARY = 200;
const NS = 'fleet';

function configText(): string {
  const lines = ['alerting: { receivers: [{ name: oncall }, { name: owners }] }', 'models:'];
  for (let i = 0; i < MODELS; i++) {
    lines.push(`  - name: m${i}`, `    namespace: ${NS}`, '    owners: [{ team: t, receiver: owners }]', '    slos: [{ name: availability, objective: 99.9, sli: { availability: {} } }]', `    canary: { min_requests: 100, failure_limit: 1 }`);
  }
  return `${lines.join('\n')}\n`;
}

function events(model: string, revision: string, endpoint: string, n: number, nowMs: number, bad: boolean, seed: number): InferenceEvent[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i): InferenceEvent => ({
    source: `bench/${model}/${revision}`, id: `${revision}-${i}`, type: 'org.kubeflow.serving.inference.response', kind: 'response', timeMs: nowMs - 60_000 + Math.floor(r() * 59_000),
    model, namespace: NS, component: 'predictor', endpoint, revision, protocol: 'v1', path: `/v1/models/${model}:predict`,
    status: bad && i % 10 === 0 ? 500 : 200, latencyMs: (bad ? 60 : 20) * (0.5 + r()), truncated: false, redacted: null, contentType: 'application/json',
    payload: null, decoded: JSON.stringify([r()]), metadata: null, decodeError: null,
  }));
}

/** Runs the benchmark; returns its table. */
export async function run(progress: (m: string) => void): Promise<string> {
  const load = loadavg()[0]?.toFixed(2) ?? '?';
  const dir = mkdtempSync(join(tmpdir(), 'modelslo-bench-canary-fleet-'));
  const tls = await selfSignedCert();
  const standin = await KubeStandin.start({ tls, users: [{ token: 't', user: 'system:serviceaccount:modelslo-system:modelslo', verbs: { inferenceservices: ['get', 'patch'], events: ['create'] } }] });
  const store = await openSqliteStore(join(dir, 'fleet.db'));
  try {
    const parsed = parseConfig(configText(), 'fleet.yaml');
    if (!parsed.ok) throw new Error('fleet config invalid');
    const nowMs = Date.now();
    progress(`writing ${MODELS} models × ${PRIMARY + CANARY} records`);
    for (let i = 0; i < MODELS; i++) {
      const name = `m${i}`;
      standin.createIsvc({ namespace: NS, name });
      standin.rolloutRevision(NS, name, 10);
      const bad = i % 10 === 0;
      await store.insertEvents([...events(name, `${name}-predictor-00001`, 'default', PRIMARY, nowMs, false, 2 * i + 1), ...events(name, `${name}-predictor-00002`, 'canary', CANARY, nowMs, bad, 2 * i + 2)]);
    }
    writeFileSync(join(dir, 'ca.pem'), tls.cert);
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 's', server: standin.url, caFile: join(dir, 'ca.pem') }], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'c', cluster: 's', user: 'u' }], currentContext: 'c' });
    const runner = new CanaryRunner({ models: parsed.config.models, rollout: new KubeRollout({ kubeConfig: kc }), store, log: silentLogger(), now: () => nowMs });
    // One warm-up round of a single model (JIT, TLS session, prepared statements), unmeasured.
    await runner.run(NS, 'm1');
    progress(`judging ${MODELS} canaries`);
    const t0 = process.hrtime.bigint();
    const states = await Promise.all(parsed.config.models.map((m) => runner.run(m.namespace, m.name)));
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const rolledBack = states.filter((x) => x.status === 'rolled_back').length;
    const interval = durationSeconds('1m');
    const share = s / interval;
    await runner.close();
    return [
      `load average at start: ${load}`,
      `one interval judging ${MODELS} canaries (${PRIMARY} + ${CANARY} records each, ${rolledBack} rolled back): ${s.toFixed(2)} s = ${(100 * share).toFixed(1)}% of the 1m interval (target < 10%: ${share < 0.1 ? 'PASS' : 'MISS'})`,
    ].join('\n');
  } finally {
    await store.close();
    await standin.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
