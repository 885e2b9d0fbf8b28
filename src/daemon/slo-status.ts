/**
 * SLO status of a model: error budget remaining and the four burn-rate alert rows, from the
 * Prometheus HTTP API (the generated recording rules) when a URL is configured, else computed
 * with src/slo from the daemon's stored request records (the sidecar's response events).
 */
import { instantQuery as instant } from '../alerting/prometheus-query.js';
import type { Model, Slo } from '../model/types.js';
import { RULE_NAMES } from '../rules/types.js';
import { alertThreshold, budgetRemaining, burnAlertActive, burnRate, errorBudget } from '../slo/budget.js';
import { BURN_WINDOWS, burnFactor, durationSeconds, recordedWindows } from '../slo/burn-windows.js';
import type { QueryStore } from '../store/port.js';

/** One burn-alert row and whether it would fire now. */
export interface BurnRow {
  severity: 'page' | 'ticket';
  long: string;
  short: string;
  factor: number;
  longBurnRate: number | null;
  shortBurnRate: number | null;
  firing: boolean;
}

/** Status of one SLO. */
export interface SloStatus {
  slo: string;
  objective: number;
  window: string;
  sli: string;
  source: 'prometheus' | 'store' | 'unavailable';
  errorBudget: number;
  /** Share of the window's error budget left (1 untouched, ≤ 0 spent); null without data. */
  budgetRemaining: number | null;
  /** Error ratio per recorded window (null: no requests in it). */
  errorRatios: Record<string, number | null>;
  requests: number | null;
  burnRates: BurnRow[];
  note?: string;
}

type Ratios = Record<string, number | null>;

function rows(slo: Slo, ratios: Ratios): BurnRow[] {
  const budget = errorBudget(slo.objective);
  return BURN_WINDOWS.map((w) => {
    const factor = burnFactor(w, slo.window);
    const long = ratios[w.long] ?? null;
    const short = ratios[w.short] ?? null;
    return {
      severity: w.severity,
      long: w.long,
      short: w.short,
      factor,
      longBurnRate: long === null ? null : burnRate(long, budget),
      shortBurnRate: short === null ? null : burnRate(short, budget),
      firing: long !== null && short !== null && burnAlertActive(long, short, alertThreshold(factor, budget)),
    };
  });
}

function status(slo: Slo, source: SloStatus['source'], ratios: Ratios, requests: number | null, remaining: number | null, note?: string): SloStatus {
  return {
    slo: slo.name,
    objective: slo.objective,
    window: slo.window,
    sli: slo.sli.kind,
    source,
    errorBudget: errorBudget(slo.objective),
    budgetRemaining: remaining,
    errorRatios: ratios,
    requests,
    burnRates: rows(slo, ratios),
    ...(note === undefined ? {} : { note }),
  };
}

/** From the store: errors / total over each recorded window ending now. */
async function fromStore(store: QueryStore, model: Model, slo: Slo, nowMs: number): Promise<SloStatus> {
  if (slo.sli.kind === 'ratio') {
    return status(slo, 'unavailable', {}, null, null, 'ratio SLIs are custom PromQL: set daemon.prometheus_url to see their status');
  }
  const windows = recordedWindows(slo.window);
  const counts = await store.windowCounts({
    namespace: model.namespace,
    model: model.name,
    nowMs,
    windowsMs: windows.map((w) => durationSeconds(w) * 1000),
    latencyThresholdMs: slo.sli.kind === 'latency' ? slo.sli.thresholdMs : null,
  });
  const ratios: Ratios = {};
  windows.forEach((w, i) => {
    const c = counts[i];
    ratios[w] = c === undefined || c.total === 0 ? null : c.bad / c.total;
  });
  const windowRatio = ratios[slo.window] ?? null;
  const remaining = windowRatio === null ? null : budgetRemaining(windowRatio, errorBudget(slo.objective));
  return status(slo, 'store', ratios, counts.at(-1)?.total ?? 0, remaining);
}

/** From Prometheus: the recorded `modelslo:sli_error:ratio_rate<window>` and budget-remaining series. */
async function fromPrometheus(url: string, model: Model, slo: Slo): Promise<SloStatus> {
  const sel = `{namespace="${model.namespace}",model="${model.name}",slo="${slo.name}"}`;
  const windows = recordedWindows(slo.window);
  const values = await Promise.all([...windows.map((w) => instant(url, `${RULE_NAMES.sliError(w)}${sel}`)), instant(url, `${RULE_NAMES.budgetRemaining}${sel}`)]);
  const ratios: Ratios = {};
  windows.forEach((w, i) => (ratios[w] = values[i] ?? null));
  return status(slo, 'prometheus', ratios, null, values.at(-1) ?? null);
}

/** Status of every SLO of `model`; a failing Prometheus falls back to the store, saying why. */
export async function sloStatuses(model: Model, store: QueryStore, prometheusUrl: string | undefined, nowMs = Date.now()): Promise<SloStatus[]> {
  return Promise.all(
    model.slos.map(async (slo) => {
      if (prometheusUrl === undefined) return fromStore(store, model, slo, nowMs);
      try {
        return await fromPrometheus(prometheusUrl, model, slo);
      } catch (err) {
        const s = await fromStore(store, model, slo, nowMs);
        return { ...s, note: `Prometheus at ${prometheusUrl} failed (${err instanceof Error ? err.message : String(err)}); computed from stored request records` };
      }
    }),
  );
}
