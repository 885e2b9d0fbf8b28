/** Debug dashboard: latency heatmap, revisions, drift per feature, payloads, event-loop lag, traces. */
import { DashboardLinkBuilder, DashboardLinkType, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Heatmap } from '@grafana/grafana-foundation-sdk/heatmap';
import { PanelBuilder as Text, TextMode } from '@grafana/grafana-foundation-sdk/text';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { baseDashboard, Grid, labelVariable, MODEL_FILTER, query } from './common.js';

const F = `${MODEL_FILTER},revision=~"$revision"`;

/** The debug dashboard. */
export function debugDashboard(): Dashboard {
  const g = new Grid();
  return baseDashboard('modelslo-debug', 'modelslo / Debug', 'One model in depth: latency, revisions, drift, payloads, traces')
    .withVariable(labelVariable('revision', 'Revision', `label_values(modelslo_requests_total{${MODEL_FILTER}}, revision)`))
    .link(new DashboardLinkBuilder('Traces').type(DashboardLinkType.Link).url('/explore?left={"queries":[{"query":"{resource.service.name=\\"modelslo-sidecar\\"}"}]}').targetBlank(true))
    .withPanel(
      new Heatmap()
        .id(1)
        .title('Latency heatmap')
        .description('Requests per latency bucket over time, for the selected models and revisions.')
        .unit('s')
        .withTarget(query(`sum by (le) (rate(modelslo_request_duration_seconds_bucket{${F}}[$__rate_interval]))`, '{{le}}', 'A', { format: 'heatmap' }))
        .gridPos(g.next(24, 9)),
    )
    .withPanel(
      new TimeSeries()
        .id(2)
        .title('Requests by revision')
        .description('Requests per second per revision: canary and primary side by side.')
        .unit('reqps')
        .withTarget(query(`sum by (model, revision) (rate(modelslo_requests_total{${F}}[$__rate_interval]))`, '{{model}} {{revision}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(3)
        .title('Errors by revision')
        .description('Share of 5xx responses per revision.')
        .unit('percentunit')
        .withTarget(
          query(
            `sum by (model, revision) (rate(modelslo_requests_total{${F},code=~"5.."}[$__rate_interval])) / sum by (model, revision) (rate(modelslo_requests_total{${F}}[$__rate_interval]))`,
            '{{model}} {{revision}}',
            'A',
          ),
        )
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(4)
        .title('Drift score per feature')
        .description('Drift statistic per feature and test, from the daemon (modelslo_drift_score).')
        .unit('short')
        .withTarget(query(`modelslo_drift_score{${MODEL_FILTER}}`, '{{model}} {{feature}} ({{test}})', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(5)
        .title('Payload capture and truncation')
        .description('Captured payload events per second by outcome (shipped, spooled, dropped, redacted), captured bytes per second, and bodies cut at the capture limit.')
        .unit('short')
        .withTarget(query('sum by (outcome) (rate(modelslo_capture_events_total[$__rate_interval]))', 'events {{outcome}}', 'A'))
        .withTarget(query('sum by (direction) (rate(modelslo_capture_payload_bytes_total[$__rate_interval]))', 'bytes {{direction}}', 'B'))
        .withTarget(query('sum by (direction) (rate(modelslo_capture_truncated_total[$__rate_interval]))', 'truncated {{direction}}', 'C'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(6)
        .title('Event-loop lag (p99)')
        .description('Node.js event-loop lag of sidecars and daemon: a busy loop delays every request and ingest.')
        .unit('s')
        // The daemon exports Node's default metrics as is, the sidecar with a modelslo_sidecar_ prefix.
        .withTarget(query('max by (job, instance) ({__name__=~"nodejs_eventloop_lag_p99_seconds|modelslo_sidecar_nodejs_eventloop_lag_p99_seconds"})', '{{job}} {{instance}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new Text()
        .id(7)
        .title('Traces')
        .description('Spans of each request are exported by the sidecar over OTLP; open them in your tracing backend.')
        .mode(TextMode.Markdown)
        .content('Traces of **$model** in **$namespace**: use the *Traces* link at the top, or search for `modelslo.model = $model`.')
        .gridPos(g.next(12, 8)),
    )
    .build();
}
