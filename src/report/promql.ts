/**
 * The PromQL behind each figure: what a reader runs against Prometheus (the sidecar's or KServe's
 * counters and the generated recording rules) to check the store's numbers. `@` pins an
 * expression at the incident's end.
 */
import type { Model } from '../model/types.js';
import { RULE_NAMES } from '../rules/types.js';
import { errorRatioExpr, SIDECAR_METRICS, sliSeries } from '../rules/sli-queries.js';
import { renderSelector } from '../spec/promql.js';

/** A figure and the PromQL that gives it. */
export interface FigureQuery {
  figure: string;
  expr: string;
}

/** The queries of a model's figures for the incident [fromMs, toMs). */
export function promqlOf(model: Model, fromMs: number, toMs: number): FigureQuery[] {
  const range = `${Math.max(1, Math.round((toMs - fromMs) / 1000))}s`;
  const at = `@ ${Math.round(toMs / 1000)}`;
  const scope = `namespace="${model.namespace}",model="${model.name}"`;
  const out: FigureQuery[] = [];
  if (model.sliSource === 'sidecar') {
    out.push({ figure: 'requests served', expr: `sum(increase(${SIDECAR_METRICS.requests}{${scope}}[${range}] ${at}))` });
    out.push({ figure: 'requests failed (5xx)', expr: `sum(increase(${SIDECAR_METRICS.requests}{${scope},code=~"5.."}[${range}] ${at}))` });
    out.push({ figure: 'requests per revision', expr: `sum by (revision) (increase(${SIDECAR_METRICS.requests}{${scope}}[${range}] ${at}))` });
  }
  for (const slo of model.slos) {
    if (slo.sli.kind === 'promql') {
      out.push({ figure: `SLO ${slo.name}: error ratio over the incident`, expr: `${RULE_NAMES.sliError('5m')}{${scope},slo="${slo.name}"} ${at}` });
      continue;
    }
    const series = sliSeries(model, slo);
    if (slo.sli.kind === 'latency' && model.sliSource === 'sidecar') {
      out.push({ figure: `requests slower than ${slo.sli.thresholdMs} ms`, expr: `sum(increase(${renderSelector(series.total)}[${range}] ${at})) - sum(increase(${renderSelector(series.errors)}[${range}] ${at}))` });
    }
    out.push({ figure: `SLO ${slo.name}: error ratio over the incident`, expr: errorRatioExpr(series, range).replaceAll(`[${range}]`, `[${range}] ${at}`) });
    out.push({ figure: `SLO ${slo.name}: error budget remaining after the incident`, expr: `${RULE_NAMES.budgetRemaining}{${scope},slo="${slo.name}"} ${at}` });
    out.push({ figure: `SLO ${slo.name}: burn alerts in the range`, expr: `ALERTS{alertname="${slo.alerts.name ?? RULE_NAMES.burnAlert}",${scope},slo="${slo.name}",alertstate="firing"}` });
  }
  return out;
}
