/**
 * The impact figures of an incident, each with its definition (printed beside it in the report):
 * requests, failed and slow requests per revision, error budget spent and remaining per SLO, and
 * the time each burn-rate alert's condition held. Budget arithmetic is src/slo's.
 */
import type { Slo } from '../model/types.js';
import { alertThreshold, budgetRemaining, burnAlertActive } from '../slo/budget.js';
import { BURN_WINDOWS, burnFactor, durationSeconds } from '../slo/burn-windows.js';
import type { RequestRow } from './ports.js';
import { trailingRatio, windowCounts, type Grid } from './series.js';

/** Requests of the incident, per revision and in all. */
export interface RequestFigures {
  revision: string;
  requests: number;
  failed: number;
  slow: number | null;
}

/** The error budget of one SLO around the incident. */
export interface BudgetFigures {
  slo: string;
  objective: number;
  window: string;
  /** Bad events of the SLO in the incident. */
  incidentBad: number;
  /** Requests and bad events in the SLO window ending at the incident's end. */
  windowRequests: number;
  windowBad: number;
  /** Incident bad events / ((1 − objective) × requests in the SLO window); null without requests. */
  spent: number | null;
  /** src/slo budgetRemaining over the SLO window ending at the incident's end. */
  remainingAfter: number | null;
  /** How much of that SLO window the stored records cover (from the first step with requests). */
  coveredSeconds: number;
}

/** How long one burn alert's condition (both windows over the threshold) held in the range. */
export interface BurnTime {
  slo: string;
  severity: 'page' | 'ticket';
  long: string;
  short: string;
  factor: number;
  seconds: number;
}

/** The latency threshold that makes a request slow: the first latency SLO's, or null. */
export function slowThresholdMs(slos: readonly Slo[]): number | null {
  for (const s of slos) if (s.sli.kind === 'latency') return s.sli.thresholdMs;
  return null;
}

/** Requests, 5xx and slow requests with time in [fromMs, toMs), per revision (sorted by name), then `all`. */
export function requestFigures(rows: readonly RequestRow[], fromMs: number, toMs: number, slowMs: number | null): RequestFigures[] {
  const by = new Map<string, RequestFigures>();
  const all: RequestFigures = { revision: 'all', requests: 0, failed: 0, slow: slowMs === null ? null : 0 };
  for (const r of rows) {
    if (r.timeMs < fromMs || r.timeMs >= toMs) continue;
    const rev = r.revision ?? 'unknown';
    let f = by.get(rev);
    if (f === undefined) by.set(rev, (f = { revision: rev, requests: 0, failed: 0, slow: slowMs === null ? null : 0 }));
    for (const x of [f, all]) {
      x.requests++;
      if (r.status >= 500) x.failed++;
      if (slowMs !== null && r.latencyMs !== null && r.latencyMs > slowMs) x.slow = (x.slow ?? 0) + 1;
    }
  }
  return [...[...by.values()].sort((a, b) => (a.revision < b.revision ? -1 : 1)), all];
}

const stepOf = (grid: Grid, tMs: number): number => Math.round((tMs - grid.baseMs) / grid.stepMs);

/** Budget figures per SLO for the incident [fromMs, toMs) (step boundaries). */
export function budgetFigures(grid: Grid, fromMs: number, toMs: number): BudgetFigures[] {
  const a = stepOf(grid, fromMs);
  const b = stepOf(grid, toMs);
  return grid.slos.map((c) => {
    const incident = windowCounts(c, a, b);
    const from = b - Math.round((durationSeconds(c.slo.window) * 1000) / grid.stepMs);
    const win = windowCounts(c, from, b);
    let firstData = Math.max(0, from);
    while (firstData < b && (c.total[firstData] ?? 0) === 0) firstData++;
    // Spent as a share of the whole window's budget: bad / (budget × window requests), i.e.
    // 1 − budgetRemaining(incident bad / window requests) (SRE workbook ch. 2, error budgets).
    return {
      slo: c.slo.name,
      objective: c.slo.objective,
      window: c.slo.window,
      incidentBad: incident.bad,
      windowRequests: win.total,
      windowBad: win.bad,
      spent: win.total === 0 ? null : 1 - budgetRemaining(incident.bad / win.total, c.budget),
      remainingAfter: win.total === 0 ? null : budgetRemaining(win.bad / win.total, c.budget),
      coveredSeconds: ((b - firstData) * grid.stepMs) / 1000,
    };
  });
}

/** Per SLO and enabled burn alert: the time, over the steps [first, last), at whose boundaries both windows' error ratios exceeded the threshold. */
export function burnTimes(grid: Grid, first: number, last: number): BurnTime[] {
  const out: BurnTime[] = [];
  for (const c of grid.slos) {
    for (const w of BURN_WINDOWS) {
      if (!c.slo.alerts[w.severity]) continue;
      const factor = burnFactor(w, c.slo.window);
      const threshold = alertThreshold(factor, c.budget);
      const longSteps = Math.round((durationSeconds(w.long) * 1000) / grid.stepMs);
      const shortSteps = Math.round((durationSeconds(w.short) * 1000) / grid.stepMs);
      let n = 0;
      for (let k = first + 1; k <= last; k++) {
        const long = trailingRatio(c, k, longSteps);
        const short = trailingRatio(c, k, shortSteps);
        if (long !== null && short !== null && burnAlertActive(long, short, threshold)) n++;
      }
      out.push({ slo: c.slo.name, severity: w.severity, long: w.long, short: w.short, factor, seconds: (n * grid.stepMs) / 1000 });
    }
  }
  return out;
}
