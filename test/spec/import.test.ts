import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import type { Config } from '../../src/model/types.js';
import type { ParseResult } from '../../src/spec/parse.js';
import type { SpecIssue } from '../../src/spec/positions.js';
import { importOpenSlo } from '../../src/spec/import-openslo.js';
import { importSloth, slothQuerySelector } from '../../src/spec/import-sloth.js';

function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../golden/import/${name}`, import.meta.url)), 'utf8');
}

/**
 * Where a value sits in fixture text: the `nth` line containing `lineNeedle`, at the column of
 * `valueNeedle` in that line (1-based), found from the text rather than copied from output.
 */
function place(text: string, lineNeedle: string, valueNeedle: string, nth = 0): { line: number; column: number } {
  const lines = text.split('\n');
  const hits = lines.flatMap((l, i) => (l.includes(lineNeedle) ? [i] : []));
  const index = hits[nth];
  if (index === undefined) throw new Error(`fixture has no line ${nth} with ${lineNeedle}`);
  const col = (lines[index] ?? '').indexOf(valueNeedle);
  if (col < 0) throw new Error(`line ${index + 1} has no ${valueNeedle}`);
  return { line: index + 1, column: col + 1 };
}

function config(result: ParseResult): Config {
  if (!result.ok) throw new Error(`expected a config, got issues:\n${result.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`).join('\n')}`);
  return result.config;
}

function issues(result: ParseResult): SpecIssue[] {
  if (result.ok) throw new Error('expected issues, got a config');
  return result.issues;
}

function issueAt(list: SpecIssue[], path: string): SpecIssue {
  const found = list.find((i) => i.path === path);
  if (found === undefined) throw new Error(`no issue at ${path}; have ${list.map((i) => i.path).join(', ')}`);
  return found;
}

describe('importSloth', () => {
  const text = fixture('sloth.yaml');

  it('maps a Sloth service with two SLOs to one custom-SLI model', () => {
    const cfg = config(importSloth(text, 'sloth.yaml'));
    expect(cfg.models).toHaveLength(1);
    const model = cfg.models[0];
    expect(model?.name).toBe('fraud-detector');
    expect(model?.namespace).toBe('payments');
    expect(model?.owners).toEqual([{ team: 'fraud-ml', receiver: 'fraud-ml' }]);
    expect(model?.sliSource).toBe('custom');
    expect(model?.slos.map((s) => s.name)).toEqual(['requests-availability', 'requests-latency']);
    expect(cfg.alerting.receivers).toEqual([]);
  });

  it.each([
    {
      slo: 'requests-availability',
      objective: 99.9,
      description: '99.9% of prediction requests succeed.',
      bad: 'modelslo_requests_total{model="fraud-detector",code=~"5.."}',
      total: 'modelslo_requests_total{model="fraud-detector"}',
      alerts: {
        page: true,
        ticket: true,
        name: 'FraudDetectorAvailability',
        meta: {
          page: { labels: { category: 'availability', sloth_severity: 'page', severity: 'critical' }, annotations: { runbook: 'https://runbooks.example.com/fraud-detector' } },
          ticket: { labels: { category: 'availability', sloth_severity: 'ticket', severity: 'warning' }, annotations: { runbook: 'https://runbooks.example.com/fraud-detector' } },
        },
      },
    },
    {
      slo: 'requests-latency',
      objective: 99,
      description: '99% of prediction requests are served under 250ms.',
      bad: 'modelslo_request_errors_slow_total{model="fraud-detector"}',
      total: 'modelslo_requests_total{model="fraud-detector"}',
      alerts: {
        page: false,
        ticket: true,
        name: 'FraudDetectorLatency',
        meta: { page: { labels: { sloth_severity: 'page' }, annotations: {} }, ticket: { labels: { sloth_severity: 'ticket' }, annotations: {} } },
      },
    },
  ])('maps the SLO $slo: error_query to bad, total_query to total, a 30d window, its labels and its alerts', (want) => {
    const slo = config(importSloth(text, 'sloth.yaml')).models[0]?.slos.find((s) => s.name === want.slo);
    expect(slo).toEqual({
      name: want.slo,
      objective: want.objective,
      window: '30d',
      description: want.description,
      labels: { owner: 'fraud-ml', tier: '1', sloth_service: 'fraud-detector', sloth_slo: want.slo, sloth_id: `fraud-detector-${want.slo}` },
      sli: { kind: 'ratio', selectors: { bad: want.bad, total: want.total } },
      alerts: want.alerts,
    });
  });

  it('takes the owner from labels.team and defaults the namespace when there is no namespace label', () => {
    const src = [
      'version: prometheus/v1',
      'service: ranker',
      'labels: { team: search-ml }',
      'slos:',
      '  - name: availability',
      '    objective: 99.5',
      '    sli:',
      '      events:',
      '        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
      '        total_query: sum(rate(http_requests_total[{{.window}}]))',
      '    alerting:',
      '      ticket_alert: { disable: true }',
    ].join('\n');
    const model = config(importSloth(src, 'ranker.yaml')).models[0];
    expect(model?.namespace).toBe('default');
    expect(model?.owners).toEqual([{ team: 'search-ml', receiver: 'search-ml' }]);
    expect(model?.slos[0]?.alerts).toMatchObject({ page: true, ticket: false });
  });

  describe('a spec with many problems', () => {
    const bad = fixture('sloth-bad.yaml');
    const found = issues(importSloth(bad, 'sloth-bad.yaml'));

    it.each([
      { path: 'service', at: place(bad, 'service:', '"Fraud_Detector"'), says: 'must be a Kubernetes name' },
      { path: 'labels.owner', at: place(bad, 'owner:', '"fraud ml"'), says: 'must be a team name' },
      { path: 'slos[0].objective', at: place(bad, 'objective: 100', '100'), says: 'between 0 and 100 (exclusive), got 100' },
      { path: 'slos[1].sli.events.error_query', at: place(bad, '[5m]', 'sum('), says: 'must use the {{.window}} placeholder' },
      { path: 'slos[1].sli.events.total_query', at: place(bad, 'histogram_share(', '1 -'), says: 'uses histogram_share(), a MetricsQL (VictoriaMetrics) function that Prometheus lacks' },
      { path: 'slos[2].sli.raw.error_ratio_query', at: place(bad, 'error_ratio_query:', 'my:'), says: 'must use the {{.window}} placeholder' },
      { path: 'slos[3].sli.plugin', at: place(bad, 'id: sloth-common', 'id'), says: 'SLI plugins are not supported' },
      { path: 'slos[4].sli.events.error_query', at: place(bad, 'error_query: |', '|'), says: 'rendered with the window 5m: is not valid PromQL' },
    ])('reports $path at its line and column', ({ path, at, says }) => {
      const issue = issueAt(found, path);
      expect(issue.file).toBe('sloth-bad.yaml');
      expect({ line: issue.line, column: issue.column }).toEqual(at);
      expect(issue.message).toContain(says);
    });

    it('lists every problem at once, in file order', () => {
      expect(found.map((i) => i.path)).toEqual([
        'service',
        'labels.owner',
        'slos[0].objective',
        'slos[1].sli.events.error_query',
        'slos[1].sli.events.total_query',
        'slos[2].sli.raw.error_ratio_query',
        'slos[3].sli.plugin',
        'slos[4].sli.events.error_query',
      ]);
    });
  });

  it.each([
    { query: 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))', selector: 'http_requests_total{code=~"5.."}' },
    { query: '  sum ( rate ( http_requests_total [ {{ .window }} ] ) )\n', selector: 'http_requests_total' },
    { query: 'sum(rate(\n  http_requests_total{job="a"}[{{.window}}]\n))', selector: 'http_requests_total{job="a"}' },
    { query: 'sum(rate({__name__="http_requests_total",code="500"}[{{.window}}]))', selector: '{__name__="http_requests_total",code="500"}' },
  ])('accepts the query $query and extracts its selector', ({ query, selector }) => {
    expect(slothQuerySelector(query)).toEqual({ selector });
  });

  it.each([
    { query: 'sum(increase(http_requests_total[{{.window}}]))', says: 'uses increase()' },
    { query: 'sum(irate(http_requests_total[{{.window}}]))', says: 'uses irate()' },
    { query: 'sum by (code) (rate(http_requests_total[{{.window}}]))', says: 'is not of the shape' },
    { query: 'rate(http_requests_total[{{.window}}])', says: 'is not of the shape' },
    { query: 'sum(rate(http_requests_total[5m]))', says: 'must use the {{.window}} placeholder' },
    { query: 'sum(rate(a[{{.window}}])) / sum(rate(b[{{.window}}]))', says: 'is not of the shape' },
    { query: 'sum(rate(http_requests_total{code=~"5.."} offset 1h[{{.window}}]))', says: 'selector' },
    { query: 'sum(rate(http_requests_total{code=="5"}[{{.window}}]))', says: 'is not valid PromQL' },
  ])('does not read the query $query as a counter selector', ({ query, says }) => {
    const out = slothQuerySelector(query);
    expect('error' in out ? out.error : 'accepted').toContain(says);
  });

  it('reads a Kubernetes PrometheusServiceLevel, naming its own camelCase fields under spec', () => {
    const doc = (error: string): string =>
      ['apiVersion: sloth.slok.dev/v1', 'kind: PrometheusServiceLevel', 'metadata: { name: x }', 'spec:', '  service: svc', '  slos:', '    - name: a', '      objective: 99', '      sli:', '        events:', `          errorQuery: '${error}'`, "          totalQuery: 'sum(rate(x[{{.window}}]))'", ''].join('\n');
    const [issue, ...rest] = issues(importSloth(doc('sum(rate(x[{{.window}}]'), 'crd.yaml'));
    expect(rest).toEqual([]);
    expect(issue?.path).toBe('spec.slos[0].sli.events.errorQuery');
    expect(issue?.line).toBe(11);
    const ok = importSloth(doc('sum(rate(x{code="500"}[{{.window}}]))'), 'crd.yaml');
    expect(ok.ok && ok.config.models[0]?.name).toBe('svc');
  });

  it('says a manifest of another kind is not a Sloth spec', () => {
    const src = 'apiVersion: sloth.slok.dev/v1\nkind: Other\nmetadata: { name: x }\nspec: {}\n';
    const [issue, ...rest] = issues(importSloth(src, 'crd.yaml'));
    expect(rest).toEqual([]);
    expect(issue?.path).toBe('apiVersion');
    expect(issue?.line).toBe(1);
    expect(issue?.message).toContain('version: "prometheus/v1"');
  });

  it.each([
    {
      name: 'a wrong version',
      src: 'version: prometheus/v2\nservice: a\nlabels: { owner: t }\nslos: []\n',
      path: 'version',
      line: 1,
      says: 'must be "prometheus/v1"',
    },
    {
      name: 'no SLOs',
      src: 'version: prometheus/v1\nservice: a\nlabels: { owner: t }\nslos: []\n',
      path: 'slos',
      line: 4,
      says: 'needs at least one SLO',
    },
    {
      name: 'an SLO plugin chain',
      src: 'version: prometheus/v1\nservice: a\nlabels: { owner: t }\nslo_plugins:\n  chain: [{ id: x }]\nslos: []\n',
      path: 'slo_plugins',
      line: 5,
      says: 'SLO plugin chains are not supported',
    },
    {
      name: 'an unknown field',
      src: 'version: prometheus/v1\nservice: a\nlabels: { owner: t }\nslos:\n  - name: x\n    objective: 99\n    window: 28d\n    sli: { events: { error_query: "sum(rate(a[{{.window}}]))", total_query: "sum(rate(b[{{.window}}]))" } }\n',
      path: 'slos[0]',
      line: 5,
      says: 'unknown field "window"',
    },
    {
      name: 'a duplicate SLO name',
      src: 'version: prometheus/v1\nservice: a\nlabels: { owner: t }\nslos:\n  - { name: x, objective: 99, sli: { events: { error_query: "sum(rate(a[{{.window}}]))", total_query: "sum(rate(b[{{.window}}]))" } } }\n  - { name: x, objective: 99, sli: { events: { error_query: "sum(rate(a[{{.window}}]))", total_query: "sum(rate(b[{{.window}}]))" } } }\n',
      path: 'slos[1].name',
      line: 6,
      says: 'duplicate SLO "x" (also slos[0])',
    },
    {
      name: 'an SLO without events',
      src: 'version: prometheus/v1\nservice: a\nlabels: { owner: t }\nslos:\n  - name: x\n    objective: 99\n    sli: {}\n',
      path: 'slos[0].sli.events',
      line: 7,
      says: 'is required',
    },
  ])('reports $name', ({ src, path, line, says }) => {
    const issue = issueAt(issues(importSloth(src, 'x.yaml')), path);
    expect(issue.line).toBe(line);
    expect(issue.message).toContain(says);
  });

  it('reports a YAML syntax error with its line', () => {
    const [issue] = issues(importSloth('version: prometheus/v1\nservice: [a\n', 'broken.yaml'));
    expect(issue?.path).toBe('(yaml)');
    expect(issue?.file).toBe('broken.yaml');
    expect(issue?.line).toBeGreaterThanOrEqual(2);
  });
});

/** An OpenSLO SLO document, inline ratio SLI, with fields overridable by string replacement. */
function sloDoc(name: string, service: string, extra: { labels?: string; target?: string; window?: string } = {}): string {
  return [
    'apiVersion: openslo/v1',
    'kind: SLO',
    'metadata:',
    `  name: ${name}`,
    `  labels: ${extra.labels ?? '{ owner: ml-team }'}`,
    'spec:',
    `  service: ${service}`,
    '  indicator:',
    '    metadata: { name: errors }',
    '    spec:',
    '      ratioMetric:',
    '        counter: true',
    '        bad: { metricSource: { type: Prometheus, spec: { query: \'http_requests_total{code=~"5.."}\' } } }',
    '        total: { metricSource: { type: Prometheus, spec: { query: http_requests_total } } }',
    ...(extra.window === undefined ? [] : ['  timeWindow:', `    - { duration: ${extra.window}, isRolling: true }`]),
    '  budgetingMethod: Occurrences',
    `  objectives: [{ ${extra.target ?? 'target: 0.99'} }]`,
  ].join('\n');
}

describe('importOpenSlo', () => {
  const text = fixture('openslo.yaml');

  it('maps two SLO documents of one service, one naming an SLI document, to one model', () => {
    const cfg = config(importOpenSlo(text, 'openslo.yaml'));
    expect(cfg.models).toHaveLength(1);
    const model = cfg.models[0];
    expect(model?.name).toBe('recommender');
    expect(model?.namespace).toBe('shop');
    expect(model?.owners).toEqual([{ team: 'reco-ml', receiver: 'reco-ml' }]);
    expect(model?.sliSource).toBe('custom');
    expect(model?.slos).toEqual([
      {
        name: 'availability',
        objective: 99.9,
        window: '28d',
        description: '99.9% of recommendation requests succeed.',
        labels: { team: 'reco-ml' },
        sli: {
          kind: 'ratio',
          selectors: { bad: 'modelslo_requests_total{model="recommender",code=~"5.."}', total: 'modelslo_requests_total{model="recommender"}' },
        },
        alerts: { page: true, ticket: true },
      },
      {
        name: 'latency',
        objective: 99.5,
        window: '30d',
        labels: { team: 'reco-ml' },
        sli: {
          kind: 'ratio',
          selectors: {
            good: 'modelslo_request_duration_seconds_bucket{model="recommender",le="0.2"}',
            total: 'modelslo_request_duration_seconds_count{model="recommender"}',
          },
        },
        alerts: { page: true, ticket: true },
      },
    ]);
  });

  it('makes one model per service, in file order', () => {
    const src = [sloDoc('a', 'ranker'), sloDoc('b', 'scorer', { labels: '{ owner: other-team, namespace: ml }' }), sloDoc('c', 'ranker')].join('\n---\n');
    const cfg = config(importOpenSlo(src, 'multi.yaml'));
    expect(cfg.models.map((m) => [m.namespace, m.name, m.slos.map((s) => s.name)])).toEqual([
      ['default', 'ranker', ['a', 'c']],
      ['ml', 'scorer', ['b']],
    ]);
    expect(cfg.models[1]?.owners).toEqual([{ team: 'other-team', receiver: 'other-team' }]);
  });

  it.each([
    { target: 'target: 0.999', objective: 99.9 },
    { target: 'target: 0.9995', objective: 99.95 },
    { target: 'target: 0.95', objective: 95 },
    // 0.58 × 100 and 0.29 × 100 are not whole numbers in IEEE 754 doubles; the import must round.
    { target: 'target: 0.58', objective: 58 },
    { target: 'target: 0.29', objective: 29 },
    { target: 'targetPercent: 99.99', objective: 99.99 },
  ])('turns $target into the objective $objective', ({ target, objective }) => {
    const slo = config(importOpenSlo(sloDoc('a', 'ranker', { target }), 'x.yaml')).models[0]?.slos[0];
    expect(slo?.objective).toBe(objective);
  });

  it.each([
    { window: '28d', want: '28d' },
    { window: '4w', want: '28d' },
    { window: '30d', want: '30d' },
    { window: undefined, want: '28d' },
  ])('turns the rolling window $window into $want', ({ window, want }) => {
    const slo = config(importOpenSlo(sloDoc('a', 'ranker', window === undefined ? {} : { window }), 'x.yaml')).models[0]?.slos[0];
    expect(slo?.window).toBe(want);
  });

  it('takes the namespace from metadata.namespace when there is no namespace label', () => {
    const src = sloDoc('a', 'ranker').replace('  name: a\n', '  name: a\n  namespace: search\n');
    expect(config(importOpenSlo(src, 'x.yaml')).models[0]?.namespace).toBe('search');
  });

  describe('documents with many problems', () => {
    const bad = fixture('openslo-bad.yaml');
    const found = issues(importOpenSlo(bad, 'openslo-bad.yaml'));

    it.each([
      { path: 'spec.indicator.spec.ratioMetric.counter', at: place(bad, 'counter: false', 'false'), says: 'must be true, got false' },
      { path: 'spec.indicator.spec.ratioMetric.good.metricSource.type', at: place(bad, 'type: Datadog', 'Datadog'), says: 'must be Prometheus, got Datadog' },
      { path: 'spec.indicator.spec.ratioMetric.total.metricSource.spec.query', at: place(bad, 'query: sum(rate(', 'sum('), says: 'must be a plain vector selector' },
      { path: 'spec.timeWindow[0].isRolling', at: place(bad, 'isRolling: false', 'false'), says: 'calendar windows are not supported' },
      { path: 'spec.budgetingMethod', at: place(bad, 'budgetingMethod: Timeslices', 'Timeslices'), says: 'must be Occurrences, got "Timeslices"' },
      { path: 'spec.objectives[0].target', at: place(bad, 'target: 1.5', '1.5'), says: 'between 0 and 1 (exclusive), got 1.5' },
      { path: 'metadata.name', at: place(bad, 'name: Latency', 'Latency'), says: 'lowercase letters' },
      { path: 'spec.indicatorRef', at: place(bad, 'indicatorRef: missing-sli', 'missing-sli'), says: 'names no SLI document in this file' },
      { path: 'spec.timeWindow[0].duration', at: place(bad, 'duration: 7d', '7d'), says: 'must be 28d, 30d or 4w, got 7d' },
      { path: 'spec.indicator.spec.thresholdMetric', at: place(bad, 'metricSource:', 'metricSource', 2), says: 'thresholdMetric SLIs are not supported' },
      { path: 'spec.objectives[0].op', at: place(bad, 'op: lte', 'lte'), says: 'thresholdMetric SLIs, which are not supported' },
    ])('reports $path at its line and column', ({ path, at, says }) => {
      const issue = found.find((i) => i.path === path && i.line === at.line);
      expect(issue, `${path} at line ${at.line}; have ${found.map((i) => `${i.line}:${i.path}`).join(', ')}`).toBeDefined();
      expect(issue?.column).toBe(at.column);
      expect(issue?.file).toBe('openslo-bad.yaml');
      expect(issue?.message).toContain(says);
    });

    it('lists the problems of every document at once', () => {
      const lines = found.map((i) => i.line);
      expect(lines).toEqual([...lines].sort((a, b) => a - b));
      expect(found).toHaveLength(12);
    });
  });

  it('reports a bad SLI document once, however many SLOs name it', () => {
    const sli = [
      'apiVersion: openslo/v1',
      'kind: SLI',
      'metadata: { name: shared }',
      'spec:',
      '  ratioMetric:',
      '    counter: true',
      '    good: { metricSource: { type: Prometheus, spec: { query: "sum(x)" } } }',
      '    total: { metricSource: { type: Prometheus, spec: { query: x } } }',
    ].join('\n');
    const byRef = (name: string): string =>
      sloDoc(name, 'ranker').replace(/ {2}indicator:\n(?: {4}.*\n)+/, '  indicatorRef: shared\n');
    const src = [sli, byRef('a'), byRef('b')].join('\n---\n');
    const found = issues(importOpenSlo(src, 'x.yaml'));
    expect(found.map((i) => [i.line, i.path])).toEqual([[7, 'spec.ratioMetric.good.metricSource.spec.query']]);
  });

  it.each([
    {
      name: 'both indicator and indicatorRef',
      src: sloDoc('a', 'ranker').replace('  indicator:\n', '  indicatorRef: other\n  indicator:\n'),
      path: 'spec.indicatorRef',
      says: 'not both',
    },
    {
      name: 'two objectives',
      src: sloDoc('a', 'ranker', { target: 'target: 0.99 }, { target: 0.9' }),
      path: 'spec.objectives',
      says: 'one objective per SLO',
    },
    {
      name: 'both target and targetPercent',
      src: sloDoc('a', 'ranker', { target: 'target: 0.99, targetPercent: 99' }),
      path: 'spec.objectives[0]',
      says: 'exactly one of target',
    },
    {
      name: 'a service that is not a Kubernetes name',
      src: sloDoc('a', 'Ranker.Service'),
      path: 'spec.service',
      says: 'must be a Kubernetes name',
    },
    {
      name: 'an owner label with two teams',
      src: sloDoc('a', 'ranker', { labels: '{ team: [a, b] }' }),
      path: 'metadata.labels.team',
      says: 'must be one team name',
    },
    {
      name: 'an OpenSLO v1alpha document',
      src: 'apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: { name: a }\nspec: {}\n',
      path: 'apiVersion',
      says: 'only OpenSLO v1 is supported',
    },
    {
      name: 'an unsupported kind',
      src: `${sloDoc('a', 'ranker')}\n---\napiVersion: openslo/v1\nkind: Dashboard\nmetadata: { name: d }\nspec: {}\n`,
      path: 'kind',
      says: 'kind "Dashboard" is not supported',
    },
    {
      name: 'a duplicate SLO of one service',
      src: `${sloDoc('a', 'ranker')}\n---\n${sloDoc('a', 'ranker')}`,
      path: 'metadata.name',
      says: 'duplicate SLO "a" for default/ranker (also at line 4)',
    },
    {
      name: 'a file without SLO documents',
      src: 'apiVersion: openslo/v1\nkind: Service\nmetadata: { name: s }\nspec: {}\n',
      path: '(root)',
      says: 'has no SLO document',
    },
  ])('reports $name', ({ src, path, says }) => {
    const found = issues(importOpenSlo(src, 'x.yaml'));
    expect(issueAt(found, path).message).toContain(says);
  });

  it('places an issue of a later document at its line in the whole file', () => {
    const src = `${sloDoc('a', 'ranker')}\n---\n${sloDoc('b', 'ranker', { window: '1M' })}`;
    const [issue, ...rest] = issues(importOpenSlo(src, 'x.yaml'));
    expect(rest).toEqual([]);
    expect(issue?.path).toBe('spec.timeWindow[0].duration');
    expect(issue?.line).toBe(place(src, 'duration: 1M', '1M').line);
    expect(issue?.column).toBe(place(src, 'duration: 1M', '1M').column);
  });
});
