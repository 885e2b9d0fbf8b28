/**
 * A `promtool test rules` file beside each rule file: per SLO, synthetic series go through a
 * healthy period, a fast burn (page fires), recovery, a slow burn (ticket fires, page does not)
 * and recovery; a last test removes all data and expects the absent-data alert.
 */
import type { Alerting, Model, Slo } from '../model/types.js';
import { durationSeconds } from '../slo/burn-windows.js';
import { burnPhases, scenarioCounters, seriesCounts, simulateBurnAlerts, STEP_MINUTES, type FiringAlert, type Phase } from './burn-scenario.js';
import { absentRule, hasAlerts } from './model-rules.js';
import { sliSeries } from './sli-queries.js';
import { burnAlertRules, sloLabels } from './slo-rules.js';
import { failureScenarios } from './failure-scenarios.js';
import { expandingNotation, seriesText, valuesText } from './promtool-series.js';
import { syntheticSeries } from './synthetic-series.js';
import { errorBudget } from '../slo/budget.js';
import { RULE_NAMES, type AlertingRule } from './types.js';

/** The test file object, and the SLOs no series could be synthesized for. */
export interface PromtoolTestFile {
  file: Record<string, unknown>;
  untested: string[];
}

/** A firing alert of one SLO of the model. */
interface Firing {
  slo: Slo;
  row: FiringAlert;
}

const sameSet = (a: readonly Firing[], b: readonly Firing[]): boolean =>
  a.length === b.length && a.every((x) => b.some((y) => y.slo === x.slo && y.row === x.row));

/** A check step near `step` where the firing set is the same a step before and after. */
function stableStep(firingAt: (step: number) => Firing[], step: number): number {
  for (let s = step; s > step - 12 && s > 1; s--) {
    const here = firingAt(s);
    if (sameSet(here, firingAt(s - 1)) && sameSet(here, firingAt(s + 1))) return s;
  }
  return step;
}

function expectedAlert(rule: AlertingRule, extra: Record<string, string>): Record<string, unknown> {
  return { exp_labels: { ...extra, ...rule.labels }, exp_annotations: rule.annotations };
}

/**
 * The test of one SLO's scenario. Other SLOs of the model may read the same series (custom SLIs
 * on one metric): their alerts are simulated over the same inputs and expected too.
 */
function sloTest(model: Model, slo: Slo): Record<string, unknown> | undefined {
  // A PromQL template has no counter selectors to synthesize series for.
  if (slo.sli.kind === 'promql' || model.slos.some((s) => s.sli.kind === 'promql')) return undefined;
  const series = sliSeries(model, slo);
  const synthetic = syntheticSeries(series);
  if (synthetic === undefined) return undefined;
  const shape = { goodCounts: series.goodCounts, complementCountsAll: synthetic.complementCountsAll };
  const phases = burnPhases(errorBudget(slo.objective));
  const counts = seriesCounts(shape, scenarioCounters(phases));
  const inputs = [
    { id: synthetic.numerator, values: counts.numerator },
    { id: synthetic.other, values: counts.other },
  ];
  const scenario = JSON.stringify([errorBudget(slo.objective), shape]);
  const perSlo = model.slos.map((s) => ({ slo: s, firing: simulateBurnAlerts(s, sliSeries(model, s), inputs, scenario) }));
  const firingAt = (step: number): Firing[] => perSlo.flatMap((p) => (p.firing[step] ?? []).map((row) => ({ slo: p.slo, row })));
  const ends: number[] = [];
  phases.reduce((acc, p) => {
    ends.push(acc + p.minutes);
    return acc + p.minutes;
  }, 0);
  // Checks: late in the healthy phase, 40 minutes into the fast burn, end of the recovery,
  // end of the slow burn, end of the last recovery.
  const at = (p: number, offset: number): number => (ends[p] ?? 0) + offset;
  const checks: Array<[Phase | undefined, number]> = [
    [phases[0], at(0, -5)],
    [phases[1], at(0, 40)],
    [phases[2], at(2, -5)],
    [phases[3], at(3, -5)],
    [phases[4], at(4, -5)],
  ];
  const rulesOf = new Map(model.slos.map((s) => [s, burnAlertRules(model, s)]));
  const alertTests = checks.map(([, minute]) => {
    const step = stableStep(firingAt, Math.round(minute / STEP_MINUTES));
    const name = slo.alerts.name ?? RULE_NAMES.burnAlert;
    const exp = firingAt(step).filter((f) => (f.slo.alerts.name ?? RULE_NAMES.burnAlert) === name).map(({ slo: s, row }) => {
      const rule = (rulesOf.get(s) ?? []).find((r) => r.labels.short_window === row.short);
      if (rule === undefined) throw new Error(`no rule for ${row.long}/${row.short}`);
      return expectedAlert(rule, { ...sloLabels(model, s), window: row.long });
    });
    return { eval_time: `${step * STEP_MINUTES}m`, alertname: name, exp_alerts: exp };
  });
  return {
    name: `${slo.name}: ${phases.map((p) => `${p.name} ${p.minutes}m at ${p.errorRatio}`).join(', ')}`,
    interval: `${STEP_MINUTES}m`,
    input_series: [
      { series: seriesText(synthetic.numerator), values: expandingNotation(counts.numerator) },
      { series: seriesText(synthetic.other), values: expandingNotation(counts.other) },
    ],
    alert_rule_test: alertTests,
  };
}

function absentTest(model: Model, alerting: Alerting): Record<string, unknown> {
  const rule = absentRule(model, alerting);
  const forMinutes = Math.ceil(durationSeconds(alerting.absentFor) / 60);
  const firingAt = (Math.ceil(forMinutes / STEP_MINUTES) + 1) * STEP_MINUTES;
  return {
    name: 'no SLI data: the absent-data alert fires after its for time',
    interval: `${STEP_MINUTES}m`,
    input_series: [{ series: 'modelslo_unrelated_series', values: `0+1x${firingAt / STEP_MINUTES + 2}` }],
    alert_rule_test: [
      { eval_time: `${STEP_MINUTES}m`, alertname: RULE_NAMES.absentAlert, exp_alerts: [] },
      {
        eval_time: `${firingAt}m`,
        alertname: RULE_NAMES.absentAlert,
        exp_alerts: [expectedAlert(rule, { namespace: model.namespace, model: model.name })],
      },
    ],
  };
}

/** An alert's annotations as Prometheus expands them: `{{ $labels.name }}` becomes the label's value. */
export function expandAnnotations(annotations: Record<string, string>, labels: Record<string, string>): Record<string, string> {
  const expand = (text: string): string => text.replace(/\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}/g, (_, name: string) => labels[name] ?? '');
  return Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, expand(v)]));
}

/** The promtool tests of the model's failure-mode alerts, one per scenario (failure-scenarios.ts). */
function failureTests(model: Model): Record<string, unknown>[] {
  return failureScenarios(model).map((sc) => ({
    name: sc.name,
    interval: '1m',
    input_series: sc.series.map((x) => ({ series: seriesText(x.id), values: valuesText(x.values) })),
    alert_rule_test: sc.checks.map((c) => ({
      eval_time: `${c.minute}m`,
      alertname: sc.alertname,
      exp_alerts: c.firing.map(({ rule, labels }) => {
        const all = { ...labels, ...rule.labels };
        return { exp_labels: all, exp_annotations: expandAnnotations(rule.annotations, { ...all, alertname: rule.alert }) };
      }),
    })),
  }));
}

/** The promtool test file of a model's rule file `ruleFileName`. */
export function promtoolTestFile(model: Model, alerting: Alerting, ruleFileName: string): PromtoolTestFile {
  const untested: string[] = [];
  const tests: Record<string, unknown>[] = [];
  for (const slo of model.slos) {
    const t = sloTest(model, slo);
    if (t === undefined) untested.push(slo.name);
    else tests.push(t);
  }
  if (hasAlerts(model)) tests.push(absentTest(model, alerting));
  tests.push(...failureTests(model));
  return { file: { rule_files: [ruleFileName], evaluation_interval: `${STEP_MINUTES}m`, tests }, untested };
}
