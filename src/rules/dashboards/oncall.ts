/** On-call dashboard: what burns now, failing models, latency, errors, burn rates, capture health. */
import { AnnotationQueryBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { BURN_WINDOWS, burnFactor } from '../../slo/burn-windows.js';
import { RULE_NAMES } from '../types.js';
import { baseDashboard, DATASOURCE, Grid, MODEL_FILTER, query } from './common.js';
import { podRestarts, predictorPods, readyReplicas, revisionFirstSeen } from './pod-queries.js';

const F = MODEL_FILTER;
const burn = (window: string): string => `${RULE_NAMES.sliError(window)}{${F}} / ignoring(window) ${RULE_NAMES.errorBudget}{${F}}`;

/** The burn-rate threshold of a table row, per SLO: its factor for the SLO's window. */
function thresholdExpr(row: (typeof BURN_WINDOWS)[number]): string {
  return (['28d', '30d'] as const)
    .map((w) => `count by (namespace, model, slo) (${RULE_NAMES.sliError(w)}{${F}}) * ${burnFactor(row, w)}`)
    .join(' or ');
}

/** Dashboard annotations: new revisions (deploys) and canary decisions. */
function annotations(): AnnotationQueryBuilder[] {
  return [
    new AnnotationQueryBuilder()
      .name('Deploys')
      .datasource(DATASOURCE)
      .enable(true)
      .iconColor('blue')
      .expr(`count by (namespace, model, revision) (modelslo_requests_total{${F}}) unless count by (namespace, model, revision) (modelslo_requests_total{${F}} offset 10m)`)
      .titleFormat('deploy {{namespace}}/{{model}} {{revision}}')
      .step('1m'),
    new AnnotationQueryBuilder()
      .name('Canary decisions')
      .datasource(DATASOURCE)
      .enable(true)
      .iconColor('orange')
      .expr(`sum by (namespace, model, decision) (increase(modelslo_canary_decisions_total{${F}}[5m])) > 0`)
      .titleFormat('canary {{decision}} {{namespace}}/{{model}}')
      .step('1m'),
  ];
}

/** The on-call dashboard. */
export function oncallDashboard(): Dashboard {
  const g = new Grid();
  const d = baseDashboard('modelslo-oncall', 'modelslo / On-call', 'What is burning now and why')
    .annotations(annotations())
    .withPanel(
      new Table()
        .id(1)
        .title('Burning now')
        .description('Active burn alerts (pending or firing) with their severity and windows.')
        .unit('none')
        .withTarget(query(`ALERTS{alertname="${RULE_NAMES.burnAlert}",${F}}`, '{{severity}} {{model}} {{slo}}', 'A', { instant: true, format: 'table' }))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(2)
        .title('Top 5 failing models')
        .description('Share of requests answered with 5xx, for the five worst models.')
        .unit('percentunit')
        .withTarget(
          query(
            `topk(5, sum by (namespace, model) (rate(modelslo_requests_total{${F},code=~"5.."}[$__rate_interval])) / sum by (namespace, model) (rate(modelslo_requests_total{${F}}[$__rate_interval])))`,
            '{{namespace}}/{{model}}',
            'A',
          ),
        )
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(3)
        .title('Latency p50 / p95 / p99')
        .description('Request latency quantiles per model from the sidecar histogram.')
        .unit('s')
        .withTarget(query(`histogram_quantile(0.5, sum by (namespace, model, le) (rate(modelslo_request_duration_seconds_bucket{${F}}[$__rate_interval])))`, 'p50 {{model}}', 'A'))
        .withTarget(query(`histogram_quantile(0.95, sum by (namespace, model, le) (rate(modelslo_request_duration_seconds_bucket{${F}}[$__rate_interval])))`, 'p95 {{model}}', 'B'))
        .withTarget(query(`histogram_quantile(0.99, sum by (namespace, model, le) (rate(modelslo_request_duration_seconds_bucket{${F}}[$__rate_interval])))`, 'p99 {{model}}', 'C'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(4)
        .title('Errors by status code')
        .description('Non-2xx responses per second, by model and status code.')
        .unit('reqps')
        .withTarget(query(`sum by (namespace, model, code) (rate(modelslo_requests_total{${F},code!~"2.."}[$__rate_interval]))`, '{{model}} {{code}}', 'A'))
        .gridPos(g.next(12, 8)),
    );
  BURN_WINDOWS.forEach((row, i) => {
    d.withPanel(
      new TimeSeries()
        .id(5 + i)
        .title(`Burn rate ${row.long} / ${row.short} (${row.severity})`)
        .description(
          `Error ratio over ${row.long} and ${row.short} divided by the error budget; the ${row.severity} alert fires when both exceed the threshold (${row.budgetConsumed * 100}% of the budget in ${row.long}).`,
        )
        .unit('x')
        .withTarget(query(burn(row.long), '{{model}} {{slo}} ' + row.long, 'A'))
        .withTarget(query(burn(row.short), '{{model}} {{slo}} ' + row.short, 'B'))
        .withTarget(query(thresholdExpr(row), 'threshold {{model}} {{slo}}', 'C'))
        .gridPos(g.next(12, 8)),
    );
  });
  return d
    .withPanel(
      new TimeSeries()
        .id(9)
        .title('Capture health of the sidecars')
        .description('Captured payloads spooled (daemon slow or down) or dropped (spool full), per second, and the capture queue depth.')
        .unit('short')
        .withTarget(query('sum by (outcome) (rate(modelslo_capture_events_total{outcome=~"spooled|dropped"}[$__rate_interval]))', '{{outcome}}/s', 'A'))
        .withTarget(query('sum(modelslo_capture_queue_depth)', 'queue depth', 'B'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new Table()
        .id(10)
        .title('Canary decisions and rollbacks')
        .description('Canary analysis decisions (promote, hold, rollback) over the dashboard time range.')
        .unit('short')
        .withTarget(query(`sum by (namespace, model, decision) (increase(modelslo_canary_decisions_total{${F}}[$__range]))`, '{{decision}}', 'A', { instant: true, format: 'table' }))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(11)
        .title('Pod restarts')
        .description('Container restarts of each predictor pod per interval (kube-state-metrics kube_pod_container_status_restarts_total, tied to the model by its KServe pod labels).')
        .unit('short')
        .withTarget(query(podRestarts, '{{model}} {{pod}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(12)
        .title('Current replicas')
        .description('Ready predictor pods and all predictor pods of each model (kube-state-metrics kube_pod_status_ready).')
        .unit('short')
        .withTarget(query(readyReplicas, 'ready {{model}}', 'A'))
        .withTarget(query(predictorPods, 'pods {{model}}', 'B'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new Table()
        .id(13)
        .title('Recent deploys')
        .description('Revisions that served in the time range and when each first did (sidecar request counters, or Knative queue-proxy for sli_source: kserve); deploys and canary decisions are also dashboard annotations.')
        .unit('dateTimeAsIso')
        .withTarget(query(revisionFirstSeen, '{{model}} {{revision}}', 'A', { instant: true, format: 'table' }))
        .gridPos(g.next(24, 8)),
    )
    .build();
}
