/**
 * What the Sloth import's options and the spec's switches change in the generated rules: the
 * absent-data alert follows the spec, `--alert-for` and `alerts.for` set the burn alerts' `for:`,
 * `--slo-period 28d` scales the factors as for modelslo's own 28d SLOs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/model/types.js';
import { modelRuleFile } from '../../src/rules/model-rules.js';
import type { AlertingRule } from '../../src/rules/types.js';
import { BURN_WINDOWS } from '../../src/slo/burn-windows.js';
import { importSloth, type SlothImportOptions } from '../../src/spec/import-sloth.js';
import { mustParse, oneModelText, repoPath } from '../support/fixtures.js';

function alertsOf(config: Config): AlertingRule[] {
  return config.models.flatMap((m) => modelRuleFile(m, config.alerting).groups.flatMap((g) => g.rules)).filter((r): r is AlertingRule => 'alert' in r);
}

function sloth(name: string, options: SlothImportOptions = {}): Config {
  const r = importSloth(readFileSync(repoPath(`test/fixtures/sloth/${name}`), 'utf8'), name, options);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

describe('imported and configured alert switches', () => {
  it('adds no absent-data alert to a model whose spec disables every alert, and one otherwise', () => {
    expect(alertsOf(sloth('no-alerts.yml'))).toEqual([]);
    expect(alertsOf(sloth('getting-started.yml')).filter((a) => a.alert === 'ModelSLIDataAbsent')).toHaveLength(1);
  });

  it('keeps the burn table\'s for: delays by default and sets all four with --alert-for', () => {
    const byDefault = alertsOf(sloth('getting-started.yml')).filter((a) => a.alert === 'MyServiceHighErrorRate');
    expect(byDefault.map((a) => a.for)).toEqual(BURN_WINDOWS.map((r) => r.for));
    const atOnce = alertsOf(sloth('getting-started.yml', { alertFor: '0s' })).filter((a) => a.alert === 'MyServiceHighErrorRate');
    expect(atOnce.map((a) => a.for)).toEqual(['0s', '0s', '0s', '0s']);
  });

  it.each([
    ['30d', ['14.4', '6', '3', '1']],
    ['28d', ['13.44', '5.6', '2.8', '0.933333333333']],
  ] as const)('scales the burn factors for --slo-period %s', (period, factors) => {
    const alerts = alertsOf(sloth('getting-started.yml', { period })).filter((a) => a.alert === 'MyServiceHighErrorRate');
    expect(alerts.map((a) => /> \(([0-9.]+) \*/.exec(a.expr)?.[1])).toEqual(factors);
  });

  it('takes alerts.for by long window, and the alert name, labels and annotations, from a modelslo spec', () => {
    const cfg = mustParse(
      oneModelText({
        slos: [
          '      - name: availability',
          '        objective: 99.9',
          '        sli: { availability: {} }',
          '        labels: { tier: "1" }',
          '        alerts: { name: FraudAvailability, for: { 1h: 0s, 3d: 6h }, page_labels: { severity: critical }, ticket_annotations: { runbook: https://x.example/r } }',
        ].join('\n'),
      }),
    );
    const alerts = alertsOf(cfg).filter((a) => a.alert === 'FraudAvailability');
    expect(alerts.map((a) => a.for)).toEqual(['0s', '15m', '1h', '6h']);
    expect(alerts.map((a) => [a.labels['severity'], a.labels['audience'], a.labels['tier']])).toEqual([
      ['critical', 'oncall', '1'],
      ['critical', 'oncall', '1'],
      ['ticket', undefined, '1'],
      ['ticket', undefined, '1'],
    ]);
    expect(alerts.map((a) => a.annotations['runbook'])).toEqual([undefined, undefined, 'https://x.example/r', 'https://x.example/r']);
  });
});
