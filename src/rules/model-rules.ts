/** One model → its rule file: a group per SLO, the absent-data alert, then the failure-mode alerts of the model. */
import type { Alerting, Model } from '../model/types.js';
import { failureRuleGroup } from './failure-rules.js';
import { sloRuleGroup } from './slo-rules.js';
import { RULE_NAMES, type AlertingRule, type RuleFile } from './types.js';

/**
 * Fires when none of the model's SLIs has data: the sidecar (or Knative, or the custom metrics) is
 * not scraped, so the SLO cannot be judged. No traffic is not absence: the ratio is then NaN.
 */
export function absentRule(model: Model, alerting: Alerting): AlertingRule {
  const sel = `{namespace=${JSON.stringify(model.namespace)},model=${JSON.stringify(model.name)}}`;
  return {
    alert: RULE_NAMES.absentAlert,
    expr: `absent(${RULE_NAMES.sliError('5m')}${sel})`,
    for: alerting.absentFor,
    labels: { severity: alerting.absentSeverity, namespace: model.namespace, model: model.name },
    annotations: {
      summary: `${model.namespace}/${model.name}: no SLI data`,
      description: `No ${model.sliSource} SLI series for ${model.namespace}/${model.name} for ${alerting.absentFor}: its SLOs cannot be evaluated. Check that Prometheus scrapes the ${model.sliSource === 'sidecar' ? 'modelslo sidecar' : model.sliSource === 'kserve' ? 'Knative queue-proxy' : 'custom SLI metrics'}.`,
      runbook_url: model.runbookUrl.replaceAll('{slo}', 'absent-data'),
      dashboard: model.dashboardUrl.replaceAll('{slo}', ''),
    },
  };
}

/** Whether the model alerts at all: a spec that disables every burn alert has no absent-data alert either. */
export function hasAlerts(model: Model): boolean {
  return model.slos.some((s) => s.alerts.page || s.alerts.ticket);
}

/** The rule file of a model. */
export function modelRuleFile(model: Model, alerting: Alerting): RuleFile {
  const failures = failureRuleGroup(model);
  const groups = model.slos.map((slo) => sloRuleGroup(model, slo));
  if (hasAlerts(model)) groups.push({ name: `modelslo-${model.namespace}-${model.name}-absent`, rules: [absentRule(model, alerting)] });
  if (failures !== undefined) groups.push(failures);
  return { groups };
}
