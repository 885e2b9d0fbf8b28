/**
 * Prometheus's `ALERTS` history of a model, for reports: a range query of
 * `ALERTS{namespace, model, alertstate="firing"}` turned into one firing interval per run of
 * consecutive samples (a gap longer than two steps ends a run).
 */
import type { AlertHistory, AlertState, RangeQuery } from '../report/ports.js';
import { rangeQuery, type RangeSeries } from './prometheus-query.js';

/** The step of the range query. */
const STEP_S = 60;

/** The AlertHistory port over a Prometheus HTTP API at `url`. */
export function prometheusAlertHistory(url: string, timeoutMs = 30_000): AlertHistory {
  return {
    async firingAlerts(q: RangeQuery): Promise<AlertState[]> {
      const query = `ALERTS{namespace="${q.namespace}",model="${q.model}",alertstate="firing"}`;
      let result: RangeSeries[];
      try {
        result = await rangeQuery(url, query, q.fromMs / 1000, q.toMs / 1000, STEP_S, timeoutMs);
      } catch (cause) {
        throw new Error(`cannot read ALERTS history from Prometheus at ${url}`, { cause });
      }
      const out: AlertState[] = [];
      for (const series of result) {
        const { alertstate: _state, __name__: _name, ...labels } = series.metric;
        let start: number | null = null;
        let prev = 0;
        const close = (): void => {
          if (start !== null) out.push({ status: 'resolved', startsAtMs: start * 1000, endsAtMs: (prev + STEP_S) * 1000, alertname: labels.alertname ?? '', labels, receivers: [] });
        };
        for (const [t] of series.values) {
          if (start !== null && t - prev > 2 * STEP_S) {
            close();
            start = null;
          }
          start ??= t;
          prev = t;
        }
        close();
      }
      return out.sort((a, b) => a.startsAtMs - b.startsAtMs);
    },
  };
}
