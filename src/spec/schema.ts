/**
 * The config file's schema (version 1), in zod. Field names are the file's (snake_case); `toModel`
 * in parse.ts maps a valid file to the core's types.
 */
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { alertsSchema } from './alerts-schema.js';
import { canarySchema } from './canary-schema.js';

/** Default latency histogram bounds (ms) of the sidecar; configured thresholds are added to these. */
export const DEFAULT_LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 200, 250, 500, 1000, 2500, 5000, 10000];

/**
 * Bounds (ms) of Knative's queue-proxy `revision_app_request_latencies` histogram, the latency
 * source when `sli_source: kserve` (knative.dev/serving, pkg/queue: defaultLatencyDistribution).
 */
export const KNATIVE_LATENCY_BUCKETS_MS = [
  5, 10, 20, 40, 60, 80, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 2000,
  5000, 10000, 20000, 50000, 100000,
];

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes name (lowercase letters, digits and "-", at most 63)');

const sloName = z.string().regex(/^[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?$/, 'must be lowercase letters, digits, "-" or "_"');

const duration = z.string().regex(/^[0-9]+(ms|s|m|h|d|w|y)$/, 'must be a Prometheus duration such as 10m');

const positiveDuration = duration.refine((d) => !/^0+[a-z]+$/.test(d), 'must be more than 0');

const url = z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL');

const owner = z.strictObject({
  team: z.string().regex(/^[a-zA-Z0-9][-_.a-zA-Z0-9]*$/, 'must be a team name (letters, digits, "-", "_", ".")'),
  email: z.email('must be an email address').optional(),
  receiver: z.string().min(1).optional(),
});

const ratioSli = z
  .strictObject({
    good: z.string().min(1).optional(),
    bad: z.string().min(1).optional(),
    total: z.string().min(1),
  })
  .refine((r) => (r.good === undefined) !== (r.bad === undefined), {
    message: 'needs exactly one of good or bad, beside total',
  });

// PromQL templates with {{.window}} (Sloth's raw and event queries): an error ratio, or errors and total.
const promqlSli = z
  .strictObject({ error_ratio: z.string().min(1).optional(), errors: z.string().min(1).optional(), total: z.string().min(1).optional() })
  .refine((p) => (p.error_ratio !== undefined) !== (p.errors !== undefined && p.total !== undefined) && (p.errors === undefined) === (p.total === undefined), {
    message: 'needs either error_ratio, or errors and total (PromQL with {{.window}})',
  });

const sli = z
  .strictObject({
    availability: z.strictObject({}).nullish(),
    latency: z.strictObject({ threshold_ms: z.number().positive('must be a positive number of milliseconds') }).optional(),
    ratio: ratioSli.optional(),
    correctness: z.strictObject({}).nullish(),
    promql: promqlSli.optional(),
  })
  .refine((s) => ['availability', 'latency', 'ratio', 'correctness', 'promql'].filter((k) => k in s).length === 1, {
    message: 'must have exactly one of availability, latency, ratio, correctness or promql',
  });

const labelMap = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name'), z.string());

// Burn alerts: which fire, their name, `for:` per long window, and the user's labels and annotations.
const sloAlerts = z.strictObject({
  page: z.boolean().default(true),
  ticket: z.boolean().default(true),
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus alert name').optional(),
  for: z.partialRecord(z.enum(['1h', '6h', '1d', '3d'], { error: 'must be a long window of the burn table: 1h, 6h, 1d or 3d' }), duration).optional(),
  labels: labelMap.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  page_labels: labelMap.optional(),
  page_annotations: z.record(z.string(), z.string()).optional(),
  ticket_labels: labelMap.optional(),
  ticket_annotations: z.record(z.string(), z.string()).optional(),
});

const slo = z.strictObject({
  name: sloName,
  objective: z
    .number({ error: 'must be a number' })
    .refine((v) => v > 0 && v < 100, { error: (iss) => `must be between 0 and 100 (exclusive), got ${String(iss.input)}` }),
  window: z.enum(['28d', '30d'], { error: 'must be 28d or 30d' }).default('28d'),
  description: z.string().optional(),
  labels: labelMap.optional(),
  sli,
  alerts: sloAlerts.default({ page: true, ticket: true }),
});

const redaction = z.strictObject({
  path: z.string().min(1),
  action: z.enum(['drop', 'hash'], { error: 'must be drop or hash' }).default('hash'),
});

const capture = z.strictObject({
  sample_rate: z.number().min(0).max(1, 'must be between 0 and 1').default(1),
  redact: z.array(redaction).default([]),
});

const isoTime = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time such as 2026-12-01T02:00:00Z' });

/** Drift tests a feature may name (src/drift/choose.ts). */
export const DRIFT_TESTS = ['ks', 'chi_square', 'wasserstein', 'psi', 'jensen_shannon', 'hellinger', 'l_infinity'] as const;
const driftTest = z.enum(DRIFT_TESTS, { error: `must be one of ${DRIFT_TESTS.join(', ')}` });
const featureKind = z.enum(['numeric', 'categorical'], { error: 'must be numeric or categorical' });

const driftReference = z
  .strictObject({ file: z.string().min(1).optional(), from: isoTime.optional(), to: isoTime.optional() })
  .refine((r) => (r.file !== undefined) !== (r.from !== undefined && r.to !== undefined) && (r.from === undefined) === (r.to === undefined), {
    message: 'needs either file, or from and to (a time range of stored traffic)',
  });

const drift = z.strictObject({
  reference: driftReference,
  window: duration.default('1h'),
  schedule: z
    .string()
    .refine((s) => validCron(s), { error: (iss) => `must be a node-cron expression such as "*/5 * * * *" (5 or 6 fields), got "${String(iss.input)}"` })
    .default('*/5 * * * *'),
  features: z
    .array(z.strictObject({ name: z.string().min(1).refine((n) => n !== 'prediction', 'is reserved for drift.prediction'), kind: featureKind, test: driftTest.optional(), path: z.string().min(1).optional() }))
    .default([]),
  prediction: z.strictObject({ path: z.string().min(1), kind: featureKind.default('numeric') }).optional(),
  drift_share: z.number().min(0).max(1, 'must be between 0 and 1').default(0.5),
  correction: z.enum(['benjamini-hochberg', 'bonferroni', 'none'], { error: 'must be benjamini-hochberg, bonferroni or none' }).default('benjamini-hochberg'),
  min_samples: z.number().int().positive('must be a positive integer').default(100),
});

// A price of serving a model, for the executive dashboard's cost per inference (docs/config.md).
const cost = z
  .strictObject({
    replica_hour: z.number().positive('must be a positive price').optional(),
    gpu_hour: z.number().positive('must be a positive price').optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD').optional(),
  })
  .refine((c) => (c.replica_hour === undefined) !== (c.gpu_hour === undefined), { message: 'needs exactly one of replica_hour or gpu_hour' });

const model = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel,
  owners: z.array(owner).min(1, 'needs at least one owner'),
  sli_source: z.enum(['sidecar', 'kserve', 'custom'], { error: 'must be sidecar, kserve or custom' }).default('sidecar'),
  latency_buckets_ms: z.array(z.number().positive()).min(1).optional(),
  runbook_url: url.optional(),
  dashboard_url: url.optional(),
  maintenance: z.array(z.string()).default([]),
  slos: z.array(slo).min(1, 'needs at least one SLO'),
  capture: capture.default({ sample_rate: 1, redact: [] }),
  drift: drift.optional(),
  canary: canarySchema.optional(),
  cost: cost.optional(),
  // Ground truth (POST /v1/feedback): where the prediction is, and how near a numeric one must be.
  correctness: z
    .strictObject({
      prediction: z.strictObject({ path: z.string().min(1), kind: featureKind.default('numeric') }).optional(),
      tolerance: z.number({ error: 'must be a number' }).min(0, 'must be 0 or more (an absolute difference)').default(0),
    })
    .optional(),
  alerts: alertsSchema.optional(),
});

const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'must be a time HH:MM');
const weekday = z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']);

const maintenance = z
  .strictObject({
    name: sloName,
    start: isoTime.optional(),
    end: isoTime.optional(),
    weekly: z
      .strictObject({ weekdays: z.array(weekday).min(1), start_time: hhmm, end_time: hhmm })
      .optional(),
  })
  .refine((m) => (m.weekly === undefined) === (m.start !== undefined && m.end !== undefined) && (m.start === undefined) === (m.end === undefined), {
    message: 'needs either start and end, or weekly',
  });

/** Where Alertmanager reads the daemon's bearer token for the journal webhook, unless configured. */
export const JOURNAL_CREDENTIALS_FILE = '/etc/alertmanager/secrets/modelslo-token';

const receiver = z.looseObject({ name: z.string().min(1) });

const alerting = z.strictObject({
  alertmanager_url: url.default('http://127.0.0.1:9093'),
  oncall_receiver: z.string().min(1).default('oncall'),
  receivers: z.array(receiver).default([]),
  smtp: z
    .strictObject({ smarthost: z.string().min(1), from: z.email(), require_tls: z.boolean().default(true) })
    .optional(),
  absent_data: z
    .strictObject({ severity: z.enum(['page', 'ticket']).default('ticket'), for: duration.default('10m') })
    .default({ severity: 'ticket', for: '10m' }),
  // The alert journal: Alertmanager's webhook to the daemon (default: http://<daemon.listen>/v1/alertmanager).
  journal: z
    .strictObject({ url: url.optional(), credentials_file: z.string().min(1).default(JOURNAL_CREDENTIALS_FILE) })
    .default({ credentials_file: JOURNAL_CREDENTIALS_FILE }),
});

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[-.a-zA-Z0-9]*):[0-9]{1,5}$/, 'must be HOST:PORT, such as 127.0.0.1:9464');
const bytes = z.number().int().positive();

const daemon = z.strictObject({
  listen: hostPort.default('127.0.0.1:9464'),
  db: z.string().min(1).default('./.modelslo/modelslo.db'),
  prometheus_url: url.optional(),
  retention: z
    .strictObject({ payload_days: z.number().positive().default(7), aggregate_days: z.number().positive().default(400) })
    .default({ payload_days: 7, aggregate_days: 400 }),
  limits: z
    .strictObject({
      body_bytes: bytes.default(16 * 1024 * 1024),
      event_payload_bytes: bytes.default(1024 * 1024),
      json_depth: z.number().int().positive().default(64),
      // Bytes of ingest bodies being read, decoded and written at once; past it 503 with Retry-After.
      inflight_bytes: bytes.default(24 * 1024 * 1024),
    })
    .default({ body_bytes: 16 * 1024 * 1024, event_payload_bytes: 1024 * 1024, json_depth: 64, inflight_bytes: 24 * 1024 * 1024 }),
  join_ttl: duration.default('10m'),
  shutdown_timeout: duration.default('25s'),
});

const sidecar = z.strictObject({
  upstream_timeout: duration.default('60s'),
  upstream_connections: bytes.default(256),
  upstream_queue: z.number().int().min(0).default(256),
  shutdown_timeout: duration.default('25s'),
  // Head sampling of request spans (ParentBased(TraceIdRatioBased)); SLIs come from metrics, not spans.
  trace_sample_ratio: z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]').default(0.1),
  // The predictor's readiness, polled for the load-time and cold-start SLIs (docs/sidecar.md#readiness).
  readiness: z
    .strictObject({
      path: z.string().regex(/^\/\S*$/, 'must be a path such as /v2/health/ready or /v1/models/{model}').default('/v2/health/ready'),
      interval: positiveDuration.default('1s'),
      timeout: positiveDuration.default('1s'),
      warmup: duration.default('60s'),
      // Consecutive failed probes before the predictor counts as not ready (Kubernetes probes' failureThreshold).
      failure_threshold: z.number().int().positive('must be a positive integer').default(3),
    })
    .default({ path: '/v2/health/ready', interval: '1s', timeout: '1s', warmup: '60s', failure_threshold: 3 }),
  capture: z
    .strictObject({
      body_limit_bytes: bytes.default(64 * 1024),
      queue_events: bytes.default(10_000),
      batch_events: bytes.default(500),
      // Serialized bytes per batch: under the daemon's daemon.limits.body_bytes (16 MiB by default).
      batch_bytes: bytes.default(8 * 1024 * 1024),
      batch_interval: duration.default('1s'),
      spool_dir: z.string().min(1).default('./.modelslo/spool'),
      spool_bytes: bytes.default(256 * 1024 * 1024),
    })
    .default({ body_limit_bytes: 64 * 1024, queue_events: 10_000, batch_events: 500, batch_bytes: 8 * 1024 * 1024, batch_interval: '1s', spool_dir: './.modelslo/spool', spool_bytes: 256 * 1024 * 1024 }),
});

const defaults = z.strictObject({
  runbook_url: url.optional(),
  dashboard_url: url.optional(),
  latency_buckets_ms: z.array(z.number().positive()).min(1).optional(),
  cost: cost.optional(),
  alerts: alertsSchema.optional(),
});

// What the generated dashboards link to: the daemon's API as the browser reaches it.
const dashboardsSection = z.strictObject({ daemon_url: url.default('http://127.0.0.1:9464') });

// Postmortem reports: with auto, the daemon drafts one when an incident's page resolves, into dir.
const report = z.strictObject({ auto: z.boolean().default(false), dir: z.string().min(1).default('./.modelslo/reports') });

/** The whole file, version 1. */
export const configSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }).default(1),
  defaults: defaults.default({}),
  alerting: alerting.default({
    alertmanager_url: 'http://127.0.0.1:9093',
    oncall_receiver: 'oncall',
    receivers: [],
    absent_data: { severity: 'ticket', for: '10m' },
    journal: { credentials_file: JOURNAL_CREDENTIALS_FILE },
  }),
  maintenance: z.array(maintenance).default([]),
  daemon: daemon.default(daemon.parse({})),
  sidecar: sidecar.default(sidecar.parse({})),
  report: report.default({ auto: false, dir: './.modelslo/reports' }),
  dashboards: dashboardsSection.default({ daemon_url: 'http://127.0.0.1:9464' }),
  models: z.array(model).min(1, 'needs at least one model'),
});

/** The file's shape after validation and defaults. */
export type ConfigFile = z.output<typeof configSchema>;
export type ModelFile = ConfigFile['models'][number];
export type SloFile = ModelFile['slos'][number];
