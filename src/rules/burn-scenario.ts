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
import type { SliSeries } from './sli-queries.js';
import { selects, type SeriesId } from './synthetic-series.js';

/** One phase of the scenario: a constant error ratio for some minutes. */
export interface Phase {
  name: string;
  minutes: number;
  errorRatio: number;
}

/** Events per step in the scenario: large and whole, so every count is an exact float. */
export const EVENTS_PER_STEP = 1_000_000;

/**
 * Minutes between samples and between rule evaluations. Five minutes keeps the generated promtool
 * tests fast (a day and a half of scenario is ~540 evaluations) while the 5m window still sees
 * two samples, as rate() needs.
 */
export const STEP_MINUTES = 5;

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

/** Cumulative counters per step (index = step, starting at 0 with 0): bad events and all events. */
export function scenarioCounters(phases: readonly Phase[]): { bad: number[]; all: number[] } {
  const bad = [0];
  const all = [0];
  for (const phase of phases) {
    const badPerStep = Math.round(EVENTS_PER_STEP * phase.errorRatio);
    for (let i = 0; i < phase.minutes / STEP_MINUTES; i++) {
      bad.push((bad[bad.length - 1] ?? 0) + badPerStep);
      all.push((all[all.length - 1] ?? 0) + EVENTS_PER_STEP);
    }
  }
  return { bad, all };
}

/** How the SLI's expression combines its series (see sli-queries.ts and synthetic-series.ts). */
export interface SliShape {
  goodCounts: boolean;
  complementCountsAll: boolean;
}

/** Per-step counts of the numerator series and the other series of a scenario. */
export function seriesCounts(shape: SliShape, counters: { bad: number[]; all: number[] }): { numerator: number[]; other: number[] } {
  const good = counters.all.map((a, i) => a - (counters.bad[i] ?? 0));
  const numerator = shape.goodCounts ? good : counters.bad;
  const other = shape.complementCountsAll ? counters.all : shape.goodCounts ? counters.bad : good;
  return { numerator, other };
}

/** A series the scenario feeds to Prometheus: identity and value per step. */
export interface InputSeries {
  id: SeriesId;
  values: readonly number[];
}

const toSamples = (values: readonly number[]): Sample[] => values.map((v, i) => ({ t: i * STEP_MINUTES * 60_000, v }));

/** Input series as samples, with which of them an SLI's selectors select. */
interface Selected {
  errors: Sample[][];
  total: Sample[][];
}

function selectInputs(sli: SliSeries, inputs: readonly InputSeries[]): Selected {
  const samples = inputs.map((i) => ({ id: i.id, samples: toSamples(i.values) }));
  return {
    errors: samples.filter((i) => selects(sli.errors, i.id)).map((i) => i.samples),
    total: samples.filter((i) => selects(sli.total, i.id)).map((i) => i.samples),
  };
}

/** The SLI error ratio at `evalMs` over `window`, as the generated recording rule computes it. */
function ratioAt(sli: SliSeries, sel: Selected, evalMs: number, window: string): number | undefined {
  const range = durationSeconds(window) * 1000;
  const total = sumRate(sel.total, evalMs, range);
  if (total === undefined) return undefined;
  const num = sumRate(sel.errors, evalMs, range) ?? 0;
  return sli.goodCounts ? (total - num) / total : num / total;
}

/** One firing burn alert: its table row. */
export type FiringAlert = BurnWindow;

/**
 * Simulates Prometheus evaluating an SLO's burn alerts every step over the input series; returns,
 * per step, the rows whose alert is firing (condition true at every evaluation for at least the
 * `for` time). `scenario` names the inputs' values for caching: many SLOs share one scenario.
 */
export function simulateBurnAlerts(slo: Slo, sli: SliSeries, inputs: readonly InputSeries[], scenario: string): FiringAlert[][] {
  // Which inputs the selectors pick, not the names of series or models, decides the result:
  // SLOs of the same objective, window and shape share one simulation across models.
  const picked = (sel: SliSeries['errors']): number[] => inputs.flatMap((i, n) => (selects(sel, i.id) ? [n] : []));
  const totalPicked = picked(sli.total);
  if (totalPicked.length === 0) return [];
  const key = JSON.stringify([slo.objective, slo.window, slo.alerts, sli.goodCounts, picked(sli.errors), totalPicked, scenario]);
  const cached = simulations.get(key);
  if (cached !== undefined) return cached;
  const result = simulate(slo, sli, inputs);
  if (simulations.size >= 512) simulations.clear();
  simulations.set(key, result);
  return result;
}

const simulations = new Map<string, FiringAlert[][]>();

function simulate(slo: Slo, sli: SliSeries, inputs: readonly InputSeries[]): FiringAlert[][] {
  const sel = selectInputs(sli, inputs);
  const steps = Math.max(0, ...inputs.map((i) => i.values.length));
  const budget = errorBudget(slo.objective);
  const rows = BURN_WINDOWS.filter((r) => slo.alerts[r.severity]);
  const activeAt = new Map<BurnWindow, number>();
  const firing: FiringAlert[][] = [];
  for (let step = 0; step < steps; step++) {
    const t = step * STEP_MINUTES * 60_000;
    const now: FiringAlert[] = [];
    for (const row of rows) {
      const threshold = alertThreshold(burnFactor(row, slo.window), budget);
      const long = ratioAt(sli, sel, t, row.long);
      const short = ratioAt(sli, sel, t, row.short);
      const active = long !== undefined && short !== undefined && burnAlertActive(long, short, threshold);
      if (!active) {
        activeAt.delete(row);
        continue;
      }
      const since = activeAt.get(row) ?? t;
      activeAt.set(row, since);
      if (t - since >= durationSeconds(slo.alerts.for?.[row.long] ?? row.for) * 1000) now.push(row);
    }
    firing.push(now);
  }
  return firing;
}
