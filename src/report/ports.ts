/**
 * What a postmortem report reads, as small ports (the daemon's store satisfies the required ones;
 * canary decisions and Prometheus's ALERTS history are optional and simply absent when missing).
 * Times are epoch milliseconds; ranges are [fromMs, toMs).
 */

/** The model and time range a read is about. */
export interface RangeQuery {
  namespace: string;
  model: string;
  fromMs: number;
  toMs: number;
}

/** One answered request (the sidecar's or KServe logger's response record), without payloads. */
export interface RequestRow {
  timeMs: number;
  revision: string | null;
  endpoint: string;
  status: number;
  latencyMs: number | null;
}

/** Counts of one step of answered requests (before the range: what the budget and trailing windows need). */
export interface StepCount {
  startMs: number;
  /** Answered requests, and those answered 5xx. */
  total: number;
  failed: number;
  /** Requests with a latency, and per asked threshold those slower than it. */
  timed: number;
  slow: number[];
}

/** One alert state: from the alert journal, or an interval of Prometheus's `ALERTS` series. */
export interface AlertState {
  status: 'firing' | 'resolved';
  startsAtMs: number;
  endsAtMs: number | null;
  alertname: string;
  labels: Record<string, string>;
  /** Where the routing sent it (empty when only Prometheus saw it). */
  receivers: string[];
}

/** One feature's result of a stored drift check. */
export interface DriftRow {
  runMs: number;
  endpoint: string;
  feature: string;
  test: string;
  featureLevel: string;
  score: number | null;
  threshold: number;
}

/** One audit record of a canary decision. */
export interface CanaryDecision {
  timeMs: number;
  revision: string;
  verdict: 'promote' | 'step' | 'hold' | 'rollback';
  action: string;
  patch: unknown;
  reason: string;
}

/** The stored data a report is built from. */
export interface ReportSource {
  requestRecords(q: RangeQuery): Promise<RequestRow[]>;
  /** Per-step counts of answered requests in the range (from `fromMs`, on `stepMs` steps), leaving out those in `exclude`; steps without requests are absent. */
  stepCounts(q: RangeQuery & { stepMs: number; thresholdsMs: readonly number[]; exclude: ReadonlyArray<{ fromMs: number; toMs: number }> }): Promise<StepCount[]>;
  revisions(q: { namespace: string; model: string }): Promise<{ revisions: Array<{ revision: string; firstMs: number; lastMs: number }>; oldestMs: number | null }>;
  alertJournal(q: RangeQuery): Promise<AlertState[]>;
  driftResults(q: { namespace: string; model: string; fromMs?: number; toMs?: number; limit: number }): Promise<DriftRow[]>;
  /** Canary decisions in the range, at most `limit` (the newest); optional: a source without canary analysis has none. */
  canaryDecisions?(q: RangeQuery & { limit: number }): Promise<CanaryDecision[]>;
}

/** Prometheus's `ALERTS{alertstate="firing"}` history of a model, as alert states (optional). */
export interface AlertHistory {
  firingAlerts(q: RangeQuery): Promise<AlertState[]>;
}
