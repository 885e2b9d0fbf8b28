/**
 * Drafting a report over the ports: choose the range (given, or the latest incident), read what
 * it needs, build. Bad input is a value naming what is wrong (an unknown range, no requests, a
 * range older than retention); nothing is read twice and nothing is written here.
 */
import type { Config, Model } from '../model/types.js';
import { alignDown, alignUp, buildReport, recordsFromMs, STEP_MS, type BuiltReport } from './build.js';
import { maintenanceIntervals } from './maintenance.js';
import { latencyThresholds } from './series.js';
import { latestIncident } from './incident.js';
import type { AlertHistory, AlertState, ReportSource } from './ports.js';
import { utc } from './format.js';
import { notableDecisions } from './timeline.js';

/** Most canary decisions a report's timeline reads (the newest of the range). */
const MAX_CANARY_DECISIONS = 10_000;

/** What to draft. */
export interface DraftOptions {
  config: Config;
  model: Model;
  fromMs?: number;
  toMs?: number;
  nowMs: number;
  history?: AlertHistory;
  /** Progress lines (stages of a long range). */
  progress?: (line: string) => void;
}

/** A drafted report, or why not. */
export type Drafted = { ok: true; built: BuiltReport } | { ok: false; error: string };

/** Reads the ports and builds the report. */
export async function draftReport(source: ReportSource, opts: DraftOptions): Promise<Drafted> {
  const { model } = opts;
  const scope = { namespace: model.namespace, model: model.name };
  const name = `${model.namespace}/${model.name}`;
  const progress = opts.progress ?? ((): void => {});
  let fromMs = opts.fromMs;
  let toMs = opts.toMs;
  let how = 'as given';
  if (fromMs === undefined || toMs === undefined) {
    if (fromMs !== undefined || toMs !== undefined) return { ok: false, error: 'give both --from and --to, or neither (the latest incident is then found automatically)' };
    const journal = await source.alertJournal({ ...scope, fromMs: 0, toMs: opts.nowMs + 1 });
    const chosen = latestIncident(journal, opts.nowMs);
    if (chosen === null) return { ok: false, error: `no page or ticket of ${name} in the alert journal: give --from and --to` };
    ({ fromMs, toMs, how } = chosen);
  }
  if (!(fromMs < toMs)) return { ok: false, error: `the range is empty: --from ${utc(fromMs)} is not before --to ${utc(toMs)}` };
  const revs = await source.revisions(scope);
  if (revs.oldestMs !== null && toMs <= revs.oldestMs) return { ok: false, error: `the range ${utc(fromMs)} to ${utc(toMs)} is older than the store's retention: the oldest record of ${name} kept is from ${utc(revs.oldestMs)}` };
  const [a, b] = [alignDown(fromMs), alignUp(toMs)];
  progress(`reading request records of ${name} from ${utc(a)} to ${utc(b)}`);
  const records = await source.requestRecords({ ...scope, fromMs: a, toMs: b });
  if (!records.some((r) => r.timeMs >= fromMs && r.timeMs < toMs)) return { ok: false, error: `no requests of ${name} stored from ${utc(fromMs)} to ${utc(toMs)}` };
  const since = recordsFromMs(model, fromMs);
  progress(`${records.length} request records read; counting the requests of the SLO window before the range (from ${utc(since)}) per step, for the budget`);
  const windows = opts.config.maintenanceWindows.filter((w) => model.maintenance.includes(w.name));
  const counts = await source.stepCounts({ ...scope, fromMs: since, toMs: a, stepMs: STEP_MS, thresholdsMs: latencyThresholds(model.slos), exclude: maintenanceIntervals(windows, since, a) });
  progress(`${counts.length} steps with requests before the range; reading alerts, drift results and canary decisions`);
  const range = { ...scope, fromMs, toMs };
  const alerts = await source.alertJournal(range);
  const history = opts.history === undefined ? [] : uncovered(await opts.history.firingAlerts(range), alerts);
  const drift = await source.driftResults({ ...scope, fromMs, toMs, limit: 100_000 });
  const decisions = source.canaryDecisions === undefined ? [] : notableDecisions(await source.canaryDecisions({ ...range, limit: MAX_CANARY_DECISIONS }));
  progress('building the report');
  const built = buildReport({
    model,
    maintenanceWindows: opts.config.maintenanceWindows,
    fromMs,
    toMs,
    how,
    records,
    counts,
    alerts,
    history,
    drift,
    decisions,
    revisions: revs.revisions,
    oldestMs: revs.oldestMs,
    generatedMs: opts.nowMs,
  });
  return { ok: true, built };
}

const KEY_LABELS = ['alertname', 'severity', 'slo', 'long_window', 'feature'];
const keyOf = (a: AlertState): string => KEY_LABELS.map((k) => a.labels[k] ?? '').join('|');

/** The ALERTS intervals no journal state of the same alert overlaps (times the journal did not cover). */
export function uncovered(history: readonly AlertState[], journal: readonly AlertState[]): AlertState[] {
  return history.filter((h) => !journal.some((j) => keyOf(j) === keyOf(h) && j.startsAtMs <= (h.endsAtMs ?? Number.MAX_SAFE_INTEGER) && (j.endsAtMs ?? Number.MAX_SAFE_INTEGER) >= h.startsAtMs));
}
