/**
 * Debug dashboard: latency heatmap, revisions, drift per feature, payloads, event-loop lag, traces,
 * model load times, GPU, CPU and memory, queue length, and the daemon's recent predictions.
 */
import { DashboardLinkBuilder, DashboardLinkType, TextBoxVariableBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Heatmap } from '@grafana/grafana-foundation-sdk/heatmap';
import { PanelBuilder as Text, TextMode } from '@grafana/grafana-foundation-sdk/text';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import type { Config } from '../../model/types.js';
import { baseDashboard, Grid, labelVariable, MODEL_FILTER, query } from './common.js';
import { gpuMemory, gpuUtil, knativeQueue, podCpu, podMemory, podMemoryLimit } from './pod-queries.js';

const F = `${MODEL_FILTER},revision=~"$revision"`;

/**
 * The daemon's stored predictions of the selected model over the dashboard's time range: Grafana
 * writes the range as epoch ms (`${__from}`, `${__to}`), which the predictions API takes (docs/daemon.md).
 */
export const PREDICTIONS_URL = '${daemon_url}/api/v1/models/${namespace}/${model}/predictions?from=${__from}&to=${__to}&limit=100';

/** Load time quantile of the loads that ended in the last hour (the sidecar's readiness histogram). */
const loadQuantile = (q: number): string => `histogram_quantile(${String(q)}, sum by (namespace, model, le) (increase(modelslo_predictor_load_seconds_bucket{${F}}[1h])))`;

/** The debug dashboard. */
export function debugDashboard(settings: Config['dashboards']): Dashboard {
  const g = new Grid();
  return baseDashboard('modelslo-debug', 'modelslo / Debug', 'One model in depth: latency, revisions, drift, payloads, traces, load times, resources, queue, predictions')
    .withVariable(labelVariable('revision', 'Revision', `label_values(modelslo_requests_total{${MODEL_FILTER}}, revision)`))
    .withVariable(
      new TextBoxVariableBuilder('daemon_url')
        .label('Daemon URL')
        .description("The modelslo daemon's API as your browser reaches it (dashboards.daemon_url in modelslo.yaml).")
        .defaultValue(settings.daemonUrl),
    )
    .link(new DashboardLinkBuilder('Traces').type(DashboardLinkType.Link).url('/explore?left={"queries":[{"query":"{resource.service.name=\\"modelslo-sidecar\\"}"}]}').targetBlank(true))
    .link(new DashboardLinkBuilder('Recent predictions').type(DashboardLinkType.Link).url(PREDICTIONS_URL).tooltip('Stored predictions of the selected model in the time range, from the daemon').targetBlank(true))
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
    .withPanel(
      new TimeSeries()
        .id(8)
        .title('Model load time')
        .description('Time until the predictor answered ready, from sidecar start or from a loss of readiness, for loads that ended in the last hour (the sidecar\'s modelslo_predictor_load_seconds).')
        .unit('s')
        .withTarget(query(loadQuantile(0.5), 'p50 {{model}}', 'A'))
        .withTarget(query(loadQuantile(0.99), 'p99 {{model}}', 'B'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(9)
        .title('Predictors ready')
        .description('Predictors answering ready, as each sidecar probes them (modelslo_predictor_ready), per revision.')
        .unit('short')
        .withTarget(query(`sum by (namespace, model, revision) (modelslo_predictor_ready{${F}})`, '{{model}} {{revision}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(10)
        .title('Queue length')
        .description('Requests in flight in each sidecar (modelslo_requests_in_flight) and, with Knative, queued or in flight in the queue-proxy (revision_queue_depth), per revision.')
        .unit('short')
        .withTarget(query(`sum by (namespace, model, revision) (modelslo_requests_in_flight{${F}})`, 'sidecar {{model}} {{revision}}', 'A'))
        .withTarget(query(knativeQueue, 'queue-proxy {{model}} {{revision}}', 'B'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(11)
        .title('GPU utilization')
        .description('Share of time each GPU of a predictor pod was busy (DCGM exporter DCGM_FI_DEV_GPU_UTIL).')
        .unit('percent')
        .min(0)
        .max(100)
        .withTarget(query(gpuUtil, '{{pod}} gpu {{gpu}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(12)
        .title('GPU memory used')
        .description('Framebuffer memory used on each GPU of a predictor pod (DCGM exporter DCGM_FI_DEV_FB_USED).')
        .unit('bytes')
        .withTarget(query(gpuMemory, '{{pod}} gpu {{gpu}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(13)
        .title('CPU usage')
        .description('CPU cores used by the containers of each predictor pod (cAdvisor container_cpu_usage_seconds_total).')
        .unit('short')
        .withTarget(query(podCpu, '{{model}} {{pod}}', 'A'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .id(14)
        .title('Memory working set')
        .description('Working-set memory of each predictor pod (cAdvisor container_memory_working_set_bytes) against its limit (kube-state-metrics): the kernel OOM-kills at the limit.')
        .unit('bytes')
        .withTarget(query(podMemory, '{{model}} {{pod}}', 'A'))
        .withTarget(query(podMemoryLimit, 'limit {{pod}}', 'B'))
        .gridPos(g.next(12, 8)),
    )
    .withPanel(
      new Text()
        .id(15)
        .title('Recent predictions')
        .description('The request log: predictions the daemon stored for the selected model in the time range.')
        .mode(TextMode.Markdown)
        .content(`[Predictions of **$model** in **$namespace**, this time range](${PREDICTIONS_URL}) (JSON, newest first; the daemon asks for its token as the password of Basic auth). Select one model.`)
        .gridPos(g.next(24, 4)),
    )
    .build();
}
