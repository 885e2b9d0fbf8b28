/**
 * Synthetic history of everything the dashboards read: the sidecar's request counters and latency
 * histogram (two revisions, a canary appearing late, errors and a fast burn at the end), capture
 * counters, queue depth and event-loop lag of sidecar and daemon, the predictor's readiness, load
 * times and requests in flight, and the daemon's drift and canary series. Deterministic; written as OpenMetrics for `promtool tsdb create-blocks-from`.
 */
import { LOAD_BUCKETS_SECONDS } from '../../src/sidecar/readiness.js';
import type { Sample } from '../../src/slo/prom-rate.js';

/** One series and its samples (times in ms). */
export interface Series {
  name: string;
  labels: Record<string, string>;
  samples: Sample[];
}

/** Options of the history. */
export interface HistoryOptions {
  endMs: number;
  minutes: number;
  namespace: string;
  model: string;
  /** Latency bucket bounds in seconds, as the sidecar exports them. */
  bucketsSeconds: number[];
}

const FAMILIES: Array<{ family: string; type: string; names: (n: string) => boolean }> = [
  { family: 'modelslo_requests', type: 'counter', names: (n) => n === 'modelslo_requests_total' },
  { family: 'modelslo_request_duration_seconds', type: 'histogram', names: (n) => n.startsWith('modelslo_request_duration_seconds') },
  { family: 'modelslo_capture_events', type: 'counter', names: (n) => n === 'modelslo_capture_events_total' },
  { family: 'modelslo_capture_queue_depth', type: 'gauge', names: (n) => n === 'modelslo_capture_queue_depth' },
  { family: 'modelslo_capture_payload_bytes', type: 'counter', names: (n) => n === 'modelslo_capture_payload_bytes_total' },
  { family: 'modelslo_capture_truncated', type: 'counter', names: (n) => n === 'modelslo_capture_truncated_total' },
  { family: 'nodejs_eventloop_lag_p99_seconds', type: 'gauge', names: (n) => n === 'nodejs_eventloop_lag_p99_seconds' },
  { family: 'modelslo_sidecar_nodejs_eventloop_lag_p99_seconds', type: 'gauge', names: (n) => n === 'modelslo_sidecar_nodejs_eventloop_lag_p99_seconds' },
  { family: 'modelslo_drift_score', type: 'gauge', names: (n) => n === 'modelslo_drift_score' },
  { family: 'modelslo_drift_detected', type: 'gauge', names: (n) => n === 'modelslo_drift_detected' },
  { family: 'modelslo_canary_decisions', type: 'counter', names: (n) => n === 'modelslo_canary_decisions_total' },
  { family: 'modelslo_requests_in_flight', type: 'gauge', names: (n) => n === 'modelslo_requests_in_flight' },
  { family: 'modelslo_predictor_ready', type: 'gauge', names: (n) => n === 'modelslo_predictor_ready' },
  { family: 'modelslo_predictor_load_seconds', type: 'histogram', names: (n) => n.startsWith('modelslo_predictor_load_seconds') },
];


/** Model loads of the history: revision, minutes before the end it ended, seconds it took. */
export const LOADS: ReadonlyArray<{ revision: string; ago: number; seconds: number }> = [
  { revision: 'fraud-detector-predictor-00002', ago: 38, seconds: 45 },
  { revision: 'fraud-detector-predictor-00001', ago: 29, seconds: 20 },
];

/** Builds the history: one sample a minute for every series, ending at `endMs` (whole seconds). */
export function sidecarHistory(o: HistoryOptions): Series[] {
  const series = new Map<string, Series>();
  const at = (name: string, labels: Record<string, string>): Series => {
    const key = `${name}${JSON.stringify(labels)}`;
    let s = series.get(key);
    if (s === undefined) {
      s = { name, labels, samples: [] };
      series.set(key, s);
    }
    return s;
  };
  const counter = (name: string, labels: Record<string, string>, t: number, inc: number): void => {
    const s = at(name, labels);
    const last = s.samples[s.samples.length - 1]?.v ?? 0;
    s.samples.push({ t, v: last + inc });
  };
  const gauge = (name: string, labels: Record<string, string>, t: number, v: number): void => {
    at(name, labels).samples.push({ t, v });
  };
  const base = { namespace: o.namespace, model: o.model, protocol: 'v2' };
  const start = o.endMs - (o.minutes - 1) * 60_000;
  for (let i = 0; i < o.minutes; i++) {
    const t = start + i * 60_000;
    const ago = o.minutes - 1 - i;
    const wave = 1 + 0.3 * Math.sin(i / 40);
    // Revision 1 serves all along; the canary revision 2 appears 40 minutes before the end.
    const revisions: Array<[string, number]> = ago < 40 ? [['fraud-detector-predictor-00001', 0.8], ['fraud-detector-predictor-00002', 0.2]] : [['fraud-detector-predictor-00001', 1]];
    for (const [revision, share] of revisions) {
      const total = Math.round(600 * wave * share);
      // Background 0.05% errors, an incident a day ago, and a fast burn (8%) in the last 70 minutes.
      const ratio = ago < 70 ? 0.08 : ago > 1440 && ago < 1500 ? 0.02 : 0.0005;
      const errors = Math.round(total * ratio);
      counter('modelslo_requests_total', { ...base, revision, code: '200' }, t, total - errors);
      counter('modelslo_requests_total', { ...base, revision, code: '500' }, t, errors);
      // Latency: most requests fast, a slow tail that grows during the burn.
      const slowShare = ago < 70 ? 0.05 : 0.005;
      const within = (le: number): number => (le < 0.05 ? 0.3 : le < 0.2 ? 0.9 : le < 1 ? 1 - slowShare : le < 5 ? 1 - slowShare / 2 : 1);
      for (const le of o.bucketsSeconds) {
        counter('modelslo_request_duration_seconds_bucket', { ...base, revision, le: String(le) }, t, Math.round(total * within(le)));
      }
      counter('modelslo_request_duration_seconds_bucket', { ...base, revision, le: '+Inf' }, t, total);
      counter('modelslo_request_duration_seconds_count', { ...base, revision }, t, total);
      counter('modelslo_request_duration_seconds_sum', { ...base, revision }, t, total * 0.08);
    }
    for (const [revision] of revisions) {
      const r = { namespace: o.namespace, model: o.model, revision };
      gauge('modelslo_requests_in_flight', r, t, 3 + (i % 4) + (ago < 70 ? 10 : 0));
      gauge('modelslo_predictor_ready', r, t, revision.endsWith('00001') ? (ago === 30 ? 1 : 2) : 1);
      const loads = LOADS.filter((l) => l.revision === revision && l.ago === ago);
      for (const le of LOAD_BUCKETS_SECONDS) counter('modelslo_predictor_load_seconds_bucket', { ...r, le: String(le) }, t, loads.filter((l) => l.seconds <= le).length);
      counter('modelslo_predictor_load_seconds_bucket', { ...r, le: '+Inf' }, t, loads.length);
      counter('modelslo_predictor_load_seconds_count', r, t, loads.length);
      counter('modelslo_predictor_load_seconds_sum', r, t, loads.reduce((a, l) => a + l.seconds, 0));
    }
    const sidecar = { job: 'modelslo-sidecar', instance: '10.0.0.7:8081' };
    counter('modelslo_capture_events_total', { ...sidecar, outcome: 'shipped' }, t, 580);
    counter('modelslo_capture_events_total', { ...sidecar, outcome: 'spooled' }, t, ago < 90 && ago > 60 ? 40 : 0);
    counter('modelslo_capture_events_total', { ...sidecar, outcome: 'dropped' }, t, ago < 75 && ago > 70 ? 5 : 0);
    counter('modelslo_capture_events_total', { ...sidecar, outcome: 'redacted' }, t, 600);
    gauge('modelslo_capture_queue_depth', sidecar, t, ago < 90 && ago > 60 ? 800 : 3);
    for (const direction of ['request', 'response']) {
      counter('modelslo_capture_payload_bytes_total', { ...sidecar, direction }, t, 600 * 900);
      counter('modelslo_capture_truncated_total', { ...sidecar, direction }, t, direction === 'response' && ago % 7 === 0 ? 1 : 0);
    }
    gauge('modelslo_sidecar_nodejs_eventloop_lag_p99_seconds', sidecar, t, 0.002);
    gauge('nodejs_eventloop_lag_p99_seconds', { job: 'modelslo-daemon', instance: '10.0.0.9:9464' }, t, 0.004);
    for (const [feature, score] of [['amount', ago < 120 ? 0.31 : 0.04], ['country', 0.02], ['prediction', 0.05]] as const) {
      gauge('modelslo_drift_score', { namespace: o.namespace, model: o.model, feature, test: feature === 'country' ? 'psi' : 'ks' }, t, score);
    }
    gauge('modelslo_drift_detected', { namespace: o.namespace, model: o.model, feature: 'amount' }, t, ago < 120 ? 1 : 0);
    for (const decision of ['promote', 'hold', 'rollback']) {
      counter('modelslo_canary_decisions_total', { namespace: o.namespace, model: o.model, decision }, t, decision === 'rollback' ? (ago === 20 ? 1 : 0) : decision === 'hold' && ago < 40 ? 1 : 0);
    }
  }
  return [...series.values()];
}

/** OpenMetrics text of the series: `# TYPE` per family (these and `more`), timestamps in seconds, `# EOF`. */
export function openMetricsText(all: readonly Series[], more: typeof FAMILIES = []): string {
  const out: string[] = [];
  for (const f of [...FAMILIES, ...more]) {
    out.push(`# TYPE ${f.family} ${f.type}\n`);
    for (const s of all.filter((x) => f.names(x.name))) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',');
      out.push(s.samples.map((p) => `${s.name}{${labels}} ${String(p.v)} ${p.t / 1000}\n`).join(''));
    }
  }
  out.push('# EOF\n');
  return out.join('');
}
