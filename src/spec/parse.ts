/**
 * parse(text) → Config | issues. YAML is parsed keeping positions, validated with zod, then
 * checked across fields; every issue names file, line, column and field path, and all are listed.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { TESTS_BY_KIND } from '../drift/choose.js';
import type { AlertMeta, AlertSettings, Config, CorrectnessSettings, DriftSettings, MaintenanceWindow, Model, Sli } from '../model/types.js';
import { checkFailureAlerts, failureAlerts } from './alerts-schema.js';
import { canarySettings, checkCanary } from './canary-schema.js';
import { checkCurrencies, dashboardCurrency, servingCost } from './cost.js';
import { SourceMap, type FieldPath, type SpecIssue } from './positions.js';
import { parseSelector } from './promql.js';
import { eventsRatioTemplate, templateError } from './promql-template.js';
import { documentData, loadYamlDocument, PARSE_OPTIONS, zodIssueMessage } from './yaml-source.js';
import { configSchema, DEFAULT_LATENCY_BUCKETS_MS, KNATIVE_LATENCY_BUCKETS_MS, type ConfigFile, type ModelFile, type SloFile } from './schema.js';

/**
 * The outcome of parsing a config: a model, or every issue found. An importer adds notes: what it
 * had to change or could not keep of the foreign spec, each placed at its field.
 */
export type ParseResult = { ok: true; config: Config; notes?: SpecIssue[] } | { ok: false; issues: SpecIssue[] };

/** Parses and validates config text read from `file`. */
export function parseConfig(text: string, file: string): ParseResult {
  const { doc, lines, issues } = loadYamlDocument(text, file);
  if (issues.length > 0) return { ok: false, issues };
  const data = documentData(doc, lines, file);
  if (!data.ok) return data;
  return validateData(data.data, new SourceMap(file, doc, lines));
}

/** Validates already-parsed data; `where` places issues in the source. */
export function validateData(data: unknown, where: SourceMap): ParseResult {
  const parsed = configSchema.safeParse(data ?? {}, PARSE_OPTIONS);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => where.issue(i.path as FieldPath, zodIssueMessage(i))) };
  }
  const issues = crossCheck(parsed.data).map(([path, message]) => where.issue(path, message));
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, config: toModel(parsed.data, where.file) };
}

/** Histogram bounds (ms) that a model's latency SLIs may use as thresholds. */
export function latencyBuckets(model: Pick<ModelFile, 'sli_source' | 'latency_buckets_ms'>, defaults: number[] | undefined): number[] {
  if (model.sli_source === 'kserve') return KNATIVE_LATENCY_BUCKETS_MS;
  const list = model.latency_buckets_ms ?? defaults ?? DEFAULT_LATENCY_BUCKETS_MS;
  return [...new Set(list)].sort((a, b) => a - b);
}

type Problem = [FieldPath, string];

function crossCheck(cfg: ConfigFile): Problem[] {
  const out: Problem[] = [];
  const receivers = new Set(cfg.alerting.receivers.map((r) => r.name));
  cfg.alerting.receivers.forEach((r, i) => {
    if (cfg.alerting.receivers.findIndex((o) => o.name === r.name) !== i) {
      out.push([['alerting', 'receivers', i, 'name'], `duplicate receiver "${r.name}"`]);
    }
  });
  if (cfg.alerting.receivers.length > 0 && !receivers.has(cfg.alerting.oncall_receiver)) {
    out.push([['alerting', 'oncall_receiver'], `names no receiver in alerting.receivers (have: ${[...receivers].join(', ')})`]);
  }
  const windows = new Set(cfg.maintenance.map((m) => m.name));
  cfg.maintenance.forEach((m, i) => {
    if (m.start !== undefined && m.end !== undefined && Date.parse(m.end) <= Date.parse(m.start)) {
      out.push([['maintenance', i, 'end'], `must be after start (${m.start})`]);
    }
    if (m.weekly !== undefined && m.weekly.end_time <= m.weekly.start_time) {
      out.push([['maintenance', i, 'weekly', 'end_time'], `must be after start_time (${m.weekly.start_time})`]);
    }
  });
  out.push(...checkCurrencies(cfg));
  const seenModels = new Map<string, number>();
  cfg.models.forEach((model, mi) => {
    const at = (...rest: FieldPath): FieldPath => ['models', mi, ...rest];
    const key = `${model.namespace}/${model.name}`;
    const first = seenModels.get(key);
    if (first !== undefined) out.push([at('name'), `duplicate model ${key} (also models[${first}])`]);
    else seenModels.set(key, mi);
    model.owners.forEach((o, oi) => {
      if (o.receiver !== undefined) {
        if (cfg.alerting.receivers.length > 0 && !receivers.has(o.receiver)) {
          out.push([at('owners', oi, 'receiver'), `names no receiver in alerting.receivers (have: ${[...receivers].join(', ')})`]);
        }
      } else if (o.email === undefined) {
        out.push([at('owners', oi), 'needs a receiver or an email']);
      } else if (cfg.alerting.smtp === undefined) {
        out.push([at('owners', oi, 'email'), 'an owner reached by email needs alerting.smtp (or give the owner a receiver)']);
      }
    });
    model.maintenance.forEach((name, i) => {
      if (!windows.has(name)) out.push([at('maintenance', i), `names no window in maintenance (have: ${[...windows].join(', ') || 'none'})`]);
    });
    if (model.drift !== undefined) out.push(...checkDrift(model.drift, at));
    if (model.canary !== undefined) out.push(...checkCanary(model.canary, at, cfg.daemon.prometheus_url));
    if (model.latency_buckets_ms !== undefined && model.sli_source === 'kserve') {
      out.push([at('latency_buckets_ms'), 'cannot be set with sli_source: kserve (Knative fixes its buckets)']);
    }
    const buckets = latencyBuckets(model, cfg.defaults.latency_buckets_ms);
    const alerts = failureAlerts(model.alerts, cfg.defaults.alerts, buckets);
    out.push(...checkFailureAlerts(alerts, at, model.sli_source === 'sidecar' && alerts.coldStartLatency.enabled ? buckets : [0, Infinity]));
    const names = new Map<string, number>();
    model.slos.forEach((slo, si) => {
      const here = (...rest: FieldPath): FieldPath => at('slos', si, ...rest);
      const prior = names.get(slo.name);
      if (prior !== undefined) out.push([here('name'), `duplicate SLO "${slo.name}" (also slos[${prior}])`]);
      else names.set(slo.name, si);
      const { latency, ratio } = slo.sli;
      if (model.sli_source === 'custom' && ratio === undefined && !('correctness' in slo.sli) && slo.sli.promql === undefined) {
        out.push([here('sli'), 'sli_source: custom needs a ratio SLI (good or bad, and total selectors), a promql SLI or a correctness SLI']);
      }
      if (latency !== undefined && !buckets.includes(latency.threshold_ms)) {
        out.push([
          here('sli', 'latency', 'threshold_ms'),
          `must be one of the latency histogram's bucket bounds (${buckets.join(', ')} ms), got ${latency.threshold_ms}` +
            (model.sli_source === 'kserve' ? '' : '; add it to latency_buckets_ms'),
        ]);
      }
      const promql = slo.sli.promql;
      if (promql !== undefined) {
        for (const field of ['error_ratio', 'errors', 'total'] as const) {
          const text = promql[field];
          const error = text === undefined ? undefined : templateError(text);
          if (error !== undefined) out.push([here('sli', 'promql', field), error]);
        }
      }
      if (ratio !== undefined) {
        for (const field of ['good', 'bad', 'total'] as const) {
          const text = ratio[field];
          if (text === undefined) continue;
          const sel = parseSelector(text);
          if (typeof sel === 'string') out.push([here('sli', 'ratio', field), sel]);
        }
      }
    });
  });
  return out;
}

function checkDrift(d: NonNullable<ModelFile['drift']>, at: (...rest: FieldPath) => FieldPath): Problem[] {
  const out: Problem[] = [];
  const { from, to } = d.reference;
  if (from !== undefined && to !== undefined && Date.parse(to) <= Date.parse(from)) out.push([at('drift', 'reference', 'to'), `must be after from (${from})`]);
  if (d.features.length === 0 && d.prediction === undefined) out.push([at('drift', 'features'), 'needs at least one feature (or drift.prediction)']);
  const seen = new Map<string, number>();
  d.features.forEach((f, fi) => {
    const prior = seen.get(f.name);
    if (prior !== undefined) out.push([at('drift', 'features', fi, 'name'), `duplicate feature "${f.name}" (also features[${prior}])`]);
    else seen.set(f.name, fi);
    if (f.test !== undefined && !TESTS_BY_KIND[f.kind].includes(f.test)) {
      out.push([at('drift', 'features', fi, 'test'), `${f.test} does not apply to ${f.kind} features (use one of ${TESTS_BY_KIND[f.kind].join(', ')})`]);
    }
  });
  return out;
}

/** The drift section with defaults; a relative reference file resolves against the config file's directory. */
function driftSettings(d: NonNullable<ModelFile['drift']>, configFile: string): DriftSettings {
  const { file, from, to } = d.reference;
  return {
    reference:
      file !== undefined
        ? { kind: 'file', file, path: isAbsolute(file) ? file : join(dirname(configFile), file) }
        : { kind: 'range', from: from ?? '', to: to ?? '', fromMs: Date.parse(from ?? ''), toMs: Date.parse(to ?? '') },
    window: d.window,
    schedule: d.schedule,
    features: d.features.map((f) => ({ name: f.name, kind: f.kind, ...(f.test !== undefined ? { test: f.test } : {}), ...(f.path !== undefined ? { path: f.path } : {}) })),
    ...(d.prediction !== undefined ? { prediction: { path: d.prediction.path, kind: d.prediction.kind } } : {}),
    driftShare: d.drift_share,
    correction: d.correction,
    minSamples: d.min_samples,
  };
}

/** The correctness section with defaults; the prediction falls back to the drift section's, as the canary's does. */
function correctnessSettings(m: ModelFile): CorrectnessSettings {
  const prediction = m.correctness?.prediction ?? m.drift?.prediction;
  return {
    ...(prediction !== undefined ? { prediction: { path: prediction.path, kind: prediction.kind } } : {}),
    kind: prediction?.kind ?? 'categorical',
    tolerance: m.correctness?.tolerance ?? 0,
  };
}

/** A promql SLI's error-ratio template: as given, or errors over total. */
function promqlRatio(p: NonNullable<SloFile['sli']['promql']>): string {
  return p.error_ratio ?? eventsRatioTemplate(p.errors ?? '', p.total ?? '');
}

/** The alerts section in the core's shape: the common labels and annotations merged under each severity's. */
function alertSettings(a: SloFile['alerts']): AlertSettings {
  const meta = (labels?: Record<string, string>, annotations?: Record<string, string>): AlertMeta => ({
    labels: { ...a.labels, ...labels },
    annotations: { ...a.annotations, ...annotations },
  });
  const custom = [a.labels, a.annotations, a.page_labels, a.page_annotations, a.ticket_labels, a.ticket_annotations].some((x) => x !== undefined);
  return {
    page: a.page,
    ticket: a.ticket,
    ...(a.name !== undefined ? { name: a.name } : {}),
    ...(a.for !== undefined ? { for: a.for } : {}),
    ...(custom ? { meta: { page: meta(a.page_labels, a.page_annotations), ticket: meta(a.ticket_labels, a.ticket_annotations) } } : {}),
  };
}

function fillUrl(template: string, model: ModelFile): string {
  return template.replaceAll('{namespace}', model.namespace).replaceAll('{model}', model.name);
}

function toModel(cfg: ConfigFile, configFile: string): Config {
  const runbook = cfg.defaults.runbook_url ?? 'https://github.com/modelslo/modelslo/blob/main/docs/runbooks.md#{slo}';
  const dashboard = cfg.defaults.dashboard_url ?? 'http://grafana.local/d/modelslo-oncall?var-namespace={namespace}&var-model={model}';
  const models: Model[] = cfg.models.map((m) => ({
    name: m.name,
    namespace: m.namespace,
    owners: m.owners.map((o) => ({ team: o.team, ...(o.email ? { email: o.email } : {}), ...(o.receiver ? { receiver: o.receiver } : {}) })),
    sliSource: m.sli_source,
    latencyBucketsMs: latencyBuckets(m, cfg.defaults.latency_buckets_ms),
    runbookUrl: fillUrl(m.runbook_url ?? runbook, m),
    dashboardUrl: fillUrl(m.dashboard_url ?? dashboard, m),
    maintenance: m.maintenance,
    capture: { sampleRate: m.capture.sample_rate, redact: m.capture.redact.map((r) => ({ path: r.path, action: r.action })) },
    slos: m.slos.map((s) => {
      const sli: Sli =
        s.sli.latency !== undefined
          ? { kind: 'latency', thresholdMs: s.sli.latency.threshold_ms }
          : s.sli.ratio !== undefined
            ? { kind: 'ratio', selectors: { ...s.sli.ratio } }
            : 'correctness' in s.sli
              ? { kind: 'correctness' }
              : s.sli.promql !== undefined
                ? { kind: 'promql', errorRatio: promqlRatio(s.sli.promql) }
                : { kind: 'availability' };
      return {
        name: s.name,
        objective: s.objective,
        window: s.window,
        sli,
        ...(s.description !== undefined ? { description: s.description } : {}),
        ...(s.labels !== undefined ? { labels: s.labels } : {}),
        alerts: alertSettings(s.alerts),
      };
    }),
    ...(m.drift ? { drift: driftSettings(m.drift, configFile) } : {}),
    ...(m.canary ? { canary: canarySettings(m.canary, m.drift?.prediction) } : {}),
    ...(servingCost(m, cfg) !== undefined ? { cost: servingCost(m, cfg) } : {}),
    ...(m.correctness !== undefined || m.drift?.prediction !== undefined ? { correctness: correctnessSettings(m) } : {}),
    alerts: failureAlerts(m.alerts, cfg.defaults.alerts, latencyBuckets(m, cfg.defaults.latency_buckets_ms)),
  }));
  const maintenanceWindows: MaintenanceWindow[] = cfg.maintenance.map((w) =>
    w.weekly !== undefined
      ? { name: w.name, kind: 'weekly', weekdays: w.weekly.weekdays, startTime: w.weekly.start_time, endTime: w.weekly.end_time }
      : { name: w.name, kind: 'once', start: w.start ?? '', end: w.end ?? '' },
  );
  const a = cfg.alerting;
  const d = cfg.daemon;
  const c = cfg.sidecar.capture;
  return {
    models,
    maintenanceWindows,
    report: { auto: cfg.report.auto, dir: cfg.report.dir },
    dashboards: { currency: dashboardCurrency(cfg), daemonUrl: cfg.dashboards.daemon_url },
    daemon: {
      listen: d.listen,
      db: d.db,
      ...(d.prometheus_url !== undefined ? { prometheusUrl: d.prometheus_url } : {}),
      retention: { payloadDays: d.retention.payload_days, aggregateDays: d.retention.aggregate_days },
      limits: { bodyBytes: d.limits.body_bytes, eventPayloadBytes: d.limits.event_payload_bytes, jsonDepth: d.limits.json_depth, inflightBytes: d.limits.inflight_bytes },
      joinTtl: d.join_ttl,
      shutdownTimeout: d.shutdown_timeout,
    },
    sidecar: {
      upstreamTimeout: cfg.sidecar.upstream_timeout,
      upstreamConnections: cfg.sidecar.upstream_connections,
      upstreamQueue: cfg.sidecar.upstream_queue,
      shutdownTimeout: cfg.sidecar.shutdown_timeout,
      traceSampleRatio: cfg.sidecar.trace_sample_ratio,
      readiness: { path: cfg.sidecar.readiness.path, interval: cfg.sidecar.readiness.interval, timeout: cfg.sidecar.readiness.timeout, warmup: cfg.sidecar.readiness.warmup, failureThreshold: cfg.sidecar.readiness.failure_threshold },
      capture: {
        bodyLimitBytes: c.body_limit_bytes,
        queueEvents: c.queue_events,
        batchEvents: c.batch_events,
        batchBytes: c.batch_bytes,
        batchInterval: c.batch_interval,
        spoolDir: c.spool_dir,
        spoolBytes: c.spool_bytes,
      },
    },
    alerting: {
      alertmanagerUrl: a.alertmanager_url,
      oncallReceiver: a.oncall_receiver,
      receivers: a.receivers,
      ...(a.smtp ? { smtp: { smarthost: a.smtp.smarthost, from: a.smtp.from, requireTls: a.smtp.require_tls } } : {}),
      absentSeverity: a.absent_data.severity,
      absentFor: a.absent_data.for,
      journal: { url: a.journal.url ?? `http://${d.listen}/v1/alertmanager`, credentialsFile: a.journal.credentials_file },
    },
  };
}
