/** The failure-mode alerts' config (`models[].alerts`, `defaults.alerts`): defaults, precedence, turning off, and errors naming the field. */
import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/model/types.js';
import { failureRuleGroup } from '../../src/rules/failure-rules.js';
import type { AlertingRule } from '../../src/rules/types.js';
import { parseConfig } from '../../src/spec/parse.js';
import { formatIssue } from '../../src/spec/positions.js';
import { lineOf, mustParse, oneModelText } from '../support/fixtures.js';

const SLOS = '      - { name: availability, objective: 99.9, sli: { availability: {} } }';

const withAlerts = (alerts: string, top = ''): string => `${top}${oneModelText({ slos: SLOS, extra: `    alerts:\n${alerts}` })}`;

function issues(text: string): string[] {
  const r = parseConfig(text, 'a.yaml');
  if (r.ok) throw new Error('expected issues');
  return r.issues.map(formatIssue);
}

const model = (text: string): Model => mustParse(text).models[0] as Model;
const alertNames = (m: Model): string[] => (failureRuleGroup(m)?.rules as AlertingRule[] | undefined)?.map((r) => r.alert) ?? [];

describe('failure-mode alerts config', () => {
  it('fills every documented default when the model says nothing', () => {
    expect(model(oneModelText({ slos: SLOS })).alerts).toEqual({
      modelLoadFailure: { enabled: true, severity: 'page', for: '15m', restarts: 3, window: '30m' },
      oomKills: { enabled: true, severity: 'ticket', for: '0m', restarts: 1, window: '1h' },
      coldStartLatency: { enabled: true, severity: 'ticket', for: '5m', p99Ms: 5000, minRequests: 20, window: '30m' },
      scaleThrashing: { enabled: true, severity: 'ticket', for: '0m', changes: 10, window: '1h' },
      networkTimeouts: { enabled: true, severity: 'ticket', for: '5m', share: 0.05, minRequests: 100, window: '10m' },
      unauthorizedRequests: { enabled: true, severity: 'ticket', for: '10m', share: 0.1, minRequests: 100, window: '30m' },
      versionSkew: { enabled: true, severity: 'ticket', for: '4h' },
    });
  });

  it('takes each field from the model, else from defaults.alerts, else the built-in default', () => {
    const m = model(withAlerts('      network_timeouts: { share: 0.2 }', 'defaults:\n  alerts: { network_timeouts: { share: 0.1, window: 15m }, oom_kills: { enabled: false } }\n'));
    expect(m.alerts.networkTimeouts).toEqual({ enabled: true, severity: 'ticket', for: '5m', share: 0.2, minRequests: 100, window: '15m' });
    expect(m.alerts.oomKills.enabled).toBe(false);
    const rule = (failureRuleGroup(m)?.rules as AlertingRule[]).find((r) => r.alert === 'ModelNetworkTimeouts');
    expect(rule?.expr).toContain('[15m])) > 0.2\n');
  });

  it('generates every alert of a sidecar model, and none that is turned off', () => {
    expect(alertNames(model(oneModelText({ slos: SLOS })))).toEqual([
      'ModelLoadFailure', 'ModelLoadFailure', 'ModelOOMKilled', 'ModelColdStartSlow', 'ModelScaleThrashing', 'ModelNetworkTimeouts', 'ModelUnauthorizedRequests', 'ModelVersionSkew',
    ]);
    const off = model(withAlerts('      oom_kills: { enabled: false }\n      version_skew: { enabled: false }\n      cold_start_latency: { enabled: false }'));
    expect(alertNames(off)).toEqual(['ModelLoadFailure', 'ModelLoadFailure', 'ModelScaleThrashing', 'ModelNetworkTimeouts', 'ModelUnauthorizedRequests']);
    const none = ['model_load_failure', 'oom_kills', 'cold_start_latency', 'scale_thrashing', 'network_timeouts', 'unauthorized_requests', 'version_skew'].map((k) => `      ${k}: { enabled: false }`).join('\n');
    expect(failureRuleGroup(model(withAlerts(none)))).toBeUndefined();
  });

  it('leaves out what a source cannot measure: cold starts without the sidecar, status codes and revisions with custom SLIs', () => {
    expect(alertNames(model(oneModelText({ source: 'kserve', slos: SLOS })))).not.toContain('ModelColdStartSlow');
    const custom = oneModelText({ source: 'custom', slos: `      - { name: ok, objective: 99, sli: { ratio: { bad: 'x_failed_total', total: 'x_total' } } }` });
    expect(alertNames(model(custom))).toEqual(['ModelLoadFailure', 'ModelLoadFailure', 'ModelOOMKilled', 'ModelScaleThrashing']);
  });

  it('names the file, line, column and field of each problem, all at once', () => {
    const text = withAlerts(
      [
        '      network_timeouts: { share: 1.5 }',
        '      oom_kills: { severity: critical }',
        '      model_load_failure: { restarts: 0 }',
        '      cold_start_latency: { window: 30s }',
        '      scale_thrash: {}',
      ].join('\n'),
    );
    const at = (needle: string): number => lineOf(text, needle);
    expect(issues(text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^a\\.yaml:${at('share: 1.5')}:\\d+: models\\[0\\]\\.alerts\\.network_timeouts\\.share: must be between 0 and 1 \\(exclusive\\)$`)),
        expect.stringMatching(new RegExp(`^a\\.yaml:${at('severity: critical')}:\\d+: models\\[0\\]\\.alerts\\.oom_kills\\.severity: must be page or ticket$`)),
        expect.stringMatching(new RegExp(`^a\\.yaml:${at('restarts: 0')}:\\d+: models\\[0\\]\\.alerts\\.model_load_failure\\.restarts: must be at least 1$`)),
        expect.stringMatching(new RegExp(`^a\\.yaml:${at('window: 30s')}:\\d+: models\\[0\\]\\.alerts\\.cold_start_latency\\.window: must be a duration in minutes, hours or days`)),
        expect.stringMatching(/models\[0\]\.alerts.*scale_thrash/),
      ]),
    );
  });

  it('checks settings across fields: for within half the window, thrashing changes below the window in minutes', () => {
    const text = withAlerts('      oom_kills: { for: 40m, window: 1h }\n      scale_thrashing: { changes: 30, window: 30m }\n      unauthorized_requests: { window: 3m }');
    const got = issues(text);
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^a\\.yaml:${lineOf(text, 'for: 40m')}:\\d+: models\\[0\\]\\.alerts\\.oom_kills\\.for: must be at most half the window \\(1h\\)`)),
        expect.stringMatching(/models\[0\]\.alerts\.scale_thrashing\.changes: must be less than 29 for a 30m window/),
        expect.stringMatching(/models\[0\]\.alerts\.unauthorized_requests\.window: must be at least 5m, got 3m$/),
      ]),
    );
    expect(got).toHaveLength(3);
  });

  it('keeps the cold-start bound inside the latency buckets, where histogram_quantile can answer (sidecar only)', () => {
    const text = withAlerts('      cold_start_latency: { p99_ms: 20000 }');
    expect(issues(text)).toEqual([
      expect.stringMatching(new RegExp(`^a\\.yaml:${lineOf(text, 'p99_ms: 20000')}:\\d+: models\\[0\\]\\.alerts\\.cold_start_latency\\.p99_ms: must be between the smallest and the largest latency bucket \\(5 and 10000 ms, exclusive\\)`)),
    ]);
    expect(model(oneModelText({ slos: SLOS, extra: '    latency_buckets_ms: [100, 1000, 30000]\n    alerts: { cold_start_latency: { p99_ms: 20000 } }' })).alerts.coldStartLatency.p99Ms).toBe(20000);
    expect(model(oneModelText({ source: 'kserve', slos: SLOS, extra: '    alerts: { cold_start_latency: { p99_ms: 20000 } }' })).alerts.coldStartLatency.p99Ms).toBe(20000);
    // Buckets that end below the built-in 5000 ms: the default moves to the bound next to the largest.
    expect(model(oneModelText({ slos: SLOS, extra: '    latency_buckets_ms: [50, 100, 200, 300]' })).alerts.coldStartLatency.p99Ms).toBe(200);
  });
});
