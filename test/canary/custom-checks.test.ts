/**
 * The daemon's canary wiring against a real Prometheus (backfilled series): custom PromQL checks
 * with `{{revision}}` get the canary revision's value, and judge it against its range; a query
 * without data or a failing Prometheus makes the check inconclusive, never failed; the error-budget
 * gate reads the recorded budget-remaining series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyse } from '../../src/canary/decide.js';
import { canaryDeps } from '../../src/daemon/canary-wiring.js';
import { createMetrics, type DaemonMetrics } from '../../src/daemon/metrics.js';
import type { RolloutPort } from '../../src/k8s/port.js';
import type { Config, Model } from '../../src/model/types.js';
import { silentLogger } from '../../src/ops/logger.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { mustParse } from '../support/fixtures.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';

let prom: PrometheusServer;
let store: SqliteStore;
let metrics: DaemonMetrics;
const NOW = Math.floor(Date.now() / 1000) * 1000;

const unusedRollout: RolloutPort = {
  read: () => Promise.reject(new Error('not used')),
  setCanaryPercent: () => Promise.reject(new Error('not used')),
  recordEvent: () => Promise.reject(new Error('not used')),
};

function config(prometheusUrl: string): Config {
  return mustParse(
    [
      'alerting: { receivers: [{ name: oncall }, { name: owners }] }',
      `daemon: { prometheus_url: "${prometheusUrl}" }`,
      'models:',
      ...['fraud-detector', 'churn'].flatMap((name) => [
        `  - name: ${name}`,
        '    namespace: payments',
        '    owners: [{ team: t, receiver: owners }]',
        '    slos: [{ name: availability, objective: 99.9, sli: { availability: {} } }]',
        '    canary:',
        '      custom:',
        '        - { name: gpu, query: "max_over_time(gpu_utilization{namespace=\\"{{namespace}}\\",revision=\\"{{revision}}\\"}[10m])", max: 0.9 }',
        '        - { name: queue, query: "sum(queue_length{revision=\\"{{revision}}\\"})", min: 0, max: 5 }',
      ]),
      '',
    ].join('\n'),
  );
}

/** OpenMetrics of the last 30 minutes at 15 s: GPU use per revision, and the recorded budget remaining of two models. */
function history(): string {
  const lines = ['# TYPE gpu_utilization gauge'];
  const from = NOW / 1000 - 1800;
  for (const [rev, v] of [['fraud-detector-predictor-00001', 0.5], ['fraud-detector-predictor-00002', 0.95]] as const) {
    for (let t = from; t <= NOW / 1000 - 15; t += 15) lines.push(`gpu_utilization{namespace="payments",revision="${rev}"} ${v} ${t}`);
  }
  lines.push('# TYPE modelslo:slo_error_budget_remaining:ratio gauge');
  for (const [model, v] of [['fraud-detector', -0.25], ['churn', 0.6]] as const) {
    for (let t = from; t <= NOW / 1000 - 15; t += 15) lines.push(`modelslo:slo_error_budget_remaining:ratio{namespace="payments",model="${model}",slo="availability"} ${v} ${t}`);
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

beforeAll(async () => {
  prom = await startPrometheus({ config: 'global: { scrape_interval: 15s }\n', openMetrics: history() });
  store = await openSqliteStore(':memory:');
  metrics = createMetrics();
});

afterAll(async () => {
  metrics?.stop();
  await store?.close();
  await prom?.stop();
});

const model = (cfg: Config, name: string): Model => {
  const m = cfg.models.find((x) => x.name === name);
  if (m === undefined) throw new Error(name);
  return m;
};

describe('canary checks through Prometheus', () => {
  it('reads each custom check for the canary revision and judges it against its range', async () => {
    const cfg = config(prom.url);
    const deps = await canaryDeps({ config: cfg, store, metrics, log: silentLogger(), sink: null, rollout: unusedRollout });
    const m = model(cfg, 'fraud-detector');
    const values = await deps.customValues?.(m, 'fraud-detector-predictor-00002', NOW);
    expect(values?.[0]).toEqual({ name: 'gpu', query: 'max_over_time(gpu_utilization{namespace="payments",revision="fraud-detector-predictor-00002"}[10m])', value: 0.95 });
    expect(values?.[1]).toMatchObject({ name: 'queue', value: null });
    const primary = await deps.customValues?.(m, 'fraud-detector-predictor-00001', NOW);
    expect(primary?.[0]?.value).toBe(0.5);

    const side = { statuses: Array(300).fill(200), latenciesMs: Array.from({ length: 300 }, (_, i) => 10 + (i % 7)), predictions: [] };
    const settings = m.canary;
    if (settings === undefined) throw new Error('no canary settings');
    const a = analyse({ settings, slos: [], canary: side, primary: side, custom: values ?? [] });
    expect(a.checks.find((c) => c.name === 'custom:gpu')).toMatchObject({ value: 0.95, threshold: 0.9, pass: false });
    expect(a.checks.find((c) => c.name === 'custom:queue')).toMatchObject({ value: null, inconclusive: true });
    expect(a.outcome).toBe('fail');
  });

  it('gates steps and promotions on the recorded error budget', async () => {
    const cfg = config(prom.url);
    const deps = await canaryDeps({ config: cfg, store, metrics, log: silentLogger(), sink: null, rollout: unusedRollout });
    expect(await deps.budgetExhausted?.(model(cfg, 'fraud-detector'), NOW)).toBe(true);
    expect(await deps.budgetExhausted?.(model(cfg, 'churn'), NOW)).toBe(false);
  });

  it('makes a check inconclusive, with the reason, when Prometheus fails', async () => {
    const cfg = config('http://127.0.0.1:1');
    const deps = await canaryDeps({ config: cfg, store, metrics, log: silentLogger(), sink: null, rollout: unusedRollout });
    const values = await deps.customValues?.(model(cfg, 'fraud-detector'), 'fraud-detector-predictor-00002', NOW);
    expect(values?.[0]?.value).toBeNull();
    expect(values?.[0]?.error).toMatch(/ECONNREFUSED|connect/);
  });
});
