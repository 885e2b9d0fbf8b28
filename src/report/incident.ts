/**
 * The incident's endpoints, each defined on the step grid (series.ts) so a reader can recompute it:
 *
 * - impact begins: the start of the first step of the run of steps whose SLI error ratio
 *   (bad / requests in the step) exceeded 1 − objective, the run that the detection (else the
 *   worst step) falls in or follows; steps without requests do not break a run;
 * - detected: the first page or ticket (ModelSLOErrorBudgetBurn) that fired at or after the
 *   range's start;
 * - mitigated: a canary rollback after impact began, or the first step boundary after detection
 *   at which the 5m error ratio is back at or under 1 − objective, whichever is first;
 * - impact ends: the start of the first run of steps, after detection, in which every step's
 *   error ratio stays at or under 1 − objective for RECOVERY_HOLD_MS.
 */
import { RULE_NAMES } from '../rules/types.js';
import type { AlertState, CanaryDecision } from './ports.js';
import { trailingRatio, type Grid, type SloCounts } from './series.js';

/** How long the error ratio must stay under the threshold for the impact to have ended. */
export const RECOVERY_HOLD_MS = 15 * 60_000;
/** The window of the mitigation test's error ratio. */
export const MITIGATION_WINDOW_MS = 5 * 60_000;

/** The incident's endpoints (epoch ms; null when the data does not show one). */
export interface Markers {
  impactBeginsMs: number | null;
  detectedMs: number | null;
  detectedBy: AlertState | null;
  mitigatedMs: number | null;
  mitigatedBy: 'rollback' | 'error ratio' | null;
  impactEndsMs: number | null;
  /** The SLO whose impact began first. */
  slo: string | null;
}

const over = (c: SloCounts, i: number): boolean => (c.total[i] ?? 0) > 0 && (c.bad[i] ?? 0) / (c.total[i] ?? 1) > c.budget;

/** Whether an alert state is a page or ticket of a burn alert. */
export const isBurnAlert = (a: AlertState): boolean => a.alertname === RULE_NAMES.burnAlert && (a.labels.severity === 'page' || a.labels.severity === 'ticket');

/** The first step of the impact run of one SLO within steps [first, last), or null. */
function impactStart(c: SloCounts, first: number, last: number, anchor: number | null): number | null {
  let worst: number | null = null;
  for (let i = first; i < last; i++) if (over(c, i) && (worst === null || (c.bad[i] ?? 0) / (c.total[i] ?? 1) > (c.bad[worst] ?? 0) / (c.total[worst] ?? 1))) worst = i;
  if (worst === null) return null;
  let at = anchor ?? worst;
  while (at >= first && !over(c, at)) at--;
  if (at < first) at = worst;
  let start = at;
  for (let i = at - 1; i >= first; i--) {
    if (over(c, i)) start = i;
    else if ((c.total[i] ?? 0) > 0) break;
  }
  return start;
}

/** The markers over the grid's steps [first, last) (the report range). */
export function findMarkers(grid: Grid, first: number, last: number, alerts: readonly AlertState[], decisions: readonly CanaryDecision[]): Markers {
  const t = (i: number): number => grid.baseMs + i * grid.stepMs;
  const fromMs = t(first);
  const detectedBy = alerts.filter((a) => isBurnAlert(a) && a.startsAtMs >= fromMs && a.startsAtMs < t(last)).sort((a, b) => a.startsAtMs - b.startsAtMs)[0] ?? null;
  const detectedMs = detectedBy?.startsAtMs ?? null;
  const anchor = detectedMs === null ? null : Math.min(last - 1, Math.floor((detectedMs - grid.baseMs) / grid.stepMs));
  let slo: SloCounts | null = null;
  let begins: number | null = null;
  for (const c of grid.slos) {
    const s = impactStart(c, first, last, anchor);
    if (s !== null && (begins === null || s < begins)) [slo, begins] = [c, s];
  }
  const none: Markers = { impactBeginsMs: null, detectedMs, detectedBy, mitigatedMs: null, mitigatedBy: null, impactEndsMs: null, slo: null };
  if (slo === null || begins === null) return none;
  const impacted = grid.slos.filter((c) => impactStart(c, first, last, anchor) !== null);
  const after = Math.max(begins + 1, anchor === null ? begins + 1 : anchor + 1);
  const win = Math.round(MITIGATION_WINDOW_MS / grid.stepMs);
  let mitigatedMs: number | null = null;
  let mitigatedBy: Markers['mitigatedBy'] = null;
  for (let k = after; k <= last; k++) {
    if (impacted.every((c) => (trailingRatio(c, k, win) ?? 0) <= c.budget)) {
      [mitigatedMs, mitigatedBy] = [t(k), 'error ratio'];
      break;
    }
  }
  // Only a rollback that was applied mitigates (not one under dry_run, notify, or refused by the API).
  const rollback = decisions.find((d) => d.verdict === 'rollback' && d.action === 'patched' && d.timeMs >= t(begins));
  if (rollback !== undefined && (mitigatedMs === null || rollback.timeMs < mitigatedMs)) [mitigatedMs, mitigatedBy] = [rollback.timeMs, 'rollback'];
  const hold = Math.ceil(RECOVERY_HOLD_MS / grid.stepMs);
  let impactEndsMs: number | null = null;
  for (let k = after - 1; k + hold <= last; k++) {
    let ok = true;
    for (let j = k; j < k + hold && ok; j++) ok = impacted.every((c) => !over(c, j));
    if (ok) {
      impactEndsMs = t(k);
      break;
    }
  }
  return { impactBeginsMs: t(begins), detectedMs, detectedBy, mitigatedMs, mitigatedBy, impactEndsMs, slo: slo.slo.name };
}

/** How the range of a report without --from/--to was chosen. */
export interface ChosenWindow {
  fromMs: number;
  toMs: number;
  how: string;
}

/** Padding of an automatically found incident: before its first alert, and after its last one resolved. */
export const PAD_BEFORE_MS = 60 * 60_000;
export const PAD_AFTER_MS = 30 * 60_000;
/** Alerts closer than this belong to one incident. */
const MERGE_GAP_MS = 60 * 60_000;

/** The latest incident: the last period in which a page or ticket of the model fired (alerts closer than 1 h merged), padded; null when none fired. */
export function latestIncident(alerts: readonly AlertState[], nowMs: number): ChosenWindow | null {
  // One span per alert (labels and start): to its resolution, or to now while only firing was seen.
  const spans = new Map<string, { from: number; to: number }>();
  for (const a of alerts.filter(isBurnAlert)) {
    const key = `${JSON.stringify(a.labels)}@${a.startsAtMs}`;
    const resolved = a.status === 'resolved' && a.endsAtMs !== null;
    if (resolved || !spans.has(key)) spans.set(key, { from: a.startsAtMs, to: resolved ? (a.endsAtMs ?? nowMs) : nowMs });
  }
  const list = [...spans.values()].sort((a, b) => b.to - a.to);
  const latest = list[0];
  if (latest === undefined) return null;
  let { from, to } = latest;
  for (const s of list.slice(1)) if (s.to >= from - MERGE_GAP_MS) [from, to] = [Math.min(from, s.from), Math.max(to, s.to)];
  const fromMs = from - PAD_BEFORE_MS;
  const toMs = Math.min(nowMs, to + PAD_AFTER_MS);
  const n = list.filter((s) => s.to >= from && s.from <= to).length;
  return { fromMs, toMs, how: `found automatically: the last period in which a page or ticket of the model fired (${n} alert${n === 1 ? '' : 's'}, ${new Date(from).toISOString()} to ${new Date(to).toISOString()}), from 1 h before to 30 min after` };
}
