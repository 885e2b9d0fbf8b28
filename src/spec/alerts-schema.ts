/**
 * The failure-mode alerts' sections of the config file (version 1): `models[].alerts` and
 * `defaults.alerts`, in zod, every field optional; a model's value wins over the defaults', which
 * win over FAILURE_ALERT_DEFAULTS. Also the cross-field checks and the mapping to FailureAlerts.
 * The defaults and their reasons are in docs/rules.md ("Failure-mode alerts").
 */
import { z } from 'zod';
import type { FailureAlerts } from '../model/types.js';
import { durationSeconds } from '../slo/burn-windows.js';
import type { FieldPath } from './positions.js';

// Whole minutes at least: the generated promtool tests and subqueries step once a minute.
const minutes = z.string().regex(/^[0-9]+(m|h|d)$/, 'must be a duration in minutes, hours or days, such as 30m');
const count = z.number({ error: 'must be a number' }).int('must be a whole number').positive('must be at least 1');
const share = z.number({ error: 'must be a number' }).gt(0, 'must be between 0 and 1 (exclusive)').lt(1, 'must be between 0 and 1 (exclusive)');

const base = {
  enabled: z.boolean({ error: 'must be true or false' }).optional(),
  severity: z.enum(['page', 'ticket'], { error: 'must be page or ticket' }).optional(),
  for: minutes.optional(),
};
const windowed = { ...base, window: minutes.optional() };
const shareAlert = z.strictObject({ ...windowed, share: share.optional(), min_requests: count.optional() });

/** The `alerts` section of a model, or of `defaults`. */
export const alertsSchema = z.strictObject({
  model_load_failure: z.strictObject({ ...windowed, restarts: count.optional() }).optional(),
  oom_kills: z.strictObject({ ...windowed, restarts: count.optional() }).optional(),
  cold_start_latency: z.strictObject({ ...windowed, p99_ms: z.number({ error: 'must be a number' }).positive('must be a positive number of milliseconds').optional(), min_requests: count.optional() }).optional(),
  scale_thrashing: z.strictObject({ ...windowed, changes: count.optional() }).optional(),
  network_timeouts: shareAlert.optional(),
  unauthorized_requests: shareAlert.optional(),
  version_skew: z.strictObject(base).optional(),
});

/** The section as validated. */
export type AlertsFile = z.output<typeof alertsSchema>;

/** Built-in settings of every failure-mode alert (docs/rules.md gives the reasons). */
export const FAILURE_ALERT_DEFAULTS: FailureAlerts = {
  modelLoadFailure: { enabled: true, severity: 'page', for: '15m', restarts: 3, window: '30m' },
  oomKills: { enabled: true, severity: 'ticket', for: '0m', restarts: 1, window: '1h' },
  coldStartLatency: { enabled: true, severity: 'ticket', for: '5m', p99Ms: 5000, minRequests: 20, window: '30m' },
  scaleThrashing: { enabled: true, severity: 'ticket', for: '0m', changes: 10, window: '1h' },
  networkTimeouts: { enabled: true, severity: 'ticket', for: '5m', share: 0.05, minRequests: 100, window: '10m' },
  unauthorizedRequests: { enabled: true, severity: 'ticket', for: '10m', share: 0.1, minRequests: 100, window: '30m' },
  versionSkew: { enabled: true, severity: 'ticket', for: '4h' },
};

/** The file's key of each alert. */
const KEYS = {
  modelLoadFailure: 'model_load_failure',
  oomKills: 'oom_kills',
  coldStartLatency: 'cold_start_latency',
  scaleThrashing: 'scale_thrashing',
  networkTimeouts: 'network_timeouts',
  unauthorizedRequests: 'unauthorized_requests',
  versionSkew: 'version_skew',
} as const satisfies Record<keyof FailureAlerts, keyof AlertsFile>;

/** The file's snake_case field of each camelCase setting that differs. */
const FIELDS: Record<string, string> = { p99Ms: 'p99_ms', minRequests: 'min_requests' };

/**
 * A model's failure-mode alerts: each field from the model, else the defaults, else the built-ins.
 * The built-in cold-start bound stays inside the sidecar's latency buckets (sorted): with buckets
 * that end at or below it, it is the bound next to the largest.
 */
export function failureAlerts(model: AlertsFile | undefined, defaults: AlertsFile | undefined, latencyBucketsMs: readonly number[] = []): FailureAlerts {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, builtIn] of Object.entries(FAILURE_ALERT_DEFAULTS) as Array<[keyof FailureAlerts, Record<string, unknown>]>) {
    const key = KEYS[name];
    const mine = (model?.[key] ?? {}) as Record<string, unknown>;
    const theirs = (defaults?.[key] ?? {}) as Record<string, unknown>;
    out[name] = Object.fromEntries(Object.entries(builtIn).map(([field, value]) => [field, mine[FIELDS[field] ?? field] ?? theirs[FIELDS[field] ?? field] ?? value]));
  }
  const resolved = out as unknown as FailureAlerts;
  const high = latencyBucketsMs[latencyBucketsMs.length - 1];
  const unset = model?.cold_start_latency?.p99_ms === undefined && defaults?.cold_start_latency?.p99_ms === undefined;
  if (unset && high !== undefined && resolved.coldStartLatency.p99Ms >= high) {
    resolved.coldStartLatency.p99Ms = latencyBucketsMs[latencyBucketsMs.length - 2] ?? resolved.coldStartLatency.p99Ms;
  }
  return resolved;
}

/**
 * Cross-field problems of the resolved settings, placed at the model's `alerts` section: the
 * cold-start bound inside the sidecar's latency buckets (`latencyBucketsMs`, sorted); windows
 * of at least 5m; the `for` of a restart or change count at most half its window (one event keeps
 * the condition true for one window only); and thrashing needs fewer changes than minutes in its window (the pod count is
 * sampled once a minute).
 */
export function checkFailureAlerts(a: FailureAlerts, at: (...rest: FieldPath) => FieldPath, latencyBucketsMs: readonly number[]): Array<[FieldPath, string]> {
  const out: Array<[FieldPath, string]> = [];
  // histogram_quantile answers at most the largest finite bucket bound, and at least the smallest.
  const low = latencyBucketsMs[0] ?? 0;
  const high = latencyBucketsMs[latencyBucketsMs.length - 1] ?? 0;
  if (!(a.coldStartLatency.p99Ms > low && a.coldStartLatency.p99Ms < high)) {
    out.push([at('alerts', KEYS.coldStartLatency, 'p99_ms'), `must be between the smallest and the largest latency bucket (${low} and ${high} ms, exclusive): the cold-start histogram has the request histogram's buckets`]);
  }
  const windowed = ['modelLoadFailure', 'oomKills', 'coldStartLatency', 'scaleThrashing', 'networkTimeouts', 'unauthorizedRequests'] as const;
  for (const name of windowed) {
    if (durationSeconds(a[name].window) < 300) out.push([at('alerts', KEYS[name], 'window'), `must be at least 5m, got ${a[name].window}`]);
  }
  for (const name of ['oomKills', 'scaleThrashing'] as const) {
    if (durationSeconds(a[name].for) * 2 > durationSeconds(a[name].window)) {
      out.push([at('alerts', KEYS[name], 'for'), `must be at most half the window (${a[name].window}): one restart or change keeps the condition true for one window only`]);
    }
  }
  const perMinute = durationSeconds(a.scaleThrashing.window) / 60;
  if (a.scaleThrashing.changes >= perMinute - 1) {
    out.push([at('alerts', KEYS.scaleThrashing, 'changes'), `must be less than ${perMinute - 1} for a ${a.scaleThrashing.window} window (the ready-pod count is sampled once a minute)`]);
  }
  return out;
}
