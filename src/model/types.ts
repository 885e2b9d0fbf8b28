/**
 * Plain types shared by the pure core. The spec layer validates a config file once and maps it to
 * these; nothing past the spec re-checks their shape.
 */

/** SLO windows modelslo supports, as Prometheus durations. */
export type SloWindow = '28d' | '30d';

/** Where a model's request counters come from. */
export type SliSource = 'sidecar' | 'kserve' | 'custom';

/** A team that owns a model and receives its ticket and drift alerts. */
export interface Owner {
  team: string;
  email?: string;
  /** An Alertmanager receiver name; when absent one is generated from the email. */
  receiver?: string;
}

/** Counter selectors (PromQL vector selectors) of a custom ratio SLI. */
export interface RatioSelectors {
  /** Exactly one of good or bad is set. */
  good?: string;
  bad?: string;
  total: string;
}

/** The SLI an SLO measures. */
export type Sli =
  | { kind: 'availability' }
  | { kind: 'latency'; thresholdMs: number }
  | { kind: 'ratio'; selectors: RatioSelectors }
  /** Labelled predictions judged incorrect against ground truth (the daemon's feedback API). */
  | { kind: 'correctness' }
  /** A PromQL template of the error ratio with `{{.window}}` placeholders (imported raw or event queries). */
  | { kind: 'promql'; errorRatio: string };

/** Labels and annotations put on one severity's burn alerts. */
export interface AlertMeta {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Per-severity alert settings of one SLO. */
export interface AlertSettings {
  page: boolean;
  ticket: boolean;
  /** Alert name of the burn alerts (default ModelSLOErrorBudgetBurn). */
  name?: string;
  /** `for:` delay per long window of the burn table (`1h`, `6h`, `1d`, `3d`), overriding the table's. */
  for?: Readonly<Record<string, string>>;
  /** The user's labels and annotations on the page and ticket alerts. */
  meta?: { page: AlertMeta; ticket: AlertMeta };
}

/** One service level objective of a model. */
export interface Slo {
  name: string;
  /** Objective as a percentage, in (0, 100). */
  objective: number;
  window: SloWindow;
  sli: Sli;
  description?: string;
  /** Labels put on every recording rule and alert of the SLO (beside modelslo's identity labels). */
  labels?: Record<string, string>;
  alerts: AlertSettings;
}

/** A one-off or weekly maintenance window, in UTC. */
export type MaintenanceWindow =
  | { name: string; kind: 'once'; start: string; end: string }
  | { name: string; kind: 'weekly'; weekdays: string[]; startTime: string; endTime: string };

/** A payload field removed or replaced by a keyed hash before a capture leaves the sidecar. */
export interface Redaction {
  /** A V1 instance key (`ssn`), a V2 input name (`ssn`), or a JSON path (`$.instances[*].ssn`). */
  path: string;
  action: 'drop' | 'hash';
}

/** What the sidecar captures of a model's traffic. */
export interface CaptureSettings {
  /** Share of requests captured, in [0, 1]. */
  sampleRate: number;
  redact: Redaction[];
}

/** One KServe InferenceService under modelslo's watch. */
export interface Model {
  name: string;
  namespace: string;
  owners: Owner[];
  sliSource: SliSource;
  /** Histogram bucket upper bounds in milliseconds for latency SLIs (sorted, distinct). */
  latencyBucketsMs: number[];
  slos: Slo[];
  runbookUrl: string;
  dashboardUrl: string;
  /** Names of the maintenance windows that mute this model's pages. */
  maintenance: string[];
  capture: CaptureSettings;
  /** Drift checks of this model's inputs and predictions (absent: no drift checks). */
  drift?: DriftSettings;
  /** Canary analysis of this model's new revisions (absent: none). */
  canary?: CanarySettings;
  /** The price of serving it, per ready predictor replica or per requested GPU, per hour (absent: unknown). */
  cost?: ServingCost;
  /** How ground-truth labels judge this model's predictions (absent: no correctness or drift prediction configured; see correctnessOf). */
  correctness?: CorrectnessSettings;
  /** The failure-mode alerts of this model, defaults applied. */
  alerts: FailureAlerts;
}

/** A price per hour of one ready predictor replica or one GPU it requests, in the dashboards' currency. */
export interface ServingCost {
  per: 'replica' | 'gpu';
  hourly: number;
}

/**
 * How a stored prediction is read and judged against its label: the value at `prediction.path`
 * (else `drift.prediction`, else the first decoded prediction value); a numeric prediction is
 * correct within `tolerance` of its label, a categorical one when equal as text.
 */
export interface CorrectnessSettings {
  prediction?: { path: string; kind: DriftFeatureKind };
  /** The kind judged: the prediction's kind, categorical when no prediction path is configured. */
  kind: DriftFeatureKind;
  tolerance: number;
}

/** What every failure-mode alert has: on or off, its severity, how long its condition must hold. */
export interface FailureAlertBase {
  enabled: boolean;
  severity: 'page' | 'ticket';
  /** Prometheus duration the condition must hold before the alert fires. */
  for: string;
}

/** An alert on a share of the model's requests answered with given status codes. */
export interface ShareAlert extends FailureAlertBase {
  /** Largest healthy share of requests, in (0, 1). */
  share: number;
  /** Fewest requests in the window for the share to count. */
  minRequests: number;
  window: string;
}

/** The failure-mode alerts of a model (docs/rules.md, "Failure-mode alerts"; docs/runbooks.md). */
export interface FailureAlerts {
  /** F1: a revision's predictor not ready for `for`, or a container crash-looping (restarts in window). */
  modelLoadFailure: FailureAlertBase & { restarts: number; window: string };
  /** F2: containers OOM-killed at least `restarts` times in `window`. */
  oomKills: FailureAlertBase & { restarts: number; window: string };
  /** F3: p99 of cold-start requests over `p99Ms` in `window`, with at least `minRequests` of them. */
  coldStartLatency: FailureAlertBase & { p99Ms: number; minRequests: number; window: string };
  /** F4: the count of ready predictor pods changed at least `changes` times in `window`. */
  scaleThrashing: FailureAlertBase & { changes: number; window: string };
  /** F6: share of 502/504 answers. */
  networkTimeouts: ShareAlert;
  /** F7: share of 401/403 answers. */
  unauthorizedRequests: ShareAlert;
  /** M10: more than one revision with traffic all through `for`, and no canary decision in it. */
  versionSkew: FailureAlertBase;
}

/** Kind of a drift feature (the same strings as drift/types.ts). */
export type DriftFeatureKind = 'numeric' | 'categorical';

/** A drift test a feature may name (the same strings as drift/types.ts). */
export type DriftTestName = 'ks' | 'chi_square' | 'wasserstein' | 'psi' | 'jensen_shannon' | 'hellinger' | 'l_infinity';

/**
 * Where a model's reference distribution comes from: a JSONL/CSV file of feature rows (`file` as
 * written, `path` resolved against the config file's directory), or stored traffic in [from, to).
 */
export type DriftReference =
  | { kind: 'file'; file: string; path: string }
  | { kind: 'range'; from: string; to: string; fromMs: number; toMs: number };

/** One watched feature; `path` locates it in a decoded row when its column name differs from `name`. */
export interface DriftFeature {
  name: string;
  kind: DriftFeatureKind;
  test?: DriftTestName;
  path?: string;
}

/** A model's drift settings, defaults applied. */
export interface DriftSettings {
  reference: DriftReference;
  /** The current window, a Prometheus duration (default 1h). */
  window: string;
  /** node-cron expression of the scheduled checks (default every 5 minutes). */
  schedule: string;
  features: DriftFeature[];
  /** The prediction, checked as the feature named `prediction`. */
  prediction?: { path: string; kind: DriftFeatureKind };
  /** The model drifts when more than this share of evaluated features drift (default 0.5). */
  driftShare: number;
  correction: 'benjamini-hochberg' | 'bonferroni' | 'none';
  /** Fewest values a side needs for a feature to be evaluated (default 100). */
  minSamples: number;
}

/** A PromQL check of a canary: `query` with `{{revision}}` must stay within [min, max]. */
export interface CustomCanaryCheck {
  name: string;
  query: string;
  min?: number;
  max?: number;
}

/** A model's canary analysis settings, defaults applied (docs/canary.md). */
export interface CanarySettings {
  /** How often the canary is judged (Prometheus duration). */
  interval: string;
  /** What each analysis looks at: records of the last `window`. */
  window: string;
  /** Fewest request records each side needs; fewer is `hold` (inconclusive). */
  minRequests: number;
  /** Failed analyses of one canary revision before it is rolled back. */
  failureLimit: number;
  /** Passed analyses at a step before the next step (or promotion). */
  promoteAfter: number;
  /** Traffic percents of a progressive rollout, increasing; empty promotes after promoteAfter passes. */
  steps: number[];
  /** rollback patches the InferenceService; notify only alerts and records. */
  action: 'rollback' | 'notify';
  /** Decide and record, patch nothing. */
  dryRun: boolean;
  /** Largest allowed canary 5xx share minus primary 5xx share. */
  maxErrorRateDelta: number;
  /** Confidence of the error and latency tests (Kayenta's default 0.98). */
  confidence: number;
  /** Kayenta's tolerance of the latency test: the shift's confidence interval must clear this share of its estimate. */
  latencyTolerance: number;
  /** Kayenta's allowed increase: the canary is only slower when mean(canary)/mean(primary) reaches it. */
  latencyAllowedIncrease: number;
  maxLatencyP99Ratio: number;
  maxPredictionDrift: number;
  /** Where the prediction is in a stored record (default: the first decoded prediction value). */
  prediction?: { path: string; kind: DriftFeatureKind };
  custom: CustomCanaryCheck[];
}

/** A receiver of alerts, as Alertmanager configures it (passed through). */
export interface Receiver {
  name: string;
  [config: string]: unknown;
}

/** Alert routing settings shared by all models. */
export interface Alerting {
  alertmanagerUrl: string;
  oncallReceiver: string;
  receivers: Receiver[];
  smtp?: { smarthost: string; from: string; requireTls: boolean };
  /** Severity of the alert that fires when a model's SLI data is absent. */
  absentSeverity: 'page' | 'ticket';
  /** How long SLI data must be absent before that alert fires. */
  absentFor: string;
  /** The alert journal: the daemon's webhook URL and the file Alertmanager reads its bearer token from. */
  journal: { url: string; credentialsFile: string };
}

/** Settings of the daemon process. */
export interface DaemonSettings {
  listen: string;
  db: string;
  prometheusUrl?: string;
  retention: { payloadDays: number; aggregateDays: number };
  /** Request and event size limits; `inflightBytes` bounds the ingest bodies held at once. */
  limits: { bodyBytes: number; eventPayloadBytes: number; jsonDepth: number; inflightBytes: number };
  /** How long an unmatched request or response half waits for its pair (Prometheus duration). */
  joinTtl: string;
  /** The whole SIGTERM shutdown's budget (Prometheus duration), under Kubernetes' 30 s grace period. */
  shutdownTimeout: string;
}

/** Settings of the sidecar process. */
export interface SidecarSettings {
  /** One deadline from a request's arrival to its last byte (Prometheus duration). */
  upstreamTimeout: string;
  /** Pooled keep-alive connections to the predictor. */
  upstreamConnections: number;
  /** Requests that may wait for a pooled connection; past it 503 at once. */
  upstreamQueue: number;
  /** The whole SIGTERM shutdown's budget (Prometheus duration), under Kubernetes' 30 s grace period. */
  shutdownTimeout: string;
  /** Head-sampling ratio of request spans in [0, 1] (a sampled incoming traceparent is always followed). */
  traceSampleRatio: number;
  /** Polling of the predictor's readiness: path (`{model}` is the default model), interval, timeout, warm-up (durations). */
  readiness: { path: string; interval: string; timeout: string; warmup: string; failureThreshold: number };
  capture: {
    bodyLimitBytes: number;
    queueEvents: number;
    batchEvents: number;
    /** Serialized bytes per batch at most (a larger one is split). */
    batchBytes: number;
    batchInterval: string;
    spoolDir: string;
    spoolBytes: number;
  };
}

/** The whole validated config. */
export interface Config {
  models: Model[];
  alerting: Alerting;
  maintenanceWindows: MaintenanceWindow[];
  daemon: DaemonSettings;
  sidecar: SidecarSettings;
  /** Postmortem reports: drafted by the daemon when an incident's page resolves (auto), into dir. */
  report: { auto: boolean; dir: string };
  /** What the dashboards show prices in (ISO 4217) and the daemon URL they link to. */
  dashboards: { currency: string; daemonUrl: string };
}
