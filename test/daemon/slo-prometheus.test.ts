/**
 * The SLO status API with `daemon.prometheus_url` set: the daemon reads the recorded rules from a
 * real Prometheus (generated rules over backfilled sidecar history), and falls back to its own
 * records, saying why, when Prometheus does not answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/model/types.js';
import { renderYaml } from '../../src/render/yaml.js';
import { modelRuleFile } from '../../src/rules/model-rules.js';
import { alertThreshold, burnAlertActive, errorBudget } from '../../src/slo/budget.js';
import { BURN_WINDOWS, burnFactor, recordedWindows } from '../../src/slo/burn-windows.js';
import { daemonConfigText, startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { mustParse } from '../support/fixtures.js';
import { freePort } from '../support/free-port.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { openMetricsText, sidecarHistory } from '../support/synthetic-sidecar.js';

interface SloJson {
  slo: string;
  source: string;
  note?: string;
  budgetRemaining: number | null;
  errorRatios: Record<string, number | null>;
  burnRates: Array<{ severity: string; long: string; short: string; firing: boolean }>;
}

const model = mustParse(daemonConfigText()).models[0] as Model;
let prom: PrometheusServer;
let daemon: TestDaemon;
let down: TestDaemon;

beforeAll(async () => {
  const history = sidecarHistory({ endMs: Math.floor(Date.now() / 1000) * 1000 - 3000, minutes: 1440, namespace: model.namespace, model: model.name, bucketsSeconds: model.latencyBucketsMs.map((ms) => ms / 1000) });
  // A one-minute evaluation interval: right after the first evaluation the recorded values stay
  // put for a minute, so the daemon and this test read the same samples.
  prom = await startPrometheus({
    config: 'global: { evaluation_interval: 1m }\nrule_files: [rules.yaml]\n',
    files: { 'rules.yaml': renderYaml(modelRuleFile(model, mustParse(daemonConfigText()).alerting)) },
    openMetrics: openMetricsText(history),
  });
  for (let i = 0; (await prom.query('modelslo:slo_error_budget_remaining:ratio')).length < model.slos.length; i++) {
    if (i > 300) throw new Error('rules did not evaluate in 75 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  daemon = await startTestDaemon(`prometheus_url: ${prom.url}`);
  down = await startTestDaemon(`prometheus_url: http://127.0.0.1:${await freePort()}`);
}, 180_000);

afterAll(async () => {
  await daemon?.stop();
  await down?.stop();
  await prom?.stop();
});

const statuses = async (d: TestDaemon): Promise<SloJson[]> => ((await d.get(`/api/v1/models/${model.namespace}/${model.name}/slo`)).body as { slos: SloJson[] }).slos;

describe('SLO status from Prometheus', () => {
  it.each(model.slos.map((s) => [s.name, s] as const))('%s: error ratios and budget are the recorded rules, burn rows follow them', async (name, slo) => {
    const sel = `{slo="${name}"}`;
    const recorded = async (): Promise<Record<string, number | undefined>> => {
      const out: Record<string, number | undefined> = {};
      for (const w of recordedWindows(slo.window)) out[w] = (await prom.query(`modelslo:sli_error:ratio_rate${w}${sel}`))[0]?.value;
      out.budget = (await prom.query(`modelslo:slo_error_budget_remaining:ratio${sel}`))[0]?.value;
      return out;
    };
    // Read Prometheus before and after the daemon; equal readings mean no evaluation came between.
    let s: SloJson | undefined;
    let before: Record<string, number | undefined> = {};
    for (let attempt = 0; attempt < 3; attempt++) {
      before = await recorded();
      s = (await statuses(daemon)).find((x) => x.slo === name);
      if (JSON.stringify(await recorded()) === JSON.stringify(before)) break;
    }
    expect(s?.source).toBe('prometheus');
    for (const w of recordedWindows(slo.window)) expect(s?.errorRatios[w], `window ${w}`).toBe(before[w]);
    expect(s?.budgetRemaining).toBe(before.budget);
    const budget = errorBudget(slo.objective);
    for (const row of BURN_WINDOWS) {
      const long = s?.errorRatios[row.long] ?? NaN;
      const short = s?.errorRatios[row.short] ?? NaN;
      const got = s?.burnRates.find((b) => b.long === row.long)?.firing;
      expect(got, `${row.long}/${row.short}`).toBe(burnAlertActive(long, short, alertThreshold(burnFactor(row, slo.window), budget)));
    }
  });

  it('sees the fast burn at the end of the history: the availability page row fires', async () => {
    const s = (await statuses(daemon)).find((x) => x.slo === 'availability');
    expect(s?.burnRates.find((b) => b.long === '1h')?.firing).toBe(true);
  });

  it('falls back to the stored records, saying why, when Prometheus does not answer', async () => {
    const s = (await statuses(down)).find((x) => x.slo === 'availability');
    expect(s?.source).toBe('store');
    expect(s?.note).toMatch(/^Prometheus at http:\/\/127\.0\.0\.1:\d+ failed \(.+\); computed from stored request records$/);
  });
});
