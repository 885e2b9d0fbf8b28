/**
 * Prometheus's `ALERTS` history of a model, for reports: a range query of
 * `ALERTS{namespace, model, alertstate="firing"}` turned into one firing interval per run of
 * consecutive samples (a gap longer than two steps ends a run).
 */
import { request } from 'undici';
import type { AlertHistory, AlertState, RangeQuery } from '../report/ports.js';

/** The step of the range query. */
const STEP_S = 60;

type Matrix = { status: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }; error?: string };

/** The AlertHistory port over a Prometheus HTTP API at `url`. */
export function prometheusAlertHistory(url: string, timeoutMs = 30_000): AlertHistory {
  return {
    async firingAlerts(q: RangeQuery): Promise<AlertState[]> {
      const query = `ALERTS{namespace="${q.namespace}",model="${q.model}",alertstate="firing"}`;
      const params = new URLSearchParams({ query, start: String(q.fromMs / 1000), end: String(q.toMs / 1000), step: `${STEP_S}s` });
      let body: Matrix;
      try {
        const res = await request(`${url.replace(/\/$/, '')}/api/v1/query_range?${params.toString()}`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
        body = (await res.body.json()) as Matrix;
      } catch (cause) {
        throw new Error(`cannot read ALERTS history from Prometheus at ${url}`, { cause });
      }
      if (body.status !== 'success' || body.data === undefined) throw new Error(`Prometheus at ${url} refused the ALERTS query: ${body.error ?? body.status}`);
      const out: AlertState[] = [];
      for (const series of body.data.result) {
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
