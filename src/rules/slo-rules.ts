/**
 * One SLO → one rule group, generated in ordered stages (SLI ratios → metadata → burn alerts).
 * All stages share one group so that every rule sees the same evaluation time: the metadata and
 * alerts read the SLI ratios recorded a moment before in the same evaluation, never a stale one.
 */
import type { Model, Slo } from '../model/types.js';
import { alertThreshold, errorBudget, objectiveRatio } from '../slo/budget.js';
import { BURN_WINDOWS, burnFactor, recordedWindows } from '../slo/burn-windows.js';
import { AUDIENCE_LABEL } from './alertmanager.js';
import { errorRatioExpr, sliSeries } from './sli-queries.js';
import { RULE_NAMES, type AlertingRule, type RecordingRule, type RuleGroup } from './types.js';

/** Labels that identify an SLO's series. */
export function sloLabels(model: Model, slo: Slo): Record<string, string> {
  return { namespace: model.namespace, model: model.name, slo: slo.name };
}

/** PromQL label matchers of an SLO's series: `{namespace="…",model="…",slo="…"}`. */
export function sloSelector(model: Model, slo: Slo): string {
  const l = sloLabels(model, slo);
  return `{namespace=${JSON.stringify(l.namespace)},model=${JSON.stringify(l.model)},slo=${JSON.stringify(l.slo)}}`;
}

/** Stage 1: the error ratio of the SLI over every alerting window and the SLO window. */
export function sliRules(model: Model, slo: Slo): RecordingRule[] {
  const series = sliSeries(model, slo);
  return recordedWindows(slo.window).map((window) => ({
    record: RULE_NAMES.sliError(window),
    expr: errorRatioExpr(series, window),
    labels: { ...sloLabels(model, slo), window },
  }));
}

/** Stage 2: objective, error budget, burn rates and budget remaining. */
export function metadataRules(model: Model, slo: Slo): RecordingRule[] {
  const labels = sloLabels(model, slo);
  const sel = sloSelector(model, slo);
  const budget = `${RULE_NAMES.errorBudget}${sel}`;
  return [
    { record: RULE_NAMES.objective, expr: `vector(${objectiveRatio(slo.objective)})`, labels },
    { record: RULE_NAMES.errorBudget, expr: `vector(${errorBudget(slo.objective)})`, labels },
    { record: RULE_NAMES.currentBurnRate, expr: `${RULE_NAMES.sliError('5m')}${sel} / ignoring(window) ${budget}`, labels },
    { record: RULE_NAMES.periodBurnRate, expr: `${RULE_NAMES.sliError(slo.window)}${sel} / ignoring(window) ${budget}`, labels },
    { record: RULE_NAMES.budgetRemaining, expr: `1 - ${RULE_NAMES.periodBurnRate}${sel}`, labels },
  ];
}

function describeSli(model: Model, slo: Slo): string {
  switch (slo.sli.kind) {
    case 'availability':
      return 'requests failing with 5xx';
    case 'latency':
      return `requests slower than ${slo.sli.thresholdMs} ms`;
    case 'ratio':
      return `events failing the ${slo.name} SLI`;
    case 'correctness':
      return 'labelled predictions that were incorrect';
  }
}

/** Correctness is the model's owners' concern: its alerts go to them and never page the on-call. */
function audience(slo: Slo): Record<string, string> {
  return slo.sli.kind === 'correctness' ? { [AUDIENCE_LABEL]: 'owners' } : {};
}

/** Stage 3: the four multi-window multi-burn-rate alerts (see slo/burn-windows.ts), as enabled. */
export function burnAlertRules(model: Model, slo: Slo): AlertingRule[] {
  const sel = sloSelector(model, slo);
  const budget = errorBudget(slo.objective);
  return BURN_WINDOWS.filter((row) => slo.alerts[row.severity]).map((row) => {
    const factor = burnFactor(row, slo.window);
    const threshold = `(${factor} * ${budget})`;
    const percent = Number((alertThreshold(factor, budget) * 100).toPrecision(6));
    return {
      alert: RULE_NAMES.burnAlert,
      expr:
        `${RULE_NAMES.sliError(row.long)}${sel} > ${threshold}\n` +
        `and ignoring(window)\n` +
        `${RULE_NAMES.sliError(row.short)}${sel} > ${threshold}`,
      for: row.for,
      labels: { severity: row.severity, ...sloLabels(model, slo), short_window: row.short, ...audience(slo) },
      annotations: {
        summary: `${model.namespace}/${model.name}: ${slo.name} SLO burning its error budget ${factor}x too fast`,
        description:
          `More than ${percent}% of ${describeSli(model, slo)} over the last ${row.long} and ${row.short} ` +
          `(${factor}x the ${slo.objective}% objective allows): at this rate ${row.budgetConsumed * 100}% of the ` +
          `${slo.window} error budget is gone in ${row.long}.`,
        runbook_url: model.runbookUrl.replaceAll('{slo}', slo.name),
        dashboard: model.dashboardUrl.replaceAll('{slo}', slo.name),
      },
    };
  });
}

/** The whole group of one SLO: at most 8 SLI + 5 metadata + 4 alert rules = 17. */
export function sloRuleGroup(model: Model, slo: Slo): RuleGroup {
  return {
    name: `modelslo-${model.namespace}-${model.name}-${slo.name}`,
    rules: [...sliRules(model, slo), ...metadataRules(model, slo), ...burnAlertRules(model, slo)],
  };
}
