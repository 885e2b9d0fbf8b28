/**
 * A burn scenario for an SLO (healthy → fast burn → recovery → slow burn → recovery) and a
 * minute-by-minute simulation of what the generated rules do with it, computed with modelslo's
 * own src/slo functions. The generated promtool tests assert this simulation; promtool (the
 * Prometheus rule engine) is the independent judge of both the rules and these functions.
 */
import type { Slo } from '../model/types.js';
import { alertThreshold, burnAlertActive, errorBudget } from '../slo/budget.js';
import { BURN_WINDOWS, burnFactor, durationSeconds, type BurnWindow } from '../slo/burn-windows.js';
import { sumRate, type Sample } from '../slo/prom-rate.js';

/** One phase of the scenario: a constant error ratio for some minutes. */
export interface Phase {
  name: string;
  minutes: number;
  errorRatio: number;
}

/** Events per minute in the scenario: large and whole, so every count is an exact float. */
export const EVENTS_PER_MINUTE = 1_000_000;

/**
 * The phases for an error budget: the fast burn spends the budget 50× too fast (above every page
 * factor), the slow burn 4× (above both ticket factors, below both page factors of 28d and 30d).
 */
export function burnPhases(budget: number): Phase[] {
  return [
    { name: 'healthy', minutes: 360, errorRatio: 0 },
    { name: 'fast burn', minutes: 60, errorRatio: Math.min(1, 50 * budget) },
    { name: 'recovery', minutes: 480, errorRatio: 0 },
    { name: 'slow burn', minutes: 1200, errorRatio: Math.min(1, 4 * budget) },
    { name: 'recovered', minutes: 600, errorRatio: 0 },
  ];
}

/** Cumulative counters per minute (index = minute, starting at 0 with 0): bad events and all events. */
export function scenarioCounters(phases: readonly Phase[]): { bad: number[]; all: number[] } {
  const bad = [0];
  const all = [0];
  for (const phase of phases) {
    const badPerMinute = Math.round(EVENTS_PER_MINUTE * phase.errorRatio);
    for (let i = 0; i < phase.minutes; i++) {
      bad.push((bad[bad.length - 1] ?? 0) + badPerMinute);
      all.push((all[all.length - 1] ?? 0) + EVENTS_PER_MINUTE);
    }
  }
  return { bad, all };
}

/** How the SLI's expression combines its series (see sli-queries.ts and synthetic-series.ts). */
export interface SliShape {
  goodCounts: boolean;
  complementCountsAll: boolean;
}

/** Per-minute counts of the numerator series and the other series of a scenario. */
export function seriesCounts(shape: SliShape, counters: { bad: number[]; all: number[] }): { numerator: number[]; other: number[] } {
  const good = counters.all.map((a, i) => a - (counters.bad[i] ?? 0));
  const numerator = shape.goodCounts ? good : counters.bad;
  const other = shape.complementCountsAll ? counters.all : shape.goodCounts ? counters.bad : good;
  return { numerator, other };
}

const toSamples = (values: readonly number[]): Sample[] => values.map((v, i) => ({ t: i * 60_000, v }));

/** The SLI error ratio at `evalMs` over `window`, as the generated recording rule computes it. */
export function simulatedRatio(
  shape: SliShape,
  numerator: readonly Sample[],
  other: readonly Sample[],
  evalMs: number,
  window: string,
): number | undefined {
  const range = durationSeconds(window) * 1000;
  const totalSeries = shape.complementCountsAll ? [other] : [numerator, other];
  const total = sumRate(totalSeries, evalMs, range);
  if (total === undefined) return undefined;
  const num = sumRate([numerator], evalMs, range) ?? 0;
  return shape.goodCounts ? (total - num) / total : num / total;
}

/** One firing burn alert: its table row. */
export type FiringAlert = BurnWindow;

/**
 * Simulates Prometheus evaluating the SLO's burn alerts every minute; returns, per minute, the
 * rows whose alert is firing (condition true at every evaluation for at least the `for` time).
 */
export function simulateBurnAlerts(slo: Slo, shape: SliShape, counts: { numerator: number[]; other: number[] }): FiringAlert[][] {
  // The result depends only on these (counts derive from the objective): many SLOs share them.
  const key = JSON.stringify([slo.objective, slo.window, slo.alerts, shape, counts.numerator.length]);
  const cached = simulations.get(key);
  if (cached !== undefined) return cached;
  const result = simulate(slo, shape, counts);
  if (simulations.size >= 512) simulations.clear();
  simulations.set(key, result);
  return result;
}

const simulations = new Map<string, FiringAlert[][]>();

function simulate(slo: Slo, shape: SliShape, counts: { numerator: number[]; other: number[] }): FiringAlert[][] {
  const numerator = toSamples(counts.numerator);
  const other = toSamples(counts.other);
  const budget = errorBudget(slo.objective);
  const rows = BURN_WINDOWS.filter((r) => slo.alerts[r.severity]);
  const activeAt = new Map<BurnWindow, number>();
  const firing: FiringAlert[][] = [];
  for (let minute = 0; minute < counts.numerator.length; minute++) {
    const t = minute * 60_000;
    const now: FiringAlert[] = [];
    for (const row of rows) {
      const threshold = alertThreshold(burnFactor(row, slo.window), budget);
      const long = simulatedRatio(shape, numerator, other, t, row.long);
      const short = simulatedRatio(shape, numerator, other, t, row.short);
      const active = long !== undefined && short !== undefined && burnAlertActive(long, short, threshold);
      if (!active) {
        activeAt.delete(row);
        continue;
      }
      const since = activeAt.get(row) ?? t;
      activeAt.set(row, since);
      if (t - since >= durationSeconds(row.for) * 1000) now.push(row);
    }
    firing.push(now);
  }
  return firing;
}
