/** Executive dashboard: availability, error budget remaining, top models by burn, volume, drift. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Text, TextMode } from '@grafana/grafana-foundation-sdk/text';
import { ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as BarGauge } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as Gauge } from '@grafana/grafana-foundation-sdk/gauge';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import type { Config } from '../../model/types.js';
import { RULE_NAMES } from '../types.js';
import { baseDashboard, budgetThresholds, Grid, MODEL_FILTER, query, SLO_WINDOW_RATIO } from './common.js';
import { costPerInference, currencyUnit } from './pod-queries.js';

const lastValue = (): ReduceDataOptionsBuilder => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

/** The executive dashboard. */
export function executiveDashboard(config: Pick<Config, 'models' | 'dashboards'>): Dashboard {
  const g = new Grid();
  const cost = costPerInference(config.models);
  return baseDashboard('modelslo-executive', 'modelslo / Executive', 'SLO attainment and error budgets of every model')
    .withPanel(
      new Stat()
        .id(1)
        .title('SLI attainment over the SLO window')
        .description('Share of good events per SLO over its whole window (28d or 30d): 1 − error ratio.')
        .unit('percentunit')
        .decimals(3)
        .reduceOptions(lastValue())
        .withTarget(query(`1 - ${SLO_WINDOW_RATIO}`, '{{namespace}}/{{model}} {{slo}}', 'A'))
        .gridPos(g.next(24, 5)),
    )
    .withPanel(
      new Gauge()
        .id(2)
        .title('Error budget remaining')
        .description('1 = untouched, 0 = spent, below 0 = overspent (modelslo:slo_error_budget_remaining:ratio).')
        .unit('percentunit')
        .min(-1)
        .max(1)
        .thresholds(budgetThresholds())
        .reduceOptions(lastValue())
        .withTarget(query(`${RULE_NAMES.budgetRemaining}{${MODEL_FILTER}}`, '{{namespace}}/{{model}} {{slo}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new Table()
        .id(3)
        .title('Error budget by SLO')
        .description('Objective and error budget remaining of every SLO, now.')
        .unit('percentunit')
        .thresholds(budgetThresholds())
        .withTarget(query(`${RULE_NAMES.budgetRemaining}{${MODEL_FILTER}}`, 'remaining', 'A', { instant: true, format: 'table' }))
        .withTarget(query(`${RULE_NAMES.objective}{${MODEL_FILTER}}`, 'objective', 'B', { instant: true, format: 'table' }))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new BarGauge()
        .id(4)
        .title('Top models by burn rate (1h)')
        .description('Error ratio over the last hour divided by the error budget: 1 spends the budget exactly over the SLO window; 13.44 (28d) / 14.4 (30d) pages.')
        .unit('x')
        .reduceOptions(lastValue())
        .withTarget(
          query(
            `topk(10, max by (namespace, model) (${RULE_NAMES.sliError('1h')}{${MODEL_FILTER}} / ignoring(window) ${RULE_NAMES.errorBudget}{${MODEL_FILTER}}))`,
            '{{namespace}}/{{model}}',
            'A',
            { instant: true },
          ),
        )
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new Stat()
        .id(5)
        .title('Drift status')
        .description('1 when any monitored feature or the prediction of the model drifts (modelslo_drift_detected, from the daemon).')
        .unit('bool_yes_no')
        .reduceOptions(lastValue())
        .withTarget(query(`max by (namespace, model) (modelslo_drift_detected{${MODEL_FILTER}})`, '{{namespace}}/{{model}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(6)
        .title('Request volume')
        .description('Inference requests per second through the sidecars, per model.')
        .unit('reqps')
        .withTarget(query(`sum by (namespace, model) (rate(modelslo_requests_total{${MODEL_FILTER}}[$__rate_interval]))`, '{{namespace}}/{{model}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      cost === undefined
        ? new Text()
            .id(7)
            .title('Cost per inference')
            .description('Serving cost per request, from a configured price.')
            .mode(TextMode.Markdown)
            .content('No price configured: set `defaults.cost` or `models[].cost` (`replica_hour` or `gpu_hour`, and `currency`) in modelslo.yaml and regenerate.')
            .gridPos(g.next(12, 8))
        : new TimeSeries()
            .id(7)
            .title('Cost per inference')
            .description(
              `Configured price per replica-hour × ready predictor replicas (or per GPU-hour × GPUs of ready replicas), from kube-state-metrics, ÷ requests served, in ${config.dashboards.currency}.`,
            )
            .unit(currencyUnit(config.dashboards.currency))
            .decimals(6)
            .withTarget(query(cost, '{{namespace}}/{{model}}', 'A'))
            .gridPos(g.next(12, 8)),
    )
    .build();
}
