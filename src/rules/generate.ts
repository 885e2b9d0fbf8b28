/**
 * The generation chain: validated config → artifacts (objects, not text), in order:
 * per model, SLI/metadata/alert rule groups and their promtool tests; then Alertmanager routing.
 */
import type { Config, Model } from '../model/types.js';
import { alertmanagerConfig } from './alertmanager.js';
import { modelRuleFile } from './model-rules.js';
import { promtoolTestFile } from './promtool-tests.js';
import type { RuleFile } from './types.js';
import { dashboards, grafanaDashboard, provisioning } from './dashboards/index.js';

/** Output formats of rule files. */
export type RuleFormat = 'prometheus' | 'prometheus-operator';

/** Output formats of dashboards: Grafana JSON with a provisioning file, or GrafanaDashboard objects. */
export type DashboardFormat = 'grafana' | 'grafana-operator';

/** The formats of a generation. */
export interface Formats {
  rules: RuleFormat;
  dashboards: DashboardFormat;
}

/** One generated artifact: where it goes, what it is, and its content as an object. */
export interface Artifact {
  path: string;
  kind: 'rules' | 'rules-test' | 'prometheus-rule' | 'alertmanager' | 'dashboard' | 'dashboard-provisioning' | 'grafana-dashboard';
  /** JSON for Grafana dashboards, YAML for everything else. */
  encoding: 'yaml' | 'json';
  content: Record<string, unknown>;
  /** A comment placed under the generated header. */
  comment?: string;
}

/** Base name of a model's files: `<namespace>-<model>`. */
export function modelFileBase(model: Model): string {
  return `${model.namespace}-${model.name}`;
}

/** A PrometheusRule object (prometheus-operator, monitoring.coreos.com/v1) holding a rule file. */
export function prometheusRule(model: Model, rules: RuleFile): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: `modelslo-${model.name}`,
      namespace: model.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'modelslo', 'modelslo.dev/model': model.name },
    },
    spec: rules,
  };
}

const BURN_COMMENT = [
  'SLO rules of one model. Per SLO, one group (one evaluation time for all of it):',
  '  modelslo:sli_error:ratio_rate<window>  error ratio over 5m 30m 1h 2h 6h 1d 3d and the SLO window',
  '  modelslo:slo_*                         objective, error budget, current/period burn rate, budget remaining',
  '  ModelSLOErrorBudgetBurn                multi-window multi-burn-rate alerts (Google SRE workbook, ch. 5):',
  '    page   2% of budget in 1h (1h and 5m), 5% in 6h (6h and 30m)',
  '    ticket 10% of budget in 1d (1d and 2h), 10% in 3d (3d and 6h)',
  '    factor = budget share × SLO window / long window: 14.4 6 3 1 for 30d, 13.44 5.6 2.8 0.9333 for 28d',
  'Then the absent-data alert, and the failure-mode alerts (load failure, OOM kills, cold starts, scale',
  'thrashing, timeouts, unauthorized requests, version skew): docs/rules.md, docs/runbooks.md.',
].join('\n');

/** Every artifact of a config. */
export function generateArtifacts(config: Config, formats: Partial<Formats> = {}): Artifact[] {
  const format = formats.rules ?? 'prometheus';
  const out: Artifact[] = [];
  for (const model of config.models) {
    const base = modelFileBase(model);
    const rules = modelRuleFile(model, config.alerting);
    if (format === 'prometheus-operator') {
      out.push({ path: `rules/${base}.prometheusrule.yaml`, kind: 'prometheus-rule', encoding: 'yaml', content: prometheusRule(model, rules), comment: BURN_COMMENT });
      continue;
    }
    out.push({ path: `rules/${base}.rules.yaml`, kind: 'rules', encoding: 'yaml', content: { ...rules }, comment: BURN_COMMENT });
    const tests = promtoolTestFile(model, config.alerting, `${base}.rules.yaml`);
    const note =
      `promtool tests of ${base}.rules.yaml: run with \`promtool test rules ${base}.rules.test.yaml\`` +
      (tests.untested.length > 0 ? `\nNo series could be synthesized for the selectors of: ${tests.untested.join(', ')} (untested here)` : '');
    out.push({ path: `rules/${base}.rules.test.yaml`, kind: 'rules-test', encoding: 'yaml', content: tests.file, comment: note });
  }
  out.push({
    path: 'alertmanager/alertmanager.yaml',
    kind: 'alertmanager',
    encoding: 'yaml',
    content: alertmanagerConfig(config),
    comment: 'Alertmanager routing: page → on-call; ticket and ModelDrift → model owners; audience=oncall|owners overrides severity; page inhibits ticket of the same SLO.',
  });
  for (const { name, dashboard } of dashboards(config)) {
    if (formats.dashboards === 'grafana-operator') {
      out.push({ path: `dashboards/${name}.grafanadashboard.yaml`, kind: 'grafana-dashboard', encoding: 'yaml', content: grafanaDashboard(name, dashboard) });
    } else {
      out.push({ path: `dashboards/${name}.json`, kind: 'dashboard', encoding: 'json', content: dashboard as unknown as Record<string, unknown> });
    }
  }
  if (formats.dashboards !== 'grafana-operator') {
    out.push({
      path: 'dashboards/provisioning/modelslo.yaml',
      kind: 'dashboard-provisioning',
      encoding: 'yaml',
      content: provisioning(),
      comment: 'Grafana provisioning: copy to /etc/grafana/provisioning/dashboards/ and the JSON files to the path below.',
    });
  }
  return out;
}
