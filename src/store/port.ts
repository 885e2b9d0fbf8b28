/**
 * The Store port: what the daemon needs of its storage, in small interfaces by concern, so that a
 * PostgreSQL adapter can follow the SQLite one. Methods return promises for that reason.
 */
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

/** The whole store the daemon is built on. */
export type Store = IngestStore & QueryStore & MaintenanceStore & DriftStore;
