/**
 * The peer suite: Sloth's own example specs (test/fixtures/sloth, see its README) imported with
 * `--from sloth`, run beside the rules Sloth generated for them under the real `promtool test
 * rules`, one run per example: the error ratios agree at every evaluation, and the page and ticket
 * conditions hold at the same evaluations (modelslo's `for:` delays are not part of a condition);
 * every label and annotation of the spec is on modelslo's rules; the routing still reaches the
 * on-call, the owners and the journal (amtool). The examples modelslo refuses say why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, Model, Slo } from '../../src/model/types.js';
import { renderYaml } from '../../src/render/yaml.js';
import { alertmanagerConfig } from '../../src/rules/alertmanager.js';
import { modelRuleFile } from '../../src/rules/model-rules.js';
import type { AlertingRule, RecordingRule, RuleFile } from '../../src/rules/types.js';
import { importSloth } from '../../src/spec/import-sloth.js';
import { repoPath } from '../support/fixtures.js';
import { peerRuleFile, peerScenario, peerTest, stepRatios, type ComparedSlo, type PeerSeries } from '../support/peer-rules.js';
import { runTool, writeTempFiles, type RunResult } from '../support/tools.js';

const fixture = (name: string): string => readFileSync(repoPath(`test/fixtures/sloth/${name}`), 'utf8');

/** Examples that import, and those refused with the field and words of the refusal. */
const IMPORTED = ['getting-started.yml', 'multifile.yml', 'no-alerts.yml', 'kubernetes-apiserver.yml', 'home-wifi.yml', 'raw-home-wifi.yml', 'k8s-getting-started.yml', 'k8s-home-wifi.yml', 'k8s-multifile.yml'];
const REFUSED: Array<[string, string, string]> = [
  ['plugin-getting-started.yml', 'slos[0].sli.plugin', 'SLI plugins are not supported'],
  ['slo-plugin-getting-started.yml', 'slo_plugins', 'SLO plugin chains are not supported'],
  ['contrib-slo-plugins.yml', 'slos[0].plugins', 'SLO plugin chains are not supported'],
  ['victoria-metrics.yml', 'slos[0].sli.events.error_query', 'histogram_share(), a MetricsQL (VictoriaMetrics) function'],
  ['contrib-denominator-corrected.yaml', 'spec.sloPlugins', 'SLO plugin chains are not supported'],
  ['plugin-k8s-getting-started.yml', 'spec.slos[0].sli.plugin', 'SLI plugins are not supported'],
  ['slo-plugin-k8s-getting-started.yml', 'spec.sloPlugins', 'SLO plugin chains are not supported'],
  ['openslo-getting-started.yml', 'apiVersion', 'is an OpenSLO document ("openslo/v1alpha"); read it with --from openslo'],
  ['openslo-kubernetes-apiserver.yml', 'apiVersion', 'is an OpenSLO document ("openslo/v1alpha"); read it with --from openslo'],
];

function imported(name: string): Config {
  const r = importSloth(fixture(name), name);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`).join('\n'));
  return r.config;
}

interface SlothRule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
type SlothFile = { groups: Array<{ name: string; rules: SlothRule[] }> };

/**
 * Sloth's generated rules of an example, its documents (one per spec) merged into one rule file;
 * for a PrometheusServiceLevel, Sloth writes prometheus-operator PrometheusRules: their `spec`.
 */
const slothRules = (name: string): SlothFile => ({
  groups: parseAllDocuments(fixture(`_gen/${name}`)).flatMap((d) => {
    const doc = d.toJS() as (SlothFile & { kind?: string; spec?: SlothFile }) | null;
    return (doc?.kind === 'PrometheusRule' ? doc.spec?.groups : doc?.groups) ?? [];
  }),
});
const slothGroup = (file: SlothFile, kind: string, model: Model, slo: Slo): SlothRule[] =>
  file.groups.find((g) => g.name === `sloth-slo-${kind}-${model.name}-${slo.name}`)?.rules ?? [];

function compared(config: Config, file: SlothFile): ComparedSlo[] {
  return config.models.flatMap((model) =>
    model.slos.map((slo) => {
      const alerts = slothGroup(file, 'alerts', model, slo);
      const cond = (severity: string): string | undefined => alerts.find((a) => a.labels?.['sloth_severity'] === severity)?.expr;
      return {
        model,
        slo,
        peer: { selector: `{sloth_id="${model.name}-${slo.name}"}`, ratio: (w: string) => `slo:sli_error:ratio_rate${w}`, page: cond('page'), ticket: cond('ticket') },
      };
    }),
  );
}

const EVENTS = 1_000_000;
const CLIENTS = 10;

/** Series every example's queries can read, carrying the error ratio of each step. */
function inputs(spec: string, ratios: readonly number[]): PeerSeries[] {
  const cumulative = (perStep: (r: number) => number): number[] => {
    let total = 0;
    return ratios.map((r, i) => (i === 0 ? 0 : (total += perStep(r))));
  };
  const bad = cumulative((r) => Math.round(EVENTS * r));
  const good = cumulative((r) => EVENTS - Math.round(EVENTS * r));
  const all = cumulative(() => EVENTS);
  const out: PeerSeries[] = [];
  for (const job of ['myservice', 'myapp']) {
    out.push({ series: `http_request_duration_seconds_count{job="${job}",code="500"}`, values: bad });
    out.push({ series: `http_request_duration_seconds_count{job="${job}",code="200"}`, values: good });
  }
  out.push({ series: 'apiserver_request_total{code="500"}', values: bad }, { series: 'apiserver_request_total{code="200"}', values: good });
  out.push({ series: 'apiserver_request_duration_seconds_count{verb="GET"}', values: all });
  out.push({ series: 'apiserver_request_duration_seconds_bucket{le="0.4",verb="GET"}', values: good });
  if (spec.includes('unifipoller_client_satisfaction_ratio')) {
    // Satisfaction gauges: a share of clients equal to the error ratio sits at 0.4 (below both thresholds).
    for (let c = 0; c < CLIENTS; c++) {
      out.push({ series: `unifipoller_client_satisfaction_ratio{client="c${c}"}`, values: ratios.map((r) => (c < Math.round(CLIENTS * r) ? 0.4 : 0.9)) });
    }
  }
  return out;
}

let dir = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
/** Each example's `promtool test rules` run, started in beforeAll two at a time (promtool uses about one core). */
const peerRuns = new Map<string, Promise<RunResult>>();

/** Runs `job` for every name, at most `width` at once; each name's promise settles with its own result. */
function pooled<T>(names: readonly string[], width: number, job: (name: string) => Promise<T>): Map<string, Promise<T>> {
  const queue = [...names];
  const settle = new Map<string, (v: T) => void>();
  const out = new Map(names.map((n) => [n, new Promise<T>((resolve) => settle.set(n, resolve))]));
  const worker = async (): Promise<void> => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) settle.get(n)?.(await job(n));
  };
  for (let i = 0; i < width; i++) void worker();
  return out;
}

beforeAll(async () => {
  const files: Array<{ path: string; content: string }> = [];
  for (const name of IMPORTED) {
    const config = imported(name);
    const spec = fixture(name);
    const list = compared(config, slothRules(name));
    const ruleFiles = ['sloth.rules.yaml', ...config.models.map((m) => `${m.name}.rules.yaml`), 'peer.rules.yaml'];
    files.push({ path: `${name}/sloth.rules.yaml`, content: renderYaml(slothRules(name)) });
    for (const m of config.models) files.push({ path: `${name}/${m.name}.rules.yaml`, content: renderYaml(modelRuleFile(m, config.alerting)) });
    files.push({ path: `${name}/peer.rules.yaml`, content: renderYaml(peerRuleFile(list)) });
    // One scenario per example, at the first SLO's budget (the others see the same series).
    const [first] = list;
    if (first === undefined) throw new Error(`${name}: no SLO`);
    const phases = peerScenario(first.slo);
    // Without an order promtool evaluates groups in map order: the peer group could read a stale side.
    const order = [...slothRules(name).groups.map((g) => g.name), ...config.models.flatMap((m) => modelRuleFile(m, config.alerting).groups.map((g) => g.name)), 'peer-comparison'];
    const tests = [peerTest(`${name}: ${phases.map((p) => p.name).join(', ')}`, inputs(spec, stepRatios(phases)), list, [first])];
    files.push({ path: `${name}/peer.test.yaml`, content: renderYaml({ rule_files: ruleFiles, evaluation_interval: '5m', group_eval_order: order, tests }) });
    files.push({ path: `${name}/alertmanager.yaml`, content: renderYaml(alertmanagerConfig(config)) });
  }
  ({ dir, cleanup } = await writeTempFiles(files));
  for (const [name, run] of pooled(IMPORTED, 2, (n) => runTool('promtool', ['test', 'rules', join(dir, n, 'peer.test.yaml')]))) peerRuns.set(name, run);
});

afterAll(async () => {
  await cleanup();
});

describe('Sloth examples modelslo refuses', () => {
  it.each(REFUSED)('refuses %s at %s: %s', (name, path, says) => {
    const r = importSloth(fixture(name), name);
    expect(r.ok).toBe(false);
    const issue = r.ok ? undefined : r.issues.find((i) => i.path === path);
    expect(issue?.message).toContain(says);
  });
});

describe.each(IMPORTED)('Sloth example %s', (name) => {
  it('agrees with Sloth\'s rules under promtool: ratios at every evaluation, page and ticket conditions in the same minutes', { timeout: 300_000 }, async () => {
    const r = await peerRuns.get(name);
    if (r === undefined) throw new Error(`no promtool run for ${name}`);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('puts every label of Sloth\'s rules and every annotation of the spec on modelslo\'s rules', () => {
    const config = imported(name);
    const sloth = slothRules(name);
    for (const model of config.models) {
      const ours: RuleFile = modelRuleFile(model, config.alerting);
      for (const slo of model.slos) {
        const group = ours.groups.find((g) => g.name.endsWith(`-${model.name}-${slo.name}`))?.rules ?? [];
        const records = group.filter((r): r is RecordingRule => 'record' in r && r.record.startsWith('modelslo:sli_error'));
        for (const theirs of slothGroup(sloth, 'sli-recordings', model, slo)) {
          const want = Object.fromEntries(Object.entries(theirs.labels ?? {}).filter(([k]) => k !== 'cmd' && k !== 'sloth_window'));
          for (const r of records) expect(r.labels).toMatchObject(want);
        }
        const alerts = group.filter((r): r is AlertingRule => 'alert' in r);
        for (const theirs of slothGroup(sloth, 'alerts', model, slo)) {
          const severity = theirs.labels?.['sloth_severity'];
          const mine = alerts.filter((a) => a.labels['sloth_severity'] === severity);
          expect(mine).toHaveLength(2);
          for (const a of mine) {
            expect(a.alert).toBe(theirs.alert);
            expect(a.labels).toMatchObject(theirs.labels ?? {});
          }
        }
      }
    }
  });
});

describe('spec annotations and labels of getting-started.yml', () => {
  it('are on the page and ticket alerts as the spec gives them', () => {
    const config = imported('getting-started.yml');
    const model = config.models[0];
    const slo = model?.slos[0];
    if (model === undefined || slo === undefined) throw new Error('no SLO');
    const alerts = modelRuleFile(model, config.alerting).groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r);
    const page = alerts.filter((a) => a.labels['short_window'] === '5m' || a.labels['short_window'] === '30m');
    const ticket = alerts.filter((a) => a.labels['short_window'] === '2h' || a.labels['short_window'] === '6h');
    for (const a of page) {
      expect(a).toMatchObject({ alert: 'MyServiceHighErrorRate', labels: { category: 'availability', severity: 'pageteam', routing_key: 'myteam', owner: 'myteam', repo: 'myorg/myservice', tier: '2' }, annotations: { summary: "High error rate on 'myservice' requests responses" } });
    }
    for (const a of ticket) {
      expect(a).toMatchObject({ alert: 'MyServiceHighErrorRate', labels: { category: 'availability', severity: 'slack', slack_channel: '#alerts-myteam' }, annotations: { summary: "High error rate on 'myservice' requests responses" } });
    }
    expect(page).toHaveLength(2);
    expect(ticket).toHaveLength(2);
  });
});

describe('routing of imported alerts (amtool config routes test)', () => {
  const amFile = (name: string): string => join(dir, name, 'alertmanager.yaml');

  it.each(['getting-started.yml', 'home-wifi.yml', 'kubernetes-apiserver.yml'])('the config of %s passes amtool check-config', async (name) => {
    const r = await runTool('amtool', ['check-config', amFile(name)]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  // The labels each imported alert carries (the rule's own labels), and where it must go.
  const ROUTES: Array<[string, string, string[], string]> = [
    ['a page with the spec\'s severity=pageteam', 'getting-started.yml', ['alertname=MyServiceHighErrorRate', 'severity=pageteam', 'audience=oncall', 'sloth_severity=page', 'namespace=default', 'model=myservice', 'slo=requests-availability'], 'modelslo-journal,oncall'],
    ['a ticket with the spec\'s severity=slack', 'getting-started.yml', ['alertname=MyServiceHighErrorRate', 'severity=slack', 'audience=owners', 'sloth_severity=ticket', 'namespace=default', 'model=myservice', 'slo=requests-availability'], 'modelslo-journal,myteam'],
    ['a page of a spec without an owner', 'home-wifi.yml', ['alertname=GoodWifiClientSatisfaction', 'severity=home', 'audience=oncall', 'namespace=default', 'model=home-wifi', 'slo=good-wifi-client-satisfaction'], 'modelslo-journal,oncall'],
    ['a ticket of a spec without an owner', 'home-wifi.yml', ['alertname=GoodWifiClientSatisfaction', 'severity=warning', 'audience=owners', 'namespace=default', 'model=home-wifi', 'slo=good-wifi-client-satisfaction'], 'modelslo-journal,default-owners'],
    ['a page with severity=critical', 'kubernetes-apiserver.yml', ['alertname=K8sApiserverLatencyAlert', 'severity=critical', 'audience=oncall', 'namespace=default', 'model=k8s-apiserver', 'slo=requests-latency'], 'modelslo-journal,oncall'],
  ];

  it.each(ROUTES)('routes %s (%s)', async (_what, name, labels, receivers) => {
    const r = await runTool('amtool', ['config', 'routes', 'test', `--config.file=${amFile(name)}`, ...labels]);
    expect(r.stdout.trim()).toBe(receivers);
  });

  it.each(ROUTES)('generates exactly these labels for %s (%s)', (_what, name, labels) => {
    const config = imported(name);
    const want = Object.fromEntries(labels.map((l) => l.split('=') as [string, string]));
    const alerts = config.models.flatMap((m) => m.slos.flatMap((s) => modelRuleFile(m, config.alerting).groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r && r.labels['slo'] === s.name)));
    const { alertname, ...rest } = want;
    expect(alerts.some((a) => a.alert === alertname && Object.entries(rest).every(([k, v]) => a.labels[k] === v))).toBe(true);
  });
});
