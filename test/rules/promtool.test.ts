/**
 * The generated rules and their generated tests, judged by the real promtool and amtool.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderArtifacts } from '../../src/render/files.js';
import { routeReceivers, type RouteNode } from '../../src/rules/alertmanager-routes.js';
import { generateArtifacts } from '../../src/rules/generate.js';
import { readFileSync } from 'node:fs';
import { importOpenSlo } from '../../src/spec/import-openslo.js';
import { importSloth } from '../../src/spec/import-sloth.js';
import type { ParseResult } from '../../src/spec/parse.js';
import type { Config } from '../../src/model/types.js';
import { exampleConfig, mustParse, repoPath } from '../support/fixtures.js';
import { runTool, writeTempFiles } from '../support/tools.js';

const OBJECTIVES = [99, 99.5, 99.9, 99.95, 99.99];

/** A config exercising every SLI source and shape, every objective above and both windows. */
function matrixText(): string {
  const model = (name: string, source: string, body: string[]): string[] => [
    `  - name: ${name}`,
    '    namespace: matrix',
    '    owners: [{ team: ml, receiver: ml }]',
    `    sli_source: ${source}`,
    '    slos:',
    ...body,
  ];
  // One small model per objective and source: promtool evaluates every group of a file in every
  // test, so small files keep the run short.
  const perObjective = (source: string, window: string): string[] =>
    OBJECTIVES.flatMap((o) =>
      model(`${source}-${window}-${String(o).replace('.', '-')}`, source, [
        `      - { name: availability, objective: ${o}, window: ${window}, sli: { availability: {} } }`,
        `      - { name: latency, objective: ${o}, window: ${window}, sli: { latency: { threshold_ms: 250 } } }`,
      ]),
    );
  return [
    'alerting:',
    '  receivers: [{ name: oncall }, { name: ml }]',
    'models:',
    ...perObjective('sidecar', '28d'),
    ...perObjective('kserve', '30d'),
    ...model('custom', 'custom', [
      '      - name: good-same-metric',
      '        objective: 99.9',
      `        sli: { ratio: { good: 'http_requests_total{job="api",code!~"5.."}', total: 'http_requests_total{job="api"}' } }`,
      '      - name: bad-same-metric',
      '        objective: 99.5',
      '        window: 30d',
      `        sli: { ratio: { bad: 'http_requests_total{job="api",code=~"5..|429"}', total: 'http_requests_total{job="api"}' } }`,
      '      - name: two-metrics',
      '        objective: 99',
      `        sli: { ratio: { bad: 'jobs_failed_total{queue="scoring"}', total: 'jobs_total{queue="scoring"}' } }`,
      '      - name: pages-off',
      '        objective: 99.9',
      '        alerts: { page: false, ticket: true }',
      `        sli: { ratio: { good: 'http_requests_total{job="api",code!~"5.."}', total: 'http_requests_total{job="api"}' } }`,
    ]),
  ].join('\n');
}

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string> }>;
}
interface TestGroup {
  name: string;
  alert_rule_test: AlertTest[];
}

function imported(file: string, parse: (text: string, file: string) => ParseResult): Config {
  const r = parse(readFileSync(repoPath(`test/golden/import/${file}`), 'utf8'), file);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

let dir = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
let ruleFiles: string[] = [];
let testFiles: string[] = [];

beforeAll(async () => {
  const files = [...renderArtifacts(generateArtifacts(mustParse(matrixText(), 'matrix.yaml'))), ...renderArtifacts(generateArtifacts(exampleConfig())).map((f) => ({ ...f, path: `example/${f.path}` })),
    ...renderArtifacts(generateArtifacts(imported('sloth.yaml', importSloth))).map((f) => ({ ...f, path: `sloth/${f.path}` })),
    ...renderArtifacts(generateArtifacts(imported('openslo.yaml', importOpenSlo))).map((f) => ({ ...f, path: `openslo/${f.path}` })),
  ];
  ({ dir, cleanup } = await writeTempFiles(files));
  ruleFiles = files.filter((f) => f.path.endsWith('.rules.yaml')).map((f) => join(dir, f.path));
  testFiles = files.filter((f) => f.path.endsWith('.rules.test.yaml')).map((f) => join(dir, f.path));
});

afterAll(async () => {
  await cleanup();
});

describe('generated Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const r = await runTool('promtool', ['check', 'rules', ...ruleFiles]);
    expect(r.stderr + r.stdout).not.toContain('FAILED');
    expect(r.code).toBe(0);
  });

  it('have at most 17 rules per SLO', async () => {
    for (const f of ruleFiles) {
      const doc = parse(await readFile(f, 'utf8')) as { groups: Array<{ name: string; rules: unknown[] }> };
      for (const g of doc.groups.filter((g) => !g.name.endsWith('-absent'))) expect(g.rules.length).toBeLessThanOrEqual(17);
    }
  });

  it('pass their generated promtool tests', { timeout: 480_000 }, async () => {
    const results: Awaited<ReturnType<typeof runTool>>[] = [];
    const queue = [...testFiles];
    const worker = async (): Promise<void> => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) results[testFiles.indexOf(f)] = await runTool('promtool', ['test', 'rules', f]);
    };
    await Promise.all([worker(), worker()]);
    results.forEach((r, i) => {
      expect(`${testFiles[i]}\n${r.stdout}${r.stderr}`).toContain('SUCCESS');
      expect(r.code).toBe(0);
    });
    let cases = 0;
    for (const f of testFiles) {
      const doc = parse(await readFile(f, 'utf8')) as { tests: TestGroup[] };
      cases += doc.tests.reduce((n, t) => n + t.alert_rule_test.length, 0);
    }
    process.stderr.write(`promtool: ${testFiles.length} test files, ${cases} alert test cases passed\n`);
    expect(cases).toBeGreaterThan(100);
  });

  it('test a fast burn that pages and a slow burn that tickets without paging', async () => {
    const doc = parse(await readFile(testFiles.find((f) => f.endsWith('matrix-sidecar-28d-99-9.rules.test.yaml')) ?? '', 'utf8')) as { tests: TestGroup[] };
    const group = doc.tests.find((t) => t.name.startsWith('availability:'));
    const severities = (i: number): string[] => (group?.alert_rule_test[i]?.exp_alerts ?? []).map((a) => `${a.exp_labels.severity}/${a.exp_labels.window}`).sort();
    expect(severities(0)).toEqual([]); // healthy
    expect(severities(1)).toEqual(['page/1h']); // fast burn
    expect(severities(3).every((s) => s.startsWith('ticket/'))).toBe(true); // slow burn
    expect(severities(3).length).toBeGreaterThan(0);
    expect(severities(4)).toEqual([]); // recovered
  });

  it('never expect a page when pages are turned off', async () => {
    const doc = parse(await readFile(testFiles.find((f) => f.endsWith('matrix-custom.rules.test.yaml')) ?? '', 'utf8')) as { tests: TestGroup[] };
    const group = doc.tests.find((t) => t.name.startsWith('pages-off:'));
    const all = group?.alert_rule_test.flatMap((t) => t.exp_alerts.filter((a) => a.exp_labels.slo === 'pages-off').map((a) => a.exp_labels.severity)) ?? [];
    expect(all).toContain('ticket');
    expect(all).not.toContain('page');
  });

  it('fail their promtool tests when a page threshold is too high to catch the fast burn', { timeout: 120_000 }, async () => {
    const file = ruleFiles.find((f) => f.endsWith('matrix-sidecar-28d-99-9.rules.yaml')) ?? '';
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replaceAll('(13.44 * 0.001)', '(60 * 0.001)'));
    try {
      const r = await runTool('promtool', ['test', 'rules', file.replace('.rules.yaml', '.rules.test.yaml')]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('FAILED');
    } finally {
      await writeFile(file, original);
    }
  });
});

describe('generated Alertmanager config', () => {
  const amFile = (): string => join(dir, 'example/alertmanager/alertmanager.yaml');

  it('passes amtool check-config', async () => {
    const r = await runTool('amtool', ['check-config', amFile()]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  // Every modelslo alert goes to the journal first (continue: true), then where it belongs.
  const ROUTES: Array<[string, string[], string]> = [
    ['a page', ['alertname=ModelSLOErrorBudgetBurn', 'severity=page', 'namespace=payments', 'model=fraud-detector', 'slo=availability'], 'modelslo-journal,oncall'],
    ['a ticket', ['alertname=ModelSLOErrorBudgetBurn', 'severity=ticket', 'namespace=payments', 'model=fraud-detector', 'slo=latency'], 'modelslo-journal,fraud-ml'],
    ['a drift alert', ['alertname=ModelDrift', 'severity=ticket', 'namespace=payments', 'model=fraud-detector', 'feature=amount'], 'modelslo-journal,fraud-ml'],
    ['a canary rollback', ['alertname=ModelCanaryRolledBack', 'severity=ticket', 'namespace=payments', 'model=fraud-detector', 'revision=fraud-detector-predictor-00002'], 'modelslo-journal,fraud-ml'],
    ['a drift alert of another model', ['alertname=ModelDrift', 'severity=ticket', 'namespace=search', 'model=query-ranker', 'feature=q'], 'modelslo-journal,search-ml'],
    ['a ticket to an email-only owner', ['alertname=ModelSLOErrorBudgetBurn', 'severity=ticket', 'namespace=growth', 'model=churn-scorer', 'slo=valid-predictions'], 'modelslo-journal,team-growth-ml'],
    ['an absent-data alert', ['alertname=ModelSLIDataAbsent', 'severity=ticket', 'namespace=payments', 'model=fraud-detector'], 'modelslo-journal,fraud-ml'],
    ['a page for the owners (audience=owners), never the on-call', ['alertname=ModelSLOErrorBudgetBurn', 'severity=page', 'audience=owners', 'namespace=payments', 'model=fraud-detector', 'slo=correctness'], 'modelslo-journal,fraud-ml'],
    ['a ticket for the on-call (audience=oncall)', ['alertname=ModelSLIDataAbsent', 'severity=ticket', 'audience=oncall', 'namespace=payments', 'model=fraud-detector'], 'modelslo-journal,oncall'],
    ['a page of a model not in the config', ['alertname=ModelSLOErrorBudgetBurn', 'severity=page', 'namespace=x', 'model=y'], 'modelslo-journal,oncall'],
    ['an alert that is not modelslo\'s', ['alertname=NodeDown', 'severity=page'], 'oncall'],
  ];

  it.each(ROUTES)('routes %s to the expected receivers (amtool config routes test)', async (_name, labels, receivers) => {
    const r = await runTool('amtool', ['config', 'routes', 'test', `--config.file=${amFile()}`, ...labels]);
    expect(r.stdout.trim()).toBe(receivers);
  });

  it.each(ROUTES)('computes the receivers of %s as amtool does (the journal\'s receivers)', async (_name, labels) => {
    const am = parse(await readFile(amFile(), 'utf8')) as { route: RouteNode };
    const r = await runTool('amtool', ['config', 'routes', 'test', `--config.file=${amFile()}`, ...labels]);
    expect(routeReceivers(am.route, Object.fromEntries(labels.map((l) => l.split('=') as [string, string]))).join(',')).toBe(r.stdout.trim());
  });

  it('sends the journal every notification, resolved ones too, with the token read from a file', async () => {
    const am = parse(await readFile(amFile(), 'utf8')) as { receivers: Array<{ name: string; webhook_configs?: Array<Record<string, unknown>> }> };
    const hook = am.receivers.find((r) => r.name === 'modelslo-journal')?.webhook_configs?.[0];
    expect(hook).toMatchObject({ url: 'http://127.0.0.1:9464/v1/alertmanager', send_resolved: true, http_config: { authorization: { credentials_file: '/etc/alertmanager/secrets/modelslo-token' } } });
  });

  it('groups by namespace and model, inhibits tickets by pages of the same SLO, and mutes pages in maintenance', async () => {
    const am = parse(await readFile(amFile(), 'utf8')) as {
      route: { group_by: string[]; routes: Array<{ matchers?: string[]; routes?: Array<{ matchers: string[]; mute_time_intervals?: string[] }> }> };
      inhibit_rules: Array<{ equal: string[]; source_matchers: string[]; target_matchers: string[] }>;
      time_intervals: Array<{ name: string; time_intervals: unknown[] }>;
    };
    expect(am.route.group_by).toEqual(['namespace', 'model']);
    expect(am.inhibit_rules[0]?.equal).toEqual(['namespace', 'model', 'slo']);
    expect(am.inhibit_rules[0]?.source_matchers).toContain('severity="page"');
    expect(am.inhibit_rules[0]?.target_matchers).toContain('severity="ticket"');
    const payments = am.route.routes.find((r) => r.matchers?.includes('namespace="payments"') === true);
    const page = payments?.routes?.find((r) => r.matchers.includes('severity="page"'));
    expect(page?.mute_time_intervals).toEqual(['payments-db-upgrade']);
    // 2026-12-05 22:00 → 2026-12-06 02:00 UTC spans two days.
    expect(am.time_intervals.find((t) => t.name === 'payments-db-upgrade')?.time_intervals).toEqual([
      { times: [{ start_time: '22:00', end_time: '24:00' }], days_of_month: ['5'], months: ['december'], years: ['2026'] },
      { times: [{ start_time: '00:00', end_time: '02:00' }], days_of_month: ['6'], months: ['december'], years: ['2026'] },
    ]);
  });
});
