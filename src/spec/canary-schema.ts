/**
 * The `models[].canary` section of the config file (version 1), in zod, with its defaults, the
 * cross-field checks, and the mapping to the core's CanarySettings. Defaults and their reasons are
 * in docs/canary.md.
 */
import { z } from 'zod';
import type { CanarySettings, DriftFeatureKind } from '../model/types.js';
import type { FieldPath } from './positions.js';
import { promqlError } from './promql.js';

const duration = z.string().regex(/^[0-9]+(ms|s|m|h|d|w|y)$/, 'must be a Prometheus duration such as 10m');
const share = (what: string) => z.number({ error: 'must be a number' }).min(0, `must be ${what}`).max(1, `must be ${what}`);

const customCheck = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?$/, 'must be lowercase letters, digits, "-" or "_"'),
    query: z.string().min(1, 'must be a PromQL expression'),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((c) => c.min !== undefined || c.max !== undefined, { message: 'needs min, max or both (the range the value must stay in)' });

/** Defaults of the canary section (docs/canary.md gives the reasons). */
export const CANARY_DEFAULTS = {
  interval: '1m',
  window: '10m',
  min_requests: 200,
  failure_limit: 2,
  promote_after: 3,
  action: 'rollback',
  dry_run: false,
  max_error_rate_delta: 0.01,
  confidence: 0.98,
  latency_tolerance: 0.25,
  latency_allowed_increase: 1,
  max_latency_p99_ratio: 1.5,
  max_prediction_drift: 0.2,
} as const;

/** The canary section. */
export const canarySchema = z.strictObject({
  interval: duration.default(CANARY_DEFAULTS.interval),
  window: duration.default(CANARY_DEFAULTS.window),
  min_requests: z.number().int('must be a whole number').positive('must be a positive number of requests').default(CANARY_DEFAULTS.min_requests),
  failure_limit: z.number().int('must be a whole number').positive('must be at least 1').default(CANARY_DEFAULTS.failure_limit),
  promote_after: z.number().int('must be a whole number').positive('must be at least 1').default(CANARY_DEFAULTS.promote_after),
  steps: z.array(z.number().int('must be a whole percent').min(1, 'must be between 1 and 99').max(99, 'must be between 1 and 99')).min(1, 'needs at least one percent').optional(),
  action: z.enum(['rollback', 'notify'], { error: 'must be rollback or notify' }).default(CANARY_DEFAULTS.action),
  dry_run: z.boolean({ error: 'must be true or false' }).default(CANARY_DEFAULTS.dry_run),
  max_error_rate_delta: share('between 0 and 1 (an absolute difference of 5xx shares)').default(CANARY_DEFAULTS.max_error_rate_delta),
  confidence: z.number({ error: 'must be a number' }).gt(0.5, 'must be between 0.5 and 1 (exclusive)').lt(1, 'must be between 0.5 and 1 (exclusive)').default(CANARY_DEFAULTS.confidence),
  latency_tolerance: z.number({ error: 'must be a number' }).min(0, 'must be 0 or more').default(CANARY_DEFAULTS.latency_tolerance),
  latency_allowed_increase: z.number({ error: 'must be a number' }).min(1, 'must be 1 or more (a ratio of mean latencies)').default(CANARY_DEFAULTS.latency_allowed_increase),
  max_latency_p99_ratio: z.number({ error: 'must be a number' }).min(1, 'must be 1 or more (canary p99 / primary p99)').default(CANARY_DEFAULTS.max_latency_p99_ratio),
  max_prediction_drift: z.number({ error: 'must be a number' }).positive('must be a positive drift score').default(CANARY_DEFAULTS.max_prediction_drift),
  prediction: z.strictObject({ path: z.string().min(1), kind: z.enum(['numeric', 'categorical'], { error: 'must be numeric or categorical' }).default('numeric') }).optional(),
  custom: z.array(customCheck).default([]),
});

/** The canary section as validated. */
export type CanaryFile = z.output<typeof canarySchema>;

/** Cross-field problems of a model's canary section: steps increasing, custom checks well-formed and answerable. */
export function checkCanary(c: CanaryFile, at: (...rest: FieldPath) => FieldPath, prometheusUrl: string | undefined): Array<[FieldPath, string]> {
  const out: Array<[FieldPath, string]> = [];
  c.steps?.forEach((p, i) => {
    const prev = c.steps?.[i - 1];
    if (prev !== undefined && p <= prev) out.push([at('canary', 'steps', i), `must be larger than the step before (${prev}): steps are increasing traffic percents`]);
  });
  const seen = new Map<string, number>();
  c.custom.forEach((check, i) => {
    const prior = seen.get(check.name);
    if (prior !== undefined) out.push([at('canary', 'custom', i, 'name'), `duplicate check "${check.name}" (also custom[${prior}])`]);
    else seen.set(check.name, i);
    if (!check.query.includes('{{revision}}')) out.push([at('canary', 'custom', i, 'query'), 'must contain {{revision}} (replaced by the canary revision)']);
    const problem = promqlError(renderCustomQuery(check.query, { revision: 'r', namespace: 'ns', model: 'm' }));
    if (problem !== undefined) out.push([at('canary', 'custom', i, 'query'), problem]);
    if (check.min !== undefined && check.max !== undefined && check.max < check.min) out.push([at('canary', 'custom', i, 'max'), `must be at least min (${check.min})`]);
    if (prometheusUrl === undefined) out.push([at('canary', 'custom', i), 'custom checks are PromQL: set daemon.prometheus_url']);
  });
  return out;
}

/** A custom check's query with `{{revision}}`, `{{namespace}}` and `{{model}}` filled in. */
export function renderCustomQuery(query: string, values: { revision: string; namespace: string; model: string }): string {
  return query.replaceAll('{{revision}}', values.revision).replaceAll('{{namespace}}', values.namespace).replaceAll('{{model}}', values.model);
}

/** Maps a validated section to the core's settings; the prediction falls back to the drift section's. */
export function canarySettings(c: CanaryFile, driftPrediction: { path: string; kind: DriftFeatureKind } | undefined): CanarySettings {
  const prediction = c.prediction ?? driftPrediction;
  return {
    interval: c.interval,
    window: c.window,
    minRequests: c.min_requests,
    failureLimit: c.failure_limit,
    promoteAfter: c.promote_after,
    steps: c.steps ?? [],
    action: c.action,
    dryRun: c.dry_run,
    maxErrorRateDelta: c.max_error_rate_delta,
    confidence: c.confidence,
    latencyTolerance: c.latency_tolerance,
    latencyAllowedIncrease: c.latency_allowed_increase,
    maxLatencyP99Ratio: c.max_latency_p99_ratio,
    maxPredictionDrift: c.max_prediction_drift,
    ...(prediction !== undefined ? { prediction: { path: prediction.path, kind: prediction.kind } } : {}),
    custom: c.custom.map((k) => ({ name: k.name, query: k.query, ...(k.min !== undefined ? { min: k.min } : {}), ...(k.max !== undefined ? { max: k.max } : {}) })),
  };
}
