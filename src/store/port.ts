/**
 * The Store port: what the daemon needs of its storage, in small interfaces by concern, so that a
 * PostgreSQL adapter can follow the SQLite one. Methods return promises for that reason.
 */
import type { LabelRecord } from '../ingest/feedback.js';
import type { InferenceEvent, SpanRecord } from '../ingest/types.js';
import type { PackedEvents } from './write-messages.js';

/** Outcome of a write: rows new to the store, and repeats skipped (idempotent retries). */
export interface WriteResult {
  inserted: number;
  duplicates: number;
}

/** Writes of ingested data; each call is one transaction, all-or-nothing. */
export interface IngestStore {
  /** Stores events and joins request/response halves by (namespace, model, id); a repeated (source, id, type) is skipped. */
  insertEvents(events: readonly InferenceEvent[]): Promise<WriteResult>;
  /** The same, for events packed by `packEvents` (in a decode thread); the buffer is moved, not copied. */
  insertPackedEvents(events: PackedEvents): Promise<WriteResult>;
  /** Stores spans; a repeated (traceId, spanId) is skipped. */
  insertSpans(spans: readonly SpanRecord[]): Promise<WriteResult>;
}

/** Join state of a prediction: waiting for its other half, complete, or given up on after the join TTL. */
export type JoinState = 'pending' | 'joined' | 'expired';

/** A stored prediction: the joined request and response of one inference. */
export interface Prediction {
  requestId: string;
  namespace: string;
  model: string;
  endpoint: string;
  component: string;
  revision: string | null;
  protocol: string;
  path: string | null;
  timeMs: number;
  state: JoinState;
  status: number | null;
  latencyMs: number | null;
  /** Feature rows and prediction values, decoded from V1/V2 (null when unknown or expired by retention). */
  features: unknown[] | null;
  predictions: unknown[] | null;
  request: string | Buffer | null;
  response: string | Buffer | null;
  truncated: boolean;
  redacted: string | null;
  /** Why a body could not be decoded as its protocol (its raw payload is still kept), else null. */
  decodeError: string | null;
  traceId: string | null;
}

/** A page of predictions, newest first; `cursor` fetches the next page. */
export interface PredictionPage {
  items: Prediction[];
  cursor: string | null;
}

/** Filters of a predictions query; times are epoch ms, `from` inclusive and `to` exclusive. */
export interface PredictionQuery {
  namespace: string;
  model: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  cursor?: string;
}

/** Request records (responses with a status) counted over windows ending at `nowMs`. */
export interface WindowCountQuery {
  namespace: string;
  model: string;
  nowMs: number;
  windowsMs: readonly number[];
  /** Errors are HTTP 5xx (availability) or, when set, latency above this many ms. */
  latencyThresholdMs: number | null;
}

/** Totals and errors of one window. */
export interface WindowCount {
  total: number;
  bad: number;
}

/** What is stored about one model. */
export interface ModelSummary {
  namespace: string;
  model: string;
  predictions: { total: number; joined: number; pending: number; expired: number; firstMs: number | null; lastMs: number | null };
  spans: { total: number; errors: number; meanMs: number | null; p99Ms: number | null };
}

/** Reads for the status API. */
export interface QueryStore {
  predictions(q: PredictionQuery): Promise<PredictionPage>;
  windowCounts(q: WindowCountQuery): Promise<WindowCount[]>;
  modelSummaries(): Promise<ModelSummary[]>;
}

/** Background upkeep and lifecycle. */
export interface MaintenanceStore {
  /** Marks halves still unmatched that were received before `beforeMs` as expired; returns how many. */
  expireJoins(beforeMs: number): Promise<number>;
  /** Drops payloads and spans older than `payloadBeforeMs`, and every record older than `aggregateBeforeMs`. */
  applyRetention(payloadBeforeMs: number, aggregateBeforeMs: number): Promise<{ payloads: number; records: number }>;
  /** Whether the store is open with every migration applied, and its latest write did not fail for lack of storage. */
  ready(): boolean;
  /** ready(), and why not: "store not open", or the storage error every write now meets (disk full…). */
  readiness(): { ready: boolean; detail: string };
  close(): Promise<void>;
}

/** The decoded columns of one stored prediction that drift checks read. */
export interface DriftSample {
  endpoint: string;
  timeMs: number;
  features: unknown[] | null;
  predictions: unknown[] | null;
  response: string | Buffer | null;
}

/** One feature's result of one drift check (a run is the rows sharing runMs and endpoint). */
export interface DriftResultRecord {
  namespace: string;
  model: string;
  runMs: number;
  windowFromMs: number;
  windowToMs: number;
  /** `default`, `canary` (split when both are in the window) or `all`. */
  endpoint: string;
  /** The dataset's level and drift share of the run. */
  level: string;
  driftShare: number;
  feature: string;
  kind: string;
  test: string;
  featureLevel: string;
  score: number | null;
  pValue: number | null;
  adjustedPValue: number | null;
  /** The drift threshold of the test (a p-value bound for ks/chi_square, else a score bound). */
  threshold: number;
  referenceSize: number;
  currentSize: number;
  /** JSON of secondary numbers, or the reason of `insufficient`. */
  details: string | null;
}

/** Drift checks: the rows they read and the results they keep. */
export interface DriftStore {
  /** Stored predictions of a model with time in [fromMs, toMs), oldest first, at most `limit`. */
  driftSamples(q: { namespace: string; model: string; fromMs: number; toMs: number; limit: number }): Promise<DriftSample[]>;
  insertDriftResults(rows: readonly DriftResultRecord[]): Promise<void>;
  /** Results of runs in [fromMs, toMs) (by run time), oldest first; with neither, the latest run's. */
  driftResults(q: { namespace: string; model: string; fromMs?: number; toMs?: number; limit: number }): Promise<DriftResultRecord[]>;
}

/** One request record of a revision, as canary analysis reads it. */
export interface RevisionSample {
  timeMs: number;
  status: number;
  latencyMs: number | null;
  predictions: unknown[] | null;
  response: string | Buffer | null;
}

/**
 * What was done about a decision: `patched` (the API applied it), `dry_run` (would have patched),
 * `notified` (action notify: no patch), `none` (hold: nothing to patch), `skipped` (the canary
 * changed under us), `failed` (the API refused; `error` says why).
 */
export type CanaryAction = 'patched' | 'dry_run' | 'notified' | 'none' | 'skipped' | 'failed';

/** The audit record of one canary decision. */
export interface CanaryDecisionRecord {
  id?: number;
  namespace: string;
  model: string;
  timeMs: number;
  /** The canary revision (the one judged). */
  revision: string;
  primaryRevision: string | null;
  /** Canary traffic percent when judged. */
  percent: number | null;
  verdict: 'promote' | 'step' | 'hold' | 'rollback';
  outcome: 'pass' | 'fail' | 'inconclusive';
  reason: string;
  /** The analysis' checks (CheckResult[] of canary/decide.ts). */
  checks: unknown[];
  action: CanaryAction;
  /** The merge patch sent (or that would have been sent), null when none. */
  patch: unknown;
  /** What the API answered: status and the resulting canary state. */
  apiResponse: unknown;
  error: string | null;
  requests: { canary: number; primary: number };
  /** The canary's progress after this decision: failed analyses of the revision, passes in a row at its step. */
  progress: { failures: number; passes: number };
}

/** Canary analysis: the records it judges and the decisions it keeps. */
export interface CanaryStore {
  /** Request records (with a status) of one revision in [fromMs, toMs), newest first, at most `limit`; records without a revision count by `endpoint`. */
  revisionSamples(q: { namespace: string; model: string; revision: string; endpoint: 'default' | 'canary'; fromMs: number; toMs: number; limit: number }): Promise<RevisionSample[]>;
  insertCanaryDecision(rec: CanaryDecisionRecord): Promise<void>;
  /** Decisions in [fromMs, toMs) (all when unset), oldest first, at most `limit` (the newest ones). */
  canaryDecisions(q: { namespace: string; model: string; fromMs?: number; toMs?: number; limit: number }): Promise<CanaryDecisionRecord[]>;
}

/** One alert state from an Alertmanager notification (the alert journal); times are epoch ms. */
export interface AlertRecord {
  fingerprint: string;
  status: 'firing' | 'resolved';
  startsAtMs: number;
  /** When it resolved (null while firing). */
  endsAtMs: number | null;
  alertname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The receivers the generated routing sends this alert to (the journal's own receiver left out). */
  receivers: string[];
  groupKey: string;
  receivedMs: number;
}

/** The alert journal: every notification of every modelslo alert, for reports' timelines. */
export interface AlertJournalStore {
  /** Stores alert states; a repeated (fingerprint, startsAt, status) is skipped. */
  insertAlerts(records: readonly AlertRecord[]): Promise<WriteResult>;
  /** A model's alert states that started before `toMs` and did not resolve before `fromMs`, oldest first. */
  alertJournal(q: { namespace: string; model: string; fromMs: number; toMs: number }): Promise<AlertRecord[]>;
}

/** Request records read by reports: one row per answered request, without payloads. */
export interface RequestRecord {
  timeMs: number;
  revision: string | null;
  endpoint: string;
  status: number;
  latencyMs: number | null;
}

/** Reads of reports: the request records of a range, and when each revision was first seen. */
export interface ReportStore {
  /** Answered requests (with a status) with time in [fromMs, toMs), oldest first. */
  requestRecords(q: { namespace: string; model: string; fromMs: number; toMs: number }): Promise<RequestRecord[]>;
  /** Per-step counts of answered requests in [fromMs, toMs) on `stepMs` steps from `fromMs`, leaving out times in `exclude`: total, 5xx, with a latency, and slower than each threshold. */
  stepCounts(q: { namespace: string; model: string; fromMs: number; toMs: number; stepMs: number; thresholdsMs: readonly number[]; exclude: ReadonlyArray<{ fromMs: number; toMs: number }> }): Promise<Array<{ startMs: number; total: number; failed: number; timed: number; slow: number[] }>>;
  /** Each revision's first and last record time; `oldestMs` is the oldest record of the model kept. */
  revisions(q: { namespace: string; model: string }): Promise<{ revisions: Array<{ revision: string; firstMs: number; lastMs: number }>; oldestMs: number | null }>;
}

/** A ground-truth label of one prediction (POST /v1/feedback), as ingest decodes it. */
export type { LabelRecord } from '../ingest/feedback.js';

/** A stored label whose prediction's response is stored too, not judged yet. */
export interface LabelJoin {
  namespace: string;
  model: string;
  requestId: string;
  /** JSON text of the label. */
  label: string;
  revision: string | null;
  /** The prediction's time. */
  timeMs: number;
  predictions: unknown[] | null;
  response: string | Buffer | null;
}

/** How a joined label judged its prediction: `unreadable` when no prediction value could be read (not counted). */
export type LabelOutcome = 'correct' | 'incorrect' | 'unreadable';

/** The judgement of one join, with the prediction value it read (JSON text, null when unreadable). */
export interface LabelJudgement {
  namespace: string;
  model: string;
  requestId: string;
  outcome: LabelOutcome;
  revision: string | null;
  prediction: string | null;
  predictionTimeMs: number;
}

/** A judged label of the figures: the label and prediction values (parsed), by revision. */
export interface LabelledPrediction {
  revision: string | null;
  label: unknown;
  prediction: unknown;
  timeMs: number;
}

/** Totals of judged labels per model, revision and outcome (the exported counters). */
export interface LabelCount {
  namespace: string;
  model: string;
  revision: string;
  outcome: 'correct' | 'incorrect';
  n: number;
}

/** A label refused because its request id already has another one (the first label is kept). */
export class LabelConflict extends Error {
  constructor(
    readonly index: number,
    readonly stored: string,
  ) {
    super(`request id already has the label ${stored}`);
  }
}

/** Ground truth: labels, their joins to predictions (in either order), and the judged pairs. */
export interface FeedbackStore {
  /** Stores labels all-or-nothing; a repeated identical label is a duplicate; a different one rejects with LabelConflict. */
  insertLabels(records: readonly LabelRecord[]): Promise<WriteResult>;
  /** Labels not judged yet whose prediction has a stored response, at most `limit`. */
  pendingJoins(limit: number): Promise<LabelJoin[]>;
  /** Records judgements (each once) and adds the correct/incorrect ones to the label counts; returns how many were new. */
  recordJudgements(judgements: readonly LabelJudgement[]): Promise<number>;
  /** Judged labels of a model whose prediction time is in [fromMs, toMs), oldest first (unreadable ones left out). */
  labelled(q: { namespace: string; model: string; fromMs: number; toMs: number }): Promise<LabelledPrediction[]>;
  /** Every model's label counts (monotone: retention leaves them). */
  labelCounts(): Promise<LabelCount[]>;
}

/** The whole store the daemon is built on. */
export type Store = IngestStore & QueryStore & MaintenanceStore & DriftStore & CanaryStore & AlertJournalStore & ReportStore & FeedbackStore;
