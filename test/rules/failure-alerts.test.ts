/**
 * The failure-mode alerts, judged by the real tools: every scenario replayed on a real Prometheus
 * over backfilled series (the firing model's alert fires with its namespace, model, severity and
 * audience; its healthy twin stays silent), the generated promtool tests with thresholds other
 * than the defaults (and failing when a threshold is out of reach), and amtool routing each alert.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/model/types.js';
import { renderArtifacts } from '../../src/render/files.js';
import { renderYaml } from '../../src/render/yaml.js';
import { failureRuleGroup } from '../../src/rules/failure-rules.js';
import { failureScenarios } from '../../src/rules/failure-scenarios.js';
import { generateArtifacts } from '../../src/rules/generate.js';
import { FAILURE_ALERTS, type AlertingRule } from '../../src/rules/types.js';
import { mustParse } from '../support/fixtures.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { runTool, writeTempFiles } from '../support/tools.js';

const SOURCES = ['sidecar', 'kserve', 'custom'] as const;

function modelYaml(name: string, source: string, alerts = ''): string {
  const sli = source === 'custom' ? `{ ratio: { bad: 'jobs_failed_total{job="x"}', total: 'jobs_total{job="x"}' } }` : '{ availability: {} }';
  return [`  - name: ${name}`, '    namespace: serving', '    owners: [{ team: ml, receiver: ml }]', `    sli_source: ${source}`, `    slos: [{ name: availability, objective: 99.9, sli: ${sli} }]`, ...(alerts ? [`    alerts: ${alerts}`] : [])].join('\n');
}

const configText = (models: string[]): string => ['alerting:', '  receivers: [{ name: oncall }, { name: ml }]', 'models:', ...models].join('\n');

/** How many scenarios a source has (the models below: one firing and one healthy per scenario). */
const template = (source: string): Model => mustParse(configText([modelYaml('t', source)])).models[0] as Model;
const COUNTS = Object.fromEntries(SOURCES.map((s) => [s, failureScenarios(template(s)).length]));
const names = SOURCES.flatMap((s) => Array.from({ length: COUNTS[s] ?? 0 }, (_, i) => [`${s}-${i}`, `${s}-${i}-ok`]).flat());
const config = mustParse(configText(names.map((n) => modelYaml(n, n.split('-')[0] ?? ''))));
const byName = new Map(config.models.map((m) => [m.name, m]));

/** The scenario of a model `<source>-<i>`; its healthy twin `<source>-<i>-ok` replays only the healthy stretch. */
function scenarioOf(name: string): { scenario: ReturnType<typeof failureScenarios>[number]; healthy: boolean } {
  const [, index = '0', ok] = name.split('-');
  const model = byName.get(name);
  const scenario = model === undefined ? undefined : failureScenarios(model)[Number(index)];
  if (scenario === undefined) throw new Error(`no scenario for ${name}`);
  return { scenario, healthy: ok === 'ok' };
}

const END_MS = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;

/** OpenMetrics of every model's series up to its check minute, that minute placed at END_MS. */
function openMetrics(): string {
  const families = new Map<string, string[]>();
  for (const name of names) {
    const { scenario, healthy } = scenarioOf(name);
    const last = (healthy ? scenario.checks[0] : scenario.checks[scenario.checks.length - 1])?.minute ?? 0;
    for (const s of scenario.series) {
      const labels = Object.entries(s.id.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
      const lines = families.get(s.id.metric) ?? [];
      s.values.slice(0, last + 1).forEach((v, i) => {
        if (v !== undefined) lines.push(`${s.id.metric}{${labels}} ${v} ${(END_MS - (last - i) * 60_000) / 1000}`);
      });
      families.set(s.id.metric, lines);
    }
  }
  return [...families].map(([metric, lines]) => `# TYPE ${metric} unknown\n${lines.join('\n')}\n`).join('') + '# EOF\n';
}

/** The failure rules of every model, `for` removed: the backfilled history already holds the condition that long. */
function rulesYaml(): string {
  const groups = config.models.flatMap((m) => {
    const g = failureRuleGroup(m);
    return g === undefined ? [] : [{ ...g, rules: g.rules.map((r) => ({ ...r, for: undefined })) }];
  });
  return renderYaml(JSON.parse(JSON.stringify({ groups })));
}

let prom: PrometheusServer;
let firing: Array<Record<string, string>> = [];

beforeAll(async () => {
  prom = await startPrometheus({ config: 'global: { evaluation_interval: 5s }\nrule_files: [failures.yaml]\n', files: { 'failures.yaml': rulesYaml() }, openMetrics: openMetrics() });
  // Groups start at their own offsets within the interval: wait until every expected model fires,
  // then two more intervals, so that a healthy twin that would fire has had its evaluations too.
  const want = names.filter((n) => !scenarioOf(n).healthy && (scenarioOf(n).scenario.checks.at(-1)?.firing.length ?? 0) > 0).length;
  const models = async (): Promise<number> => new Set((await prom.query('ALERTS{alertstate="firing"}')).map((a) => a.metric.model)).size;
  for (let i = 0; (await models()) < want; i++) {
    if (i > 240) throw new Error(`${await models()} of ${want} models fire after 60 s:\n${prom.log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 10_000));
  firing = (await prom.query('ALERTS{alertstate="firing"}')).map((s) => s.metric);
}, 180_000);

afterAll(async () => {
  await prom?.stop();
});

describe('failure-mode alerts on a real Prometheus over backfilled exporter series', () => {
  const cases = names.map((n) => [n, scenarioOf(n).scenario.name, scenarioOf(n).healthy] as const);

  it.each(cases)('%s: %s (healthy twin: %s)', (name, _title, healthy) => {
    const { scenario } = scenarioOf(name);
    const mine = firing.filter((a) => a.model === name);
    const expected = healthy ? [] : (scenario.checks[scenario.checks.length - 1]?.firing ?? []);
    expect(mine.map((a) => a.alertname).sort()).toEqual(expected.map((e) => e.rule.alert).sort());
    for (const e of expected) {
      const alert = mine.find((a) => a.alertname === e.rule.alert);
      expect(alert).toMatchObject({ namespace: 'serving', model: name, severity: e.rule.labels.severity, audience: e.rule.labels.audience, ...e.labels });
    }
  });

  it('fires every failure-mode alert name somewhere, and none for a model not in the scenario', () => {
    expect(new Set(firing.map((a) => a.alertname))).toEqual(new Set(Object.values(FAILURE_ALERTS)));
    expect(firing.every((a) => byName.has(a.model ?? ''))).toBe(true);
    expect(firing.filter((a) => a.model?.endsWith('-shadow') === true)).toEqual([]);
  });

  it('routes infrastructure failures to the on-call and version skew to the owners (audience label)', () => {
    const audience = Object.fromEntries(firing.map((a) => [a.alertname, a.audience]));
    expect(audience).toEqual({
      ModelLoadFailure: 'oncall',
      ModelOOMKilled: 'oncall',
      ModelColdStartSlow: 'oncall',
      ModelScaleThrashing: 'oncall',
      ModelNetworkTimeouts: 'oncall',
      ModelUnauthorizedRequests: 'oncall',
      ModelVersionSkew: 'owners',
    });
    expect(firing.filter((a) => a.alertname === 'ModelLoadFailure').map((a) => a.severity)).toContain('page');
  });
});

describe('generated promtool tests of the failure-mode alerts', () => {
  const tuned = `{ model_load_failure: { for: 10m, restarts: 5, window: 20m }, oom_kills: { restarts: 2, window: 30m, for: 5m }, cold_start_latency: { p99_ms: 2500, min_requests: 50, window: 15m, for: 2m },
      scale_thrashing: { changes: 4, window: 30m }, network_timeouts: { share: 0.2, min_requests: 500, window: 5m, for: 1m }, unauthorized_requests: { share: 0.02, min_requests: 30, window: 1h, for: 20m }, version_skew: { for: 90m } }`;
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  const file = (model: string, kind: 'rules' | 'rules.test'): string => join(dir, `rules/serving-${model}.${kind}.yaml`);

  beforeAll(async () => {
    const cfg = mustParse(configText(SOURCES.map((s) => modelYaml(`tuned-${s}`, s, tuned))));
    ({ dir, cleanup } = await writeTempFiles(renderArtifacts(generateArtifacts(cfg))));
  });
  afterAll(async () => {
    await cleanup();
  });

  it.each(SOURCES)('pass with thresholds other than the defaults (sli_source %s)', { timeout: 120_000 }, async (source) => {
    const r = await runTool('promtool', ['test', 'rules', file(`tuned-${source}`, 'rules.test')]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    const doc = parse(await readFile(file(`tuned-${source}`, 'rules.test'), 'utf8')) as { tests: Array<{ name: string }> };
    expect(doc.tests.filter((t) => /^Model[A-Z]/.test(t.name)).length).toBe(COUNTS[source]);
  });

  it.each([
    ['the crash-loop restart count', '>= 5\n', '>= 500\n', 'ModelLoadFailure'],
    ['the network-timeout share', '> 0.2\n', '> 0.99\n', 'ModelNetworkTimeouts'],
    ['the version-skew revision count', ') > 1\n', ') > 2\n', 'ModelVersionSkew'],
  ])('fail when %s is out of reach', { timeout: 120_000 }, async (_what, from, to, alert) => {
    const rules = file('tuned-sidecar', 'rules');
    const original = await readFile(rules, 'utf8');
    const doc = parse(original) as { groups: Array<{ name: string; rules: AlertingRule[] }> };
    const failures = doc.groups.find((g) => g.name.endsWith('-failures'));
    const target = failures?.rules.find((r) => r.alert === alert && `${r.expr}\n`.includes(from));
    expect(target).toBeDefined();
    if (target !== undefined) target.expr = `${target.expr}\n`.replace(from, to).trimEnd();
    await writeFile(rules, renderYaml(doc));
    try {
      const r = await runTool('promtool', ['test', 'rules', file('tuned-sidecar', 'rules.test')]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(alert);
    } finally {
      await writeFile(rules, original);
    }
  });
});

describe('routing of the failure-mode alerts (amtool config routes test)', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  const models = [modelYaml('fraud', 'sidecar'), modelYaml('ranker', 'kserve', '{ model_load_failure: { severity: ticket }, version_skew: { severity: page } }')];
  const cfg = mustParse(configText(models));

  beforeAll(async () => {
    ({ dir, cleanup } = await writeTempFiles(renderArtifacts(generateArtifacts(cfg))));
  });
  afterAll(async () => {
    await cleanup();
  });

  // Expected receivers by hand: on-call for infrastructure, the owners (ml) for skew, whatever the severity.
  const EXPECTED: Array<[string, string, string]> = [
    ['fraud', 'ModelLoadFailure', 'modelslo-journal,oncall'],
    ['fraud', 'ModelOOMKilled', 'modelslo-journal,oncall'],
    ['fraud', 'ModelColdStartSlow', 'modelslo-journal,oncall'],
    ['fraud', 'ModelScaleThrashing', 'modelslo-journal,oncall'],
    ['fraud', 'ModelNetworkTimeouts', 'modelslo-journal,oncall'],
    ['fraud', 'ModelUnauthorizedRequests', 'modelslo-journal,oncall'],
    ['fraud', 'ModelVersionSkew', 'modelslo-journal,ml'],
    ['ranker', 'ModelLoadFailure', 'modelslo-journal,oncall'],
    ['ranker', 'ModelVersionSkew', 'modelslo-journal,ml'],
  ];

  it.each(EXPECTED)('%s: %s goes to %s', async (model, alert, receivers) => {
    const rules = failureRuleGroup(cfg.models.find((m) => m.name === model) as Model)?.rules.filter((r): r is AlertingRule => 'alert' in r && r.alert === alert) ?? [];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const labels = Object.entries({ alertname: rule.alert, ...rule.labels }).map(([k, v]) => `${k}=${v}`);
      const r = await runTool('amtool', ['config', 'routes', 'test', `--config.file=${join(dir, 'alertmanager/alertmanager.yaml')}`, ...labels]);
      expect(r.stdout.trim()).toBe(receivers);
    }
  });

  it('keeps the configured severities: a ticket load failure and a paging skew', () => {
    const ranker = failureRuleGroup(cfg.models.find((m) => m.name === 'ranker') as Model)?.rules as AlertingRule[];
    expect(ranker.filter((r) => r.alert === 'ModelLoadFailure').map((r) => r.labels.severity)).toEqual(['ticket', 'ticket']);
    expect(ranker.find((r) => r.alert === 'ModelVersionSkew')?.labels.severity).toBe('page');
  });
});
