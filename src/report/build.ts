/**
 * The postmortem report of one model over one range, as data: the sections of the Google SRE
 * book's example postmortem (https://sre.google/sre-book/example-postmortem/) with every fact
 * computed from the stored records, the alert journal, drift results and canary decisions, and
 * the per-step series the charts draw. Markdown, HTML and JSON are renderings of this object.
 */
import type { MaintenanceWindow, Model } from '../model/types.js';
import { durationSeconds } from '../slo/burn-windows.js';
import { budgetFigures, burnTimes, requestFigures, slowThresholdMs, type BudgetFigures, type BurnTime, type RequestFigures } from './figures.js';
import { count, duration, percent, utc } from './format.js';
import { findMarkers, MITIGATION_WINDOW_MS, RECOVERY_HOLD_MS, type Markers } from './incident.js';
import { inIntervals, maintenanceIntervals } from './maintenance.js';
import type { AlertState, CanaryDecision, DriftRow, RequestRow, StepCount } from './ports.js';
import { promqlOf, type FigureQuery } from './promql.js';
import { buildGrid, type Grid } from './series.js';
import { buildTimeline, candidates, type Candidate, type TimelineEvent } from './timeline.js';

/** The grid's step: every figure and chart is computed on 1-minute steps. */
export const STEP_MS = 60_000;

/** What a report is built from (read by the caller, the range already chosen). */
export interface ReportInput {
  model: Model;
  /** The config's maintenance windows (those the model names are applied). */
  maintenanceWindows: readonly MaintenanceWindow[];
  fromMs: number;
  toMs: number;
  /** How the range was chosen (given, or found automatically). */
  how: string;
  /** Request records of the range (its step-aligned [from, to)). */
  records: readonly RequestRow[];
  /** Step counts from `recordsFromMs(...)` to the range (maintenance left out by the store): the budget's window before it. */
  counts: readonly StepCount[];
  alerts: readonly AlertState[];
  /** Prometheus's ALERTS history (empty without daemon.prometheus_url). */
  history: readonly AlertState[];
  drift: readonly DriftRow[];
  decisions: readonly CanaryDecision[];
  revisions: ReadonlyArray<{ revision: string; firstMs: number; lastMs: number }>;
  /** The oldest record of the model kept: a revision first seen then was not seen being deployed. */
  oldestMs: number | null;
  generatedMs: number;
}

/** The report (its JSON form is this object). */
export interface Report {
  title: string;
  date: string;
  authors: string[];
  status: 'draft';
  model: { namespace: string; name: string };
  range: { from: string; to: string; fromMs: number; toMs: number; how: string; stepSeconds: number };
  summary: string;
  impact: {
    requests: number;
    failed: number;
    slow: number | null;
    slowThresholdMs: number | null;
    budgetSpent: number | null;
    budgetRemaining: number | null;
    window: { fromMs: number; toMs: number };
    byRevision: RequestFigures[];
    budgets: BudgetFigures[];
    burnTime: BurnTime[];
    maintenance: { excludedRequests: number; windows: Array<{ name: string; fromMs: number; toMs: number }> };
  };
  detection: Markers & { ttdSeconds: number | null; ttmSeconds: number | null; ttrSeconds: number | null };
  candidates: Candidate[];
  timeline: TimelineEvent[];
  supporting: { promql: FigureQuery[]; revisions: Array<{ revision: string; firstMs: number; lastMs: number }>; dashboards: Array<{ name: string; url: string }>; model: Model };
}

/** The report and the grid its charts are drawn from. */
export interface BuiltReport {
  report: Report;
  grid: Grid;
  first: number;
  last: number;
  /** The drift results of the range (the drift chart's data). */
  drift: readonly DriftRow[];
}

/** Where the step counts must start for a range: one SLO window before it (for the budget). */
export function recordsFromMs(model: Model, fromMs: number): number {
  return alignDown(fromMs) - Math.max(...model.slos.map((s) => durationSeconds(s.window) * 1000));
}

/** A time rounded down, and up, to a step boundary. */
export const alignDown = (ms: number): number => Math.floor(ms / STEP_MS) * STEP_MS;
export const alignUp = (ms: number): number => Math.ceil(ms / STEP_MS) * STEP_MS;

const since = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : (b - a) / 1000);

function summary(r: Omit<Report, 'summary'>): string {
  const d = r.detection;
  const name = `${r.model.namespace}/${r.model.name}`;
  if (d.impactBeginsMs === null) return `In the range, no step of ${name} had an SLI error ratio over 1 − objective: ${count(r.impact.requests)} requests, ${count(r.impact.failed)} failed.`;
  const end = d.impactEndsMs === null ? 'the end of the range' : utc(d.impactEndsMs);
  const lasted = `${duration(((d.impactEndsMs ?? r.range.toMs) - d.impactBeginsMs) / 1000)}${d.impactEndsMs === null ? ', impact not over by then' : ''}`;
  const i = r.impact;
  const slow = i.slow === null ? '' : ` and answered ${count(i.slow)} slower than ${i.slowThresholdMs ?? '?'} ms`;
  const b = i.budgets.find((x) => x.slo === d.slo);
  const covered = b === undefined || b.coveredSeconds >= durationSeconds(b.window) ? '' : `, of which the store holds ${duration(b.coveredSeconds)}`;
  const budget = b === undefined ? '' : `; it spent ${percent(b.spent)} of the ${b.window} error budget of SLO ${b.slo}${covered} (${percent(b.remainingAfter)} left after it)`;
  return `From ${utc(d.impactBeginsMs)} to ${end} (${lasted}), ${name} failed ${count(i.failed)} of ${count(i.requests)} requests (${percent(i.requests === 0 ? null : i.failed / i.requests)})${slow}${budget}.`;
}

/** Builds the report. */
export function buildReport(input: ReportInput): BuiltReport {
  const { model } = input;
  const fromMs = alignDown(input.fromMs);
  const toMs = alignUp(input.toMs);
  const baseMs = recordsFromMs(model, fromMs);
  const first = (fromMs - baseMs) / STEP_MS;
  const last = (toMs - baseMs) / STEP_MS;
  const windows = input.maintenanceWindows.filter((w) => model.maintenance.includes(w.name));
  const maintenance = maintenanceIntervals(windows, baseMs, toMs);
  const kept = maintenance.length === 0 ? input.records : input.records.filter((r) => !inIntervals(maintenance, r.timeMs));
  const excluded = input.records.filter((r) => r.timeMs >= fromMs && r.timeMs < toMs).length - kept.filter((r) => r.timeMs >= fromMs && r.timeMs < toMs).length;
  const grid = buildGrid(kept.filter((r) => r.timeMs >= fromMs), model.slos, baseMs, STEP_MS, last, input.counts.filter((c) => c.startMs < fromMs));
  const markers = findMarkers(grid, first, last, [...input.alerts, ...input.history], input.decisions);
  const incFrom = markers.impactBeginsMs ?? fromMs;
  const incTo = markers.impactEndsMs ?? toMs;
  const slowMs = slowThresholdMs(model.slos);
  const byRevision = requestFigures(kept, incFrom, incTo, slowMs);
  const all = byRevision[byRevision.length - 1] ?? { revision: 'all', requests: 0, failed: 0, slow: null };
  const budgets = budgetFigures(grid, incFrom, incTo);
  const primary = budgets.find((b) => b.slo === markers.slo) ?? budgets[0];
  const inRange = maintenance.filter((w) => w.toMs > fromMs && w.fromMs < toMs);
  const timeline = buildTimeline({
    fromMs,
    toMs,
    markers,
    alerts: input.alerts,
    historyOnly: input.history,
    revisions: input.revisions.filter((r) => input.oldestMs === null || r.firstMs > input.oldestMs),
    decisions: input.decisions,
    drift: input.drift,
    maintenance: inRange,
  });
  const dash = (name: string, url: string): { name: string; url: string } => ({ name, url: `${url}${url.includes('?') ? '&' : '?'}from=${fromMs}&to=${toMs}` });
  const partial: Omit<Report, 'summary'> = {
    title: `Postmortem: ${model.namespace}/${model.name} ${markers.impactBeginsMs === null ? 'report' : `incident of ${utc(markers.impactBeginsMs).slice(0, 10)}`}`,
    date: utc(input.generatedMs).slice(0, 10),
    authors: [],
    status: 'draft',
    model: { namespace: model.namespace, name: model.name },
    range: { from: utc(fromMs), to: utc(toMs), fromMs, toMs, how: input.how, stepSeconds: STEP_MS / 1000 },
    impact: {
      requests: all.requests,
      failed: all.failed,
      slow: all.slow,
      slowThresholdMs: slowMs,
      budgetSpent: primary?.spent ?? null,
      budgetRemaining: primary?.remainingAfter ?? null,
      window: { fromMs: incFrom, toMs: incTo },
      byRevision,
      budgets,
      burnTime: burnTimes(grid, first, last),
      maintenance: { excludedRequests: excluded, windows: inRange },
    },
    detection: {
      ...markers,
      ttdSeconds: since(markers.impactBeginsMs, markers.detectedMs),
      ttmSeconds: since(markers.impactBeginsMs, markers.mitigatedMs),
      ttrSeconds: since(markers.impactBeginsMs, markers.impactEndsMs),
    },
    candidates: candidates(timeline, markers),
    timeline,
    supporting: {
      promql: promqlOf(model, incFrom, incTo),
      revisions: [...input.revisions],
      dashboards: model.dashboardUrl === '' ? [] : [dash('on-call dashboard', model.dashboardUrl)],
      model,
    },
  };
  return { report: { ...partial, summary: summary(partial) }, grid, first, last, drift: input.drift };
}

/** The stated definitions of the endpoints (printed in the report). */
export const ENDPOINT_DEFINITIONS = {
  step: `${STEP_MS / 1000} s: the records with time in [t, t + step) make the step at t`,
  impactBegins: 'the start of the first step of the run of steps whose SLI error ratio (bad / requests in the step) exceeded 1 − objective, the run in which detection falls (steps without requests do not break a run)',
  detected: 'the first page or ticket (ModelSLOErrorBudgetBurn) that fired in the range (the alert journal, or Prometheus ALERTS history)',
  mitigated: `a canary rollback after impact began, or the first step boundary after detection (without one, after impact began) at which the ${MITIGATION_WINDOW_MS / 60_000}m error ratio of every impacted SLO is back at or under 1 − objective, whichever came first`,
  impactEnds: `the start of the first run of ${RECOVERY_HOLD_MS / 60_000} min, after detection (without one, after impact began), in which no step's error ratio exceeded 1 − objective`,
};
