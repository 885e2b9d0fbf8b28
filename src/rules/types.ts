/** Prometheus rule objects, as the rule file format defines them (data, not text). */

/** A recording rule. */
export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

/** An alerting rule. */
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A rule of either kind. */
export type Rule = RecordingRule | AlertingRule;

/** A group: its rules run in order at one evaluation time. */
export interface RuleGroup {
  name: string;
  rules: Rule[];
}

/** The content of one rule file. */
export interface RuleFile {
  groups: RuleGroup[];
}

/** Names of the recording rules and alerts modelslo generates (stable: dashboards and the daemon read them). */
export const RULE_NAMES = {
  /** Error ratio of an SLI over a window; the window is in the name and in the `window` label. */
  sliError: (window: string) => `modelslo:sli_error:ratio_rate${window}`,
  objective: 'modelslo:slo_objective:ratio',
  errorBudget: 'modelslo:slo_error_budget:ratio',
  currentBurnRate: 'modelslo:slo_current_burn_rate:ratio',
  periodBurnRate: 'modelslo:slo_period_burn_rate:ratio',
  budgetRemaining: 'modelslo:slo_error_budget_remaining:ratio',
  burnAlert: 'ModelSLOErrorBudgetBurn',
  absentAlert: 'ModelSLIDataAbsent',
} as const;

/** Names of the failure-mode alerts (stable: routing, the journal and docs/runbooks.md use them). */
export const FAILURE_ALERTS = {
  modelLoadFailure: 'ModelLoadFailure',
  oomKills: 'ModelOOMKilled',
  coldStartLatency: 'ModelColdStartSlow',
  scaleThrashing: 'ModelScaleThrashing',
  networkTimeouts: 'ModelNetworkTimeouts',
  unauthorizedRequests: 'ModelUnauthorizedRequests',
  versionSkew: 'ModelVersionSkew',
} as const;
