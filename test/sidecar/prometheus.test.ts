/**
 * A real Prometheus scrapes the sidecar every second and evaluates the rules modelslo generates for
 * the model (availability and a 200 ms latency SLO): the recorded error ratios see the injected
 * errors and slow requests.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Config } from '../../src/model/types.js';
import { renderYaml } from '../../src/render/yaml.js';
import { modelRuleFile } from '../../src/rules/model-rules.js';
import { startSidecar, type Sidecar } from '../../src/sidecar/sidecar.js';
import { startEventReceiver, type EventReceiver } from '../support/event-receiver.js';
import { mustParse, oneModelText } from '../support/fixtures.js';
import { startModelServer, type ModelServer } from '../support/model-server.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { send, tempDir, testOptions, waitFor } from './helpers.js';

let config: Config;
let model: ModelServer;
let receiver: EventReceiver;
let sidecar: Sidecar;
let prom: PrometheusServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  config = mustParse(
    oneModelText({
      slos: ['      - { name: availability, objective: 99.9, sli: { availability: {} } }', '      - { name: latency, objective: 99, sli: { latency: { threshold_ms: 200 } } }'].join('\n'),
    }),
  );
  const m = config.models[0];
  if (m === undefined) throw new Error('no model');
  model = await startModelServer({ record: false });
  receiver = await startEventReceiver();
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  sidecar = await startSidecar(testOptions(model.url, receiver.url, tmp.dir, config), { tracing: false });
  prom = await startPrometheus({
    config: [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'rule_files: [rules.yaml]',
      'scrape_configs:',
      `  - { job_name: sidecar, static_configs: [{ targets: ['127.0.0.1:${sidecar.port}'] }] }`,
    ].join('\n'),
    files: { 'rules.yaml': renderYaml(modelRuleFile(m, config.alerting)) },
  });
}, 60_000);
afterAll(async () => {
  await prom.stop();
  await sidecar.close(2_000);
  await model.stop();
  await receiver.down();
  await cleanup();
});

const infer = (headers: Record<string, string> = {}): Promise<number> =>
  send(`${sidecar.url}/v2/models/fraud-detector/infer`, {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }),
  }).then((r) => r.status);

async function scalar(expr: string): Promise<number> {
  const r = await prom.query(expr);
  return r[0]?.value ?? Number.NaN;
}

it('exposes a histogram bucket at every configured latency threshold', async () => {
  await infer();
  const text = await sidecar.metrics.registry.metrics();
  expect(text).toContain('modelslo_request_duration_seconds_bucket{le="0.2",model="fraud-detector",namespace="payments"');
});

it('the generated availability and latency rules see the injected errors and slow requests', async () => {
  // Warm-up: every series exists before the measured traffic, so rate() sees its whole increase.
  expect(await Promise.all([infer(), infer({ 'x-test-status': '500' }), infer({ 'x-test-delay-ms': '300' })])).toEqual([200, 500, 200]);
  await waitFor('two scrapes of the warm-up', async () => (await scalar('count_over_time(modelslo_requests_total{code="500"}[1m])')) >= 2, 20_000);

  const ok = Array.from({ length: 30 }, () => infer());
  const errors = Array.from({ length: 10 }, () => infer({ 'x-test-status': '500' }));
  const slow = Array.from({ length: 10 }, () => infer({ 'x-test-delay-ms': '300' }));
  const statuses = await Promise.all([...ok, ...errors, ...slow]);
  expect(statuses.filter((s) => s === 500)).toHaveLength(10);

  const before = 4; // the first test's request and the three warm-ups
  await waitFor('Prometheus to scrape all requests', async () => (await scalar('sum(modelslo_requests_total{model="fraud-detector"})')) === before + 50, 20_000);
  expect(await scalar('sum(modelslo_requests_total{model="fraud-detector",code="500"})')).toBe(11);
  await waitFor('the rules to evaluate the new samples', async () => (await scalar('modelslo:sli_error:ratio_rate5m{slo="availability"}')) > 0.1, 20_000);
  await new Promise((r) => setTimeout(r, 2_500));

  // Injected: 10 errors and 10 slow (> 200 ms) in 50 requests = 0.2 each. rate() extrapolates each
  // series a little differently at the window's start, hence the tolerance.
  const availability = await scalar('modelslo:sli_error:ratio_rate5m{slo="availability",model="fraud-detector",namespace="payments"}');
  const latency = await scalar('modelslo:sli_error:ratio_rate5m{slo="latency",model="fraud-detector",namespace="payments"}');
  expect(availability).toBeGreaterThan(0.17);
  expect(availability).toBeLessThan(0.23);
  expect(latency).toBeGreaterThan(0.17);
  expect(latency).toBeLessThan(0.23);
  // The 5-minute burn rate of the 99.9% availability SLO is far over the 14.4× page threshold.
  expect(await scalar('modelslo:sli_error:ratio_rate5m{slo="availability"} / 0.001')).toBeGreaterThan(14.4);
}, 90_000);
