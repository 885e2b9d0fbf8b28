/** The `models[].canary` section: defaults, mapping, and errors that name file, line, column and field. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/spec/parse.js';
import { formatIssue } from '../../src/spec/positions.js';
import { exampleConfig, lineOf, oneModelText } from '../support/fixtures.js';

const SLOS = '      - { name: availability, objective: 99.9, sli: { availability: {} } }';

function withCanary(canary: string, extra = ''): string {
  return `${oneModelText({ slos: SLOS, extra: `    canary:\n${canary}` })}\n${extra}`;
}

function issues(text: string): string[] {
  const r = parseConfig(text, 'c.yaml');
  if (r.ok) throw new Error('expected issues');
  return r.issues.map(formatIssue);
}

describe('canary config', () => {
  it('fills every documented default', () => {
    const r = parseConfig(withCanary('      {}'), 'c.yaml');
    if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
    expect(r.config.models[0]?.canary).toEqual({
      interval: '1m', window: '10m', minRequests: 200, failureLimit: 2, promoteAfter: 3, steps: [], action: 'rollback', dryRun: false,
      maxErrorRateDelta: 0.01, confidence: 0.98, latencyTolerance: 0.25, latencyAllowedIncrease: 1, maxLatencyP99Ratio: 1.5, maxPredictionDrift: 0.2, custom: [],
    });
  });

  it('takes the prediction path of the drift section when the canary names none', () => {
    const cfg = exampleConfig();
    const fraud = cfg.models.find((m) => m.name === 'fraud-detector');
    expect(fraud?.canary?.prediction).toEqual({ path: 'outputs[0].data[0]', kind: 'numeric' });
    expect(fraud?.canary?.minRequests).toBe(200);
  });

  it('names the file, line, column and field of each problem, all at once', () => {
    const text = withCanary(
      [
        '      steps: [25, 10]',
        '      action: revert',
        '      confidence: 1.5',
        '      min_requests: 0',
        '      custom:',
        '        - { name: gpu, query: "sum(rate(x[5m]))", max: 1 }',
        '        - { name: bad, query: "sum(rate(x{revision=\\"{{revision}}\\"}[5m]", max: 1 }',
        '        - { name: range, query: "x{revision=\\"{{revision}}\\"}" }',
      ].join('\n'),
    );
    const got = issues(text);
    const at = (needle: string): number => lineOf(text, needle);
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^c\\.yaml:${at('action: revert')}:\\d+: models\\[0\\]\\.canary\\.action: must be rollback or notify$`)),
        expect.stringMatching(new RegExp(`^c\\.yaml:${at('confidence: 1.5')}:\\d+: models\\[0\\]\\.canary\\.confidence: must be between 0\\.5 and 1 \\(exclusive\\)$`)),
        expect.stringMatching(new RegExp(`^c\\.yaml:${at('min_requests: 0')}:\\d+: models\\[0\\]\\.canary\\.min_requests: must be a positive number of requests$`)),
        expect.stringMatching(new RegExp(`^c\\.yaml:${at('name: range')}:\\d+: models\\[0\\]\\.canary\\.custom\\[2\\]: needs min, max or both`)),
      ]),
    );
    // Cross-field checks run once the shapes are valid.
    const t2 = withCanary(['      steps: [25, 10]', '      custom:', '        - { name: gpu, query: "sum(rate(x[5m]))", max: 1 }', '        - { name: bad, query: "sum(rate(x{revision=\\"{{revision}}\\"}[5m]", max: 1 }'].join('\n'));
    const cross = issues(t2);
    expect(cross).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^c\\.yaml:${lineOf(t2, 'steps:')}:\\d+: models\\[0\\]\\.canary\\.steps\\[1\\]: must be larger than the step before \\(25\\)`)),
        expect.stringMatching(new RegExp(`^c\\.yaml:${lineOf(t2, 'name: gpu')}:\\d+: models\\[0\\]\\.canary\\.custom\\[0\\]\\.query: must contain \\{\\{revision\\}\\}`)),
        expect.stringMatching(new RegExp(`^c\\.yaml:${lineOf(t2, 'name: bad')}:\\d+: models\\[0\\]\\.canary\\.custom\\[1\\]\\.query: is not valid PromQL near column \\d+$`)),
        expect.stringMatching(/models\[0\]\.canary\.custom\[0\]: custom checks are PromQL: set daemon\.prometheus_url$/),
      ]),
    );
  });

  it('refuses unknown keys, naming them', () => {
    expect(issues(withCanary('      max_errors: 3')).join('\n')).toMatch(/models\[0\]\.canary.*max_errors/);
  });

  it('accepts custom checks when Prometheus is configured', () => {
    const r = parseConfig(withCanary('      custom: [{ name: gpu, query: "avg(gpu{revision=\\"{{revision}}\\"})", min: 0, max: 0.9 }]', 'daemon: { prometheus_url: "http://127.0.0.1:9090" }'), 'c.yaml');
    if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
    expect(r.config.models[0]?.canary?.custom).toEqual([{ name: 'gpu', query: 'avg(gpu{revision="{{revision}}"})', min: 0, max: 0.9 }]);
  });
});
