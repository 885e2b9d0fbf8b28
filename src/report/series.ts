/**
 * Request records counted on a fixed grid of steps: per SLO the requests and the bad ones per
 * step, per revision the requests per step, and the latencies of each step; sums over trailing
 * windows by prefix sums. A step [t, t + step) holds the records with time in it.
 */
import type { Slo } from '../model/types.js';
import { errorBudget } from '../slo/budget.js';
import type { RequestRow, StepCount } from './ports.js';

/** Counts of one SLO per step. */
export interface SloCounts {
  slo: Slo;
  /** 1 − objective. */
  budget: number;
  total: number[];
  bad: number[];
  /** Prefix sums: sum over steps [0, k) is at index k. */
  totalSum: number[];
  badSum: number[];
}

/** The grid and its counts; step i covers [baseMs + i·stepMs, baseMs + (i + 1)·stepMs). */
export interface Grid {
  baseMs: number;
  stepMs: number;
  steps: number;
  slos: SloCounts[];
  /** Requests per revision per step (`unknown` when the record has none). */
  revisions: Map<string, number[]>;
  /** Latencies (ms) of each step, sorted. */
  latencies: number[][];
}

/** Whether a record is a bad event of the SLO: a 5xx (availability) or slower than the threshold (latency); null when the SLO cannot judge it. */
export function isBad(slo: Slo, r: RequestRow): boolean | null {
  if (slo.sli.kind === 'availability') return r.status >= 500;
  if (slo.sli.kind === 'latency') return r.latencyMs === null ? null : r.latencyMs > slo.sli.thresholdMs;
  return null;
}

const prefix = (xs: readonly number[]): number[] => {
  const out = new Array<number>(xs.length + 1);
  out[0] = 0;
  for (let i = 0; i < xs.length; i++) out[i + 1] = (out[i] ?? 0) + (xs[i] ?? 0);
  return out;
};

/** The latency thresholds of the SLOs, in the order `StepCount.slow` holds them. */
export function latencyThresholds(slos: readonly Slo[]): number[] {
  return [...new Set(slos.flatMap((s) => (s.sli.kind === 'latency' ? [s.sli.thresholdMs] : [])))];
}

/**
 * Counts `rows` (maintenance already left out) on the grid, plus `counts` (steps counted by the
 * store, for the time before the rows); SLOs with ratio SLIs are left out (the store cannot judge them).
 */
export function buildGrid(rows: readonly RequestRow[], slos: readonly Slo[], baseMs: number, stepMs: number, steps: number, counts: readonly StepCount[] = []): Grid {
  const judged = slos.filter((s) => s.sli.kind !== 'ratio');
  const perSlo = judged.map((slo) => ({ slo, budget: errorBudget(slo.objective), total: new Array<number>(steps).fill(0), bad: new Array<number>(steps).fill(0) }));
  const revisions = new Map<string, number[]>();
  const latencies: number[][] = Array.from({ length: steps }, () => []);
  for (const r of rows) {
    const i = Math.floor((r.timeMs - baseMs) / stepMs);
    if (i < 0 || i >= steps) continue;
    for (const c of perSlo) {
      const bad = isBad(c.slo, r);
      if (bad === null) continue;
      c.total[i] = (c.total[i] ?? 0) + 1;
      if (bad) c.bad[i] = (c.bad[i] ?? 0) + 1;
    }
    const rev = r.revision ?? 'unknown';
    let perRev = revisions.get(rev);
    if (perRev === undefined) revisions.set(rev, (perRev = new Array<number>(steps).fill(0)));
    perRev[i] = (perRev[i] ?? 0) + 1;
    if (r.latencyMs !== null) latencies[i]?.push(r.latencyMs);
  }
  const thresholds = latencyThresholds(slos);
  for (const sc of counts) {
    const i = Math.floor((sc.startMs - baseMs) / stepMs);
    if (i < 0 || i >= steps) continue;
    for (const c of perSlo) {
      const latency = c.slo.sli.kind === 'latency' ? c.slo.sli.thresholdMs : null;
      c.total[i] = (c.total[i] ?? 0) + (latency === null ? sc.total : sc.timed);
      c.bad[i] = (c.bad[i] ?? 0) + (latency === null ? sc.failed : (sc.slow[thresholds.indexOf(latency)] ?? 0));
    }
  }
  for (const l of latencies) l.sort((a, b) => a - b);
  return { baseMs, stepMs, steps, revisions, latencies, slos: perSlo.map((c) => ({ ...c, totalSum: prefix(c.total), badSum: prefix(c.bad) })) };
}

/** Requests and bad ones over the steps [fromStep, toStep) (clipped to the grid). */
export function windowCounts(c: SloCounts, fromStep: number, toStep: number): { total: number; bad: number } {
  const a = Math.max(0, Math.min(c.total.length, fromStep));
  const b = Math.max(a, Math.min(c.total.length, toStep));
  return { total: (c.totalSum[b] ?? 0) - (c.totalSum[a] ?? 0), bad: (c.badSum[b] ?? 0) - (c.badSum[a] ?? 0) };
}

/** Error ratio over the `windowSteps` steps that end where step `endStep` begins; null without requests. */
export function trailingRatio(c: SloCounts, endStep: number, windowSteps: number): number | null {
  const { total, bad } = windowCounts(c, endStep - windowSteps, endStep);
  return total === 0 ? null : bad / total;
}

/** Nearest-rank percentile (the ⌈q·n⌉-th smallest) of sorted values; null when empty. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? null;
}
