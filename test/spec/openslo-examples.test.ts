/**
 * The OpenSLO spec repository's own v1 examples (test/fixtures/openslo, see its README) imported
 * with the OpenSLO importer: each imports or is refused naming the field; the README's alert
 * policies map onto modelslo's burn alerts as docs/rules.md says; a set of files with SLI,
 * DataSource, AlertPolicy and AlertCondition references across them keeps every label and
 * annotation on the generated rules, which pass the real `promtool check rules` (one run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/model/types.js';
import { renderYaml } from '../../src/render/yaml.js';
import { modelRuleFile } from '../../src/rules/model-rules.js';
import type { AlertingRule } from '../../src/rules/types.js';
import { importOpenSloFiles } from '../../src/spec/import-openslo.js';
import type { ParseResult } from '../../src/spec/parse.js';
import type { SpecIssue } from '../../src/spec/positions.js';
import { repoPath } from '../support/fixtures.js';
import { runCli } from '../support/run-cli.js';
import { runTool, writeTempFiles } from '../support/tools.js';

const DIR = repoPath('test/fixtures/openslo');
const SET = ['set/alerting.yaml', 'set/datasources.yaml', 'set/slos.yaml'];
const README_REF = ['readme-policy-slo.yaml', 'readme/alert-policy-ref.yaml', 'readme/alert-condition.yaml', 'readme/notification-targets.yaml'];
const README_INLINE = ['readme-policy-slo.yaml', 'readme/alert-policy-inline.yaml', 'readme/notification-targets.yaml'];

const load = (names: readonly string[]): ParseResult => importOpenSloFiles(names.map((file) => ({ file, text: readFileSync(join(DIR, file), 'utf8') })));

function imported(names: readonly string[]): { config: Config; notes: SpecIssue[] } {
  const r = load(names);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`).join('\n'));
  return { config: r.config, notes: r.notes ?? [] };
}

const alertsOf = (config: Config, slo: string): AlertingRule[] =>
  config.models.flatMap((m) => modelRuleFile(m, config.alerting).groups.flatMap((g) => g.rules)).filter((r): r is AlertingRule => 'alert' in r && r.labels['slo'] === slo);

/** The upstream examples refused, each with one field and words of its refusal (all are Prometheus-less). */
const REFUSED: Array<[string, string, string]> = [
  ['examples/occurences-slo.yaml', 'spec.indicator.spec.thresholdMetric', 'thresholdMetric SLIs are not supported'],
  ['examples/ratio-timeslices.yaml', 'spec.budgetingMethod', 'must be Occurrences, got "RatioTimeslices"'],
  ['examples/timeslices-slo.yaml', 'spec.timeWindow[0].isRolling', 'calendar windows are not supported'],
  ['examples/low-traffic-timeslices-slo.yaml', 'spec.budgetingMethod', 'must be Occurrences, got "Timeslices"'],
  ['readme/slo-inline-sli.yaml', 'spec.indicator.spec.ratioMetric.good.metricSource.type', 'must be Prometheus, got Datadog'],
  ['readme/datasource.yaml', '(root)', 'has no SLO document'],
];

describe('the OpenSLO repository\'s examples', () => {
  it.each(REFUSED)('refuses %s, naming %s', (file, path, says) => {
    const r = load([file]);
    expect(r.ok).toBe(false);
    const issue = r.ok ? undefined : r.issues.find((i) => i.path === path);
    expect(issue?.message).toContain(says);
    expect(issue?.file).toBe(file);
    expect(issue?.line).toBeGreaterThan(0);
  });

  it.each([
    ['the referenced AlertCondition', README_REF, 'readme/alert-condition.yaml', 'If the CPU usage is too high for given period then it should alert'],
    ['the inline AlertCondition', README_INLINE, 'readme/alert-policy-inline.yaml', 'SLO burn rate for cpu-usage-breach exceeds 2'],
  ])('maps the README\'s AlertPolicy with %s onto the page alerts', (_what, files, conditionFile, conditionText) => {
    const { config, notes } = imported(files);
    const alerts = alertsOf(config, 'foo-slo');
    // severity: page → page alerts only; the policy's name; alertAfter 5m → for: of the 1h (lookbackWindow) pair.
    expect(alerts.map((a) => [a.alert, a.labels['short_window'], a.for, a.labels['severity']])).toEqual([
      ['AlertPolicy', '5m', '5m', 'page'],
      ['AlertPolicy', '30m', '15m', 'page'],
    ]);
    for (const a of alerts) {
      expect(a.annotations['openslo_policy']).toBe('Alert policy for cpu usage breaches, notifies on-call devops via email');
      expect(a.annotations['openslo_condition']).toBe(conditionText);
    }
    const said = notes.map((n) => `${n.file} ${n.path}: ${n.message}`);
    expect(said.some((n) => n.startsWith(conditionFile) && n.includes('op: lte is not kept'))).toBe(true);
    expect(said.some((n) => n.startsWith(conditionFile) && n.includes('threshold 2 over lookbackWindow 1h is not one of modelslo\'s page window pairs (13.44 over 1h, 5.6 over 6h'))).toBe(true);
    expect(said.some((n) => n.includes('spec.notificationTargets: are not kept'))).toBe(true);
    expect(said.some((n) => n.startsWith('readme-policy-slo.yaml') && n.includes('no condition is a ticket'))).toBe(true);
  });
});

describe('a set of files with references across them (test/fixtures/openslo/set)', () => {
  const { config, notes } = imported(SET);
  const avail = alertsOf(config, 'checkout-availability');
  const latency = alertsOf(config, 'checkout-latency');
  const model = config.models[0];
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const files = [SET, README_REF].map((names, i) => {
      const c = imported(names).config;
      return { path: `r${i}.rules.yaml`, content: c.models.map((m) => renderYaml(modelRuleFile(m, c.alerting))).join('---\n') };
    });
    ({ dir, cleanup } = await writeTempFiles(files));
  });
  afterAll(async () => cleanup());

  it('keeps every label of the SLO and its SLI on all its rules, and every annotation on its alerts', () => {
    const rules = model === undefined ? [] : modelRuleFile(model, config.alerting).groups.flatMap((g) => g.rules).filter((r) => r.labels?.['slo'] === 'checkout-availability');
    expect(rules.length).toBeGreaterThan(8);
    for (const r of rules) expect(r.labels).toMatchObject({ owner: 'payments', cost_center: 'cc-17,cc-18', sli_kind: 'availability', tier: '2', slo: 'checkout-availability' });
    for (const a of avail) {
      expect(a.labels).toMatchObject({ routing_key: 'payments', channel: '#payments-oncall', severity: 'page' });
      expect(a.annotations).toMatchObject({
        dashboard_url: 'https://grafana.example.com/d/checkout',
        sli_doc: 'https://wiki.example.com/sli/checkout-errors',
        runbook: 'https://runbooks.example.com/checkout',
        openslo_policy: 'Checkout burns its error budget fast',
        openslo_condition: '2% of the budget gone in an hour',
      });
    }
  });

  it('maps a page condition of 14.4 over 1h after 5m exactly, and a sev3 of 2 over 2d onto both ticket pairs', () => {
    expect(avail.map((a) => [a.alert, a.labels['short_window'], a.for])).toEqual([
      ['checkout_fast_burn', '5m', '5m'],
      ['checkout_fast_burn', '30m', '15m'],
    ]);
    expect(latency.map((a) => [a.alert, a.labels['short_window'], a.for, a.labels['severity'], a.labels['audience']])).toEqual([
      ['checkout_slow_burn', '2h', '1h', 'sev3', 'owners'],
      ['checkout_slow_burn', '6h', '1h', 'sev3', 'owners'],
    ]);
    expect(notes.some((n) => n.file === 'set/alerting.yaml' && n.path.startsWith('spec.condition'))).toBe(false);
  });

  it('reads a raw success ratio as the complement PromQL template', () => {
    const sli = model?.slos.find((s) => s.name === 'checkout-latency')?.sli;
    expect(sli).toEqual({ kind: 'promql', errorRatio: '1 - (avg_over_time(checkout_fast_ratio{job="checkout"}[{{.window}}]))' });
  });

  it('passes promtool check rules', async () => {
    const r = await runTool('promtool', ['check', 'rules', join(dir, 'r0.rules.yaml'), join(dir, 'r1.rules.yaml')]);
    expect(r.stdout + r.stderr).not.toContain('FAILED');
    expect(r.code).toBe(0);
  });

  it('validate --from openslo reads the directory and lists the notes at file:line:col', async () => {
    const r = await runCli(['validate', '--from', 'openslo', join(DIR, 'set')]);
    expect(r.code).toBe(0);
    const slos = join(DIR, 'set', 'slos.yaml');
    expect(r.out).toContain(`${slos}:11:10: metadata.labels.slo: label "slo" is set by modelslo`);
    expect(r.out).toContain(`${slos}:10:18: metadata.labels.cost-center: has 2 values: kept as one, joined by ","`);
    expect(r.out).toContain(`${join(DIR, 'set', 'alerting.yaml')}:14:22: spec.alertWhenResolved: is not kept`);
    expect(r.out).toMatch(/valid \(1 models, 2 SLOs, \d+ import notes\)/);
  });
});

/** An SLO document of service `svc` with the given extra lines under `spec.indicator.spec.ratioMetric`, `labels` and `alertPolicies`. */
function slo(ratio: string, labels = '{ owner: t }', policies = ''): string {
  return [
    'apiVersion: openslo/v1', 'kind: SLO', 'metadata:', '  name: a', `  labels: ${labels}`, 'spec:', '  service: svc',
    '  indicator:', '    metadata: { name: i }', '    spec:', '      ratioMetric:', ratio,
    '  budgetingMethod: Occurrences', '  objectives: [{ target: 0.99 }]', policies,
  ].join('\n');
}
const COUNTERS = '        counter: true\n        bad: { metricSource: { type: Prometheus, spec: { query: e_total } } }\n        total: { metricSource: { type: Prometheus, spec: { query: r_total } } }';
const RAW = (q: string, type = 'failure'): string => `        rawType: ${type}\n        raw: { metricSource: { type: Prometheus, spec: { query: '${q}' } } }`;

describe('edge cases of the OpenSLO import', () => {
  const one = (text: string, file = 'x.yaml'): ParseResult => importOpenSloFiles([{ file, text }]);

  it('imports an SLO without an owner label, tickets to the default receiver, with a note', () => {
    const r = one(slo(COUNTERS, '{ tier: "1" }'));
    expect(r.ok && r.config.models[0]?.owners).toEqual([{ team: 'unowned', receiver: 'default-owners' }]);
    expect(r.ok && r.notes?.map((n) => n.message)).toContainEqual(expect.stringContaining('ticket alerts go to the receiver "default-owners"'));
  });

  it('keeps a raw failure ratio as it is', () => {
    const r = one(slo(RAW('avg_over_time(err_ratio[{{.window}}])')));
    expect(r.ok && r.config.models[0]?.slos[0]?.sli).toEqual({ kind: 'promql', errorRatio: 'avg_over_time(err_ratio[{{.window}}])' });
  });

  it.each([
    ['a raw query without {{.window}}', slo(RAW('err_ratio')), 'spec.indicator.spec.ratioMetric.raw.metricSource.spec.query', 'must use the {{.window}} placeholder'],
    ['raw without rawType', slo(RAW('avg_over_time(e[{{.window}}])').replace('        rawType: failure\n', '')), 'spec.indicator.spec.ratioMetric.rawType', 'is required with raw'],
    ['raw beside total', slo(`${RAW('avg_over_time(e[{{.window}}])')}\n        total: { metricSource: { type: Prometheus, spec: { query: r_total } } }`), 'spec.indicator.spec.ratioMetric.raw', 'cannot be used together'],
    ['a policy naming no AlertPolicy', slo(COUNTERS, '{ owner: t }', '  alertPolicies: [{ alertPolicyRef: nowhere }]'), 'spec.alertPolicies[0].alertPolicyRef', 'names no AlertPolicy document'],
    ['a condition of another kind', slo(COUNTERS, '{ owner: t }', '  alertPolicies:\n    - kind: AlertPolicy\n      metadata: { name: p }\n      spec:\n        conditions:\n          - kind: AlertCondition\n            metadata: { name: c }\n            spec: { severity: page, condition: { kind: threshold, op: gt, threshold: 1, lookbackWindow: 1h } }'), 'spec.alertPolicies[0].spec.conditions[0].spec.condition.kind', 'must be burnrate'],
  ])('refuses %s, naming the field', (_what, text, path, says) => {
    const r = one(text);
    const issue = r.ok ? undefined : r.issues.find((i) => i.path === path);
    expect(issue?.message, r.ok ? 'imported' : r.issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toContain(says);
  });

  it('resolves an SLI of another file and names file and line of a duplicate across files', () => {
    const sli = 'apiVersion: openslo/v1\nkind: SLI\nmetadata: { name: s }\nspec:\n  ratioMetric:\n' + COUNTERS + '\n';
    const ref = slo(COUNTERS).replace(/ {2}indicator:\n[\s\S]*?(?= {2}budgetingMethod)/, '  indicatorRef: s\n');
    const ok = importOpenSloFiles([{ file: 'slo.yaml', text: ref }, { file: 'sli.yaml', text: sli }]);
    expect(ok.ok && ok.config.models[0]?.slos[0]?.sli.kind).toBe('ratio');
    const dup = importOpenSloFiles([{ file: 'slo.yaml', text: ref }, { file: 'a.yaml', text: sli }, { file: 'b.yaml', text: sli }]);
    const issue = dup.ok ? undefined : dup.issues.find((i) => i.path === 'metadata.name');
    expect([issue?.file, issue?.line, issue?.message]).toEqual(['b.yaml', 3, 'duplicate SLI "s" (also a.yaml:1)']);
  });
});
