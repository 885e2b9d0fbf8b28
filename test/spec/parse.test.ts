import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/spec/parse.js';
import { formatIssue } from '../../src/spec/positions.js';
import { exampleText, lineOf, mustParse, oneModelText } from '../support/fixtures.js';

function issuesOf(text: string): string[] {
  const r = parseConfig(text, 'bad.yaml');
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.issues.map(formatIssue);
}

describe('parseConfig', () => {
  it('accepts the example config and maps it to the model', () => {
    const cfg = mustParse(exampleText());
    expect(cfg.models.map((m) => `${m.namespace}/${m.name}`)).toEqual(['payments/fraud-detector', 'search/query-ranker', 'growth/churn-scorer']);
    const fraud = cfg.models[0];
    expect(fraud?.slos[1]?.sli).toEqual({ kind: 'latency', thresholdMs: 200 });
    expect(fraud?.runbookUrl).toBe('https://runbooks.example.com/modelslo/payments/fraud-detector#{slo}');
    expect(cfg.models[1]?.latencyBucketsMs).toContain(100);
    expect(cfg.models[1]?.slos[1]?.alerts).toEqual({ page: false, ticket: true });
    expect(cfg.maintenanceWindows[1]).toEqual({ name: 'sunday-reindex', kind: 'weekly', weekdays: ['sunday'], startTime: '03:00', endTime: '04:30' });
  });

  it('names file, line, column and field path of an objective out of range', () => {
    const text = oneModelText({ slos: '      - { name: availability, objective: 99.9, sli: { availability: {} } }\n      - name: latency\n        objective: 100\n        sli: { latency: { threshold_ms: 200 } }' });
    const line = lineOf(text, 'objective: 100');
    expect(issuesOf(text)).toEqual([`bad.yaml:${line}:20: models[0].slos[1].objective: must be between 0 and 100 (exclusive), got 100`]);
  });

  it('lists every problem at once', () => {
    const text = oneModelText({
      slos: ['      - { name: a, objective: 0, sli: { availability: {} } }', '      - { name: b, objective: 99, window: 7d, sli: { availability: {} } }', '      - { name: c, objective: 99, sli: {} }'].join('\n'),
    });
    const issues = issuesOf(text);
    expect(issues).toHaveLength(3);
    expect(issues[0]).toContain(`bad.yaml:${lineOf(text, 'name: a')}:`);
    expect(issues[0]).toContain('models[0].slos[0].objective: must be between 0 and 100 (exclusive), got 0');
    expect(issues[1]).toContain('models[0].slos[1].window: must be 28d or 30d');
    expect(issues[2]).toContain('models[0].slos[2].sli: must have exactly one of availability, latency, ratio or correctness');
  });

  it('rejects a latency threshold that is not a bucket bound, listing the bounds', () => {
    const text = oneModelText({ slos: '      - { name: latency, objective: 99, sli: { latency: { threshold_ms: 150 } } }' });
    const [issue] = issuesOf(text);
    expect(issue).toContain('models[0].slos[0].sli.latency.threshold_ms: must be one of the latency histogram\'s bucket bounds (5, 10, 25, 50, 100, 200, 250, 500, 1000, 2500, 5000, 10000 ms), got 150; add it to latency_buckets_ms');
  });

  it('accepts the threshold once it is a configured bucket bound', () => {
    const cfg = mustParse(oneModelText({ extra: '    latency_buckets_ms: [50, 150, 300]', slos: '      - { name: latency, objective: 99, sli: { latency: { threshold_ms: 150 } } }' }));
    expect(cfg.models[0]?.latencyBucketsMs).toEqual([50, 150, 300]);
  });

  it('uses Knative buckets for kserve models', () => {
    const text = oneModelText({ source: 'kserve', slos: '      - { name: latency, objective: 99, sli: { latency: { threshold_ms: 250 } } }' });
    expect(mustParse(text).models[0]?.latencyBucketsMs).toContain(250);
    const bad = oneModelText({ source: 'kserve', slos: '      - { name: latency, objective: 99, sli: { latency: { threshold_ms: 25 } } }' });
    expect(issuesOf(bad)[0]).toMatch(/bucket bounds \(5, 10, 20, 40,.*100000 ms\), got 25$/);
  });

  it.each([
    ['a selector with a function', 'sum(rate(x_total[5m]))', 'must be a plain vector selector'],
    ['broken PromQL', 'x_total{code=', 'is not valid PromQL'],
    ['a selector without a metric name', '{code="200"}', 'must name a metric'],
  ])('rejects custom selectors: %s', (_name, selector, message) => {
    const text = oneModelText({ source: 'custom', slos: `      - name: ok\n        objective: 99\n        sli: { ratio: { good: 'x_total{code="200"}', total: '${selector}' } }` });
    const [issue] = issuesOf(text);
    expect(issue).toContain(`bad.yaml:${lineOf(text, 'ratio:')}:`);
    expect(issue).toContain('models[0].slos[0].sli.ratio.total: ');
    expect(issue).toContain(message);
  });

  it('needs exactly one of good or bad in a ratio', () => {
    const text = oneModelText({ source: 'custom', slos: "      - { name: r, objective: 99, sli: { ratio: { good: 'a_total', bad: 'b_total', total: 'c_total' } } }" });
    expect(issuesOf(text)[0]).toContain('models[0].slos[0].sli.ratio: needs exactly one of good or bad, beside total');
  });

  it.each([
    ['an unknown field', '    colour: blue', "models[0]: unknown field \"colour\""],
    ['a duplicate model', '', ''],
  ])('reports %s', (name, extra, message) => {
    if (name === 'a duplicate model') {
      const text = `${oneModelText({ slos: '      - { name: a, objective: 99, sli: { availability: {} } }' })}\n  - name: fraud-detector\n    namespace: payments\n    owners: [{ team: fraud-ml, receiver: fraud-ml }]\n    slos: [{ name: a, objective: 99, sli: { availability: {} } }]`;
      expect(issuesOf(text)).toEqual([`bad.yaml:${lineOf(text, 'name: fraud-detector', 8)}:11: models[1].name: duplicate model payments/fraud-detector (also models[0])`]);
      return;
    }
    const text = oneModelText({ extra, slos: '      - { name: a, objective: 99, sli: { availability: {} } }' });
    expect(issuesOf(text)[0]).toContain(message);
  });

  it('checks receivers, owners and maintenance references', () => {
    const text = [
      'alerting:',
      '  oncall_receiver: pager',
      '  receivers: [{ name: oncall }]',
      'maintenance:',
      '  - { name: upgrade, start: "2026-12-02T00:00:00Z", end: "2026-12-01T00:00:00Z" }',
      'models:',
      '  - name: m',
      '    namespace: ns',
      '    owners: [{ team: t, receiver: nobody }, { team: u, email: u@example.com }, { team: v }]',
      '    maintenance: [nope]',
      '    slos: [{ name: a, objective: 99, sli: { availability: {} } }]',
    ].join('\n');
    const lines = text.split('\n');
    const at = (line: number, token: string): string => `bad.yaml:${line}:${(lines[line - 1] ?? '').indexOf(token) + 1}`;
    expect(issuesOf(text)).toEqual([
      `${at(2, 'pager')}: alerting.oncall_receiver: names no receiver in alerting.receivers (have: oncall)`,
      `${at(5, '"2026-12-01')}: maintenance[0].end: must be after start (2026-12-02T00:00:00Z)`,
      `${at(9, 'nobody')}: models[0].owners[0].receiver: names no receiver in alerting.receivers (have: oncall)`,
      `${at(9, 'u@example.com')}: models[0].owners[1].email: an owner reached by email needs alerting.smtp (or give the owner a receiver)`,
      `${at(9, '{ team: v }')}: models[0].owners[2]: needs a receiver or an email`,
      `${at(10, 'nope')}: models[0].maintenance[0]: names no window in maintenance (have: upgrade)`,
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const issues = issuesOf('models:\n  - name: x\n   bad: [\n');
    expect(issues[0]).toMatch(/^bad\.yaml:\d+:\d+: \(yaml\): /);
  });

  it('reports a missing models list', () => {
    expect(issuesOf('alerting: {}\n')).toEqual(['bad.yaml:1:1: models: is required']);
  });
  describe('drift section', () => {
    const slo = '      - { name: a, objective: 99, sli: { availability: {} } }';
    const col = (text: string, token: string, lineNeedle = token): string => {
      const line = lineOf(text, lineNeedle);
      return `${line}:${(text.split('\n')[line - 1] ?? '').indexOf(token) + 1}`;
    };
    const withDrift = (drift: string[]): string => oneModelText({ extra: ['    drift:', ...drift.map((l) => `      ${l}`)].join('\n'), slos: slo });

    it('maps the example to typed settings with defaults, the reference resolved against the config file', () => {
      const fraud = mustParse(exampleText(), 'examples/modelslo.yaml').models[0];
      expect(fraud?.drift).toEqual({
        reference: { kind: 'file', file: 'data/fraud-reference.jsonl', path: 'examples/data/fraud-reference.jsonl' },
        window: '1h',
        schedule: '*/5 * * * *',
        features: [{ name: 'amount', kind: 'numeric' }, { name: 'country', kind: 'categorical' }],
        prediction: { path: 'outputs[0].data[0]', kind: 'numeric' },
        driftShare: 0.5,
        correction: 'benjamini-hochberg',
        minSamples: 100,
      });
    });

    it('takes a time range of stored traffic, a seconds cron, a test and a path per feature', () => {
      const cfg = mustParse(withDrift(['reference: { from: "2026-01-01T00:00:00Z", to: "2026-01-08T00:00:00Z" }', 'schedule: "*/10 * * * * *"', 'window: 30m', 'min_samples: 20', 'features: [{ name: amount, kind: numeric, test: psi, path: "x[0]" }]']));
      expect(cfg.models[0]?.drift).toMatchObject({
        reference: { kind: 'range', fromMs: Date.parse('2026-01-01T00:00:00Z'), toMs: Date.parse('2026-01-08T00:00:00Z') },
        schedule: '*/10 * * * * *',
        window: '30m',
        minSamples: 20,
        features: [{ name: 'amount', kind: 'numeric', test: 'psi', path: 'x[0]' }],
      });
      expect(cfg.models[0]?.drift?.prediction).toBeUndefined();
    });

    it('names file, line, column and field of a bad cron expression', () => {
      const text = withDrift(['reference: { file: ref.jsonl }', 'schedule: "every five minutes"', 'features: [{ name: amount, kind: numeric }]']);
      expect(issuesOf(text)).toEqual([`bad.yaml:${col(text, '"every')}: models[0].drift.schedule: must be a node-cron expression such as "*/5 * * * *" (5 or 6 fields), got "every five minutes"`]);
    });

    it('names file, line, column and field of an unknown test, and of a test that does not fit the kind', () => {
      const text = withDrift(['reference: { file: ref.jsonl }', 'features:', '  - { name: amount, kind: numeric, test: t_test }', '  - { name: country, kind: categorical, test: ks }']);
      expect(issuesOf(text)).toEqual([`bad.yaml:${col(text, 't_test')}: models[0].drift.features[0].test: must be one of ks, chi_square, wasserstein, psi, jensen_shannon, hellinger, l_infinity`]);
      const fixed = text.replace('t_test', 'ks');
      expect(issuesOf(fixed)).toEqual([`bad.yaml:${col(fixed, 'ks }', 'country')}: models[0].drift.features[1].test: ks does not apply to categorical features (use one of chi_square, psi, jensen_shannon, hellinger, l_infinity)`]);
    });

    it.each([
      ['neither file nor range', ['reference: {}', 'features: [{ name: a, kind: numeric }]'], 'models[0].drift.reference: needs either file, or from and to (a time range of stored traffic)'],
      ['a range ending before it starts', ['reference: { from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z" }', 'features: [{ name: a, kind: numeric }]'], 'models[0].drift.reference.to: must be after from (2026-01-02T00:00:00Z)'],
      ['no features and no prediction', ['reference: { file: r.csv }'], 'models[0].drift.features: needs at least one feature (or drift.prediction)'],
      ['a duplicate feature', ['reference: { file: r.csv }', 'features: [{ name: a, kind: numeric }, { name: a, kind: numeric }]'], 'models[0].drift.features[1].name: duplicate feature "a" (also features[0])'],
      ['a bad window', ['reference: { file: r.csv }', 'window: hourly', 'features: [{ name: a, kind: numeric }]'], 'models[0].drift.window: must be a Prometheus duration such as 10m'],
      ['a bad kind', ['reference: { file: r.csv }', 'features: [{ name: a, kind: text }]'], 'models[0].drift.features[0].kind: must be numeric or categorical'],
    ])('rejects %s', (_name, drift, message) => {
      const issues = issuesOf(withDrift(drift));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(/^bad\.yaml:\d+:\d+: /);
      expect(issues[0]).toContain(message);
    });
  });
});
