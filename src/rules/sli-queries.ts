/**
 * The PromQL of an SLI's error ratio over a window, per SLI source. Every expression is
 * errors / total over `rate(...[window])`, summed across pods and revisions of the model.
 */
import type { Model, Slo } from '../model/types.js';
import { parseSelector, renderSelector, type LabelMatcher, type VectorSelector } from '../spec/promql.js';
import { renderTemplate } from '../spec/promql-template.js';

import { SIDECAR_METRICS } from '../model/metric-names.js';

export { SIDECAR_METRICS };

/** Metric names of Knative's queue-proxy in front of a KServe predictor (knative.dev/docs, serving metrics). */
export const KNATIVE_METRICS = {
  requests: 'revision_app_request_count',
  latency: 'revision_app_request_latencies',
} as const;

/**
 * Metric names of the daemon: ground-truth labels joined to predictions (POST /v1/feedback), by
 * `outcome` (correct | incorrect). A correctness SLI needs the daemon's /metrics scraped.
 */
export const DAEMON_METRICS = {
  labelled: 'modelslo_predictions_labelled_total',
} as const;

/** The counter series an SLI is computed from: errors (or good) and total. */
export interface SliSeries {
  /** Counts failed events, or, when `goodCounts` is true, succeeded events. */
  errors: VectorSelector;
  total: VectorSelector;
  goodCounts: boolean;
}

const eq = (name: string, value: string): LabelMatcher => ({ name, op: '=', value });

/** A model's request counter with the names of its status-code and revision labels. */
export interface RequestCounter {
  selector: VectorSelector;
  code: string;
  revision: string;
}

/**
 * The request counter of a model's SLI source: the sidecar's, or Knative queue-proxy's (whose
 * configuration is `<model>-predictor`, or `-predictor-default` before KServe 0.9); none for custom.
 */
export function requestCounter(model: Model): RequestCounter | undefined {
  if (model.sliSource === 'kserve') {
    const matchers = [eq('namespace_name', model.namespace), { name: 'configuration_name', op: '=~', value: `${model.name}-predictor(-default)?` } as LabelMatcher];
    return { selector: { metric: KNATIVE_METRICS.requests, matchers }, code: 'response_code', revision: 'revision_name' };
  }
  if (model.sliSource === 'sidecar') {
    return { selector: { metric: SIDECAR_METRICS.requests, matchers: [eq('namespace', model.namespace), eq('model', model.name)] }, code: 'code', revision: 'revision' };
  }
  return undefined;
}

/** Prometheus's text of a latency bound in seconds, as prom-client writes the `le` label. */
export function leSeconds(ms: number): string {
  return String(ms / 1000);
}

/** The counter selectors behind an SLO's SLI; a promql SLI has none (see sliErrorExpr). */
export function sliSeries(model: Model, slo: Slo): SliSeries {
  const sli = slo.sli;
  if (sli.kind === 'promql') throw new Error(`SLO ${slo.name} has a PromQL template SLI, not counter selectors`);
  if (sli.kind === 'ratio') {
    const sel = (text: string): VectorSelector => {
      const parsed = parseSelector(text);
      if (typeof parsed === 'string') throw new Error(`invalid selector "${text}": ${parsed}`);
      return parsed;
    };
    const good = sli.selectors.good;
    return good !== undefined
      ? { errors: sel(good), total: sel(sli.selectors.total), goodCounts: true }
      : { errors: sel(sli.selectors.bad ?? ''), total: sel(sli.selectors.total), goodCounts: false };
  }
  if (sli.kind === 'correctness') {
    // The daemon counts labelled predictions whatever the model's request-metric source.
    const base = [eq('namespace', model.namespace), eq('model', model.name)];
    return {
      errors: { metric: DAEMON_METRICS.labelled, matchers: [...base, eq('outcome', 'incorrect')] },
      total: { metric: DAEMON_METRICS.labelled, matchers: base },
      goodCounts: false,
    };
  }
  if (model.sliSource === 'kserve') {
    const base = requestCounter(model)?.selector.matchers ?? [];
    if (sli.kind === 'availability') {
      return {
        errors: { metric: KNATIVE_METRICS.requests, matchers: [...base, eq('response_code_class', '5xx')] },
        total: { metric: KNATIVE_METRICS.requests, matchers: base },
        goodCounts: false,
      };
    }
    return {
      errors: { metric: `${KNATIVE_METRICS.latency}_bucket`, matchers: [...base, eq('le', String(sli.thresholdMs))] },
      total: { metric: `${KNATIVE_METRICS.latency}_count`, matchers: base },
      goodCounts: true,
    };
  }
  const base = [eq('namespace', model.namespace), eq('model', model.name)];
  if (sli.kind === 'availability') {
    return {
      errors: { metric: SIDECAR_METRICS.requests, matchers: [...base, { name: 'code', op: '=~', value: '5..' }] },
      total: { metric: SIDECAR_METRICS.requests, matchers: base },
      goodCounts: false,
    };
  }
  return {
    errors: { metric: `${SIDECAR_METRICS.duration}_bucket`, matchers: [...base, eq('le', leSeconds(sli.thresholdMs))] },
    total: { metric: `${SIDECAR_METRICS.duration}_count`, matchers: base },
    goodCounts: true,
  };
}

/**
 * Error ratio over `window`. With bad events: `(sum(rate(bad)) or vector(0)) / sum(rate(total))`
 * (no error series yet means zero errors, not no data). With good events:
 * `(sum(rate(total)) - (sum(rate(good)) or vector(0))) / sum(rate(total))`. No traffic gives NaN (0/0): data
 * present, nothing to judge; no series at all gives an empty result, which the absent alert sees.
 */
export function errorRatioExpr(series: SliSeries, window: string): string {
  const rate = (sel: VectorSelector): string => `sum(rate(${renderSelector(sel)}[${window}]))`;
  const total = rate(series.total);
  return series.goodCounts ? `(${total} - (${rate(series.errors)} or vector(0))) / ${total}` : `(${rate(series.errors)} or vector(0)) / ${total}`;
}

/**
 * An SLO's error ratio over `window`: the template rendered (bracketed, as Sloth brackets a raw
 * query) for a promql SLI, else errorRatioExpr of its counter selectors.
 */
export function sliErrorExpr(model: Model, slo: Slo, window: string): string {
  if (slo.sli.kind === 'promql') return `(${renderTemplate(slo.sli.errorRatio, window).trim()})`;
  return errorRatioExpr(sliSeries(model, slo), window);
}
