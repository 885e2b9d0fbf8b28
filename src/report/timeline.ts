/** The incident's timeline (UTC) and the candidate contributing factors computed from it. */
import { DRIFT_ALERT } from '../rules/alertmanager.js';
import type { Markers } from './incident.js';
import type { MaintenanceInterval } from './maintenance.js';
import type { AlertState, CanaryDecision, DriftRow } from './ports.js';

/** One timeline entry. */
export interface TimelineEvent {
  timeMs: number;
  kind: 'marker' | 'alert' | 'deploy' | 'canary' | 'rollback' | 'drift' | 'maintenance';
  text: string;
  receivers?: string[];
}

/** What the timeline is built from. */
export interface TimelineInput {
  fromMs: number;
  toMs: number;
  markers: Markers;
  alerts: readonly AlertState[];
  /** Alert states only Prometheus's ALERTS history shows (the journal did not cover them). */
  historyOnly: readonly AlertState[];
  revisions: ReadonlyArray<{ revision: string; firstMs: number }>;
  decisions: readonly CanaryDecision[];
  drift: readonly DriftRow[];
  maintenance: readonly MaintenanceInterval[];
}

const ORDER: Record<TimelineEvent['kind'], number> = { maintenance: 0, deploy: 1, drift: 2, canary: 3, rollback: 4, alert: 5, marker: 6 };

const MARKERS = ['IMPACT BEGINS', 'DETECTED', 'MITIGATED', 'IMPACT ENDS'];

const alertName = (a: AlertState): string => {
  const l = a.labels;
  const detail = [l.severity, l.slo === undefined ? undefined : `slo=${l.slo}`, l.long_window === undefined ? undefined : `${l.long_window}/${l.short_window ?? '?'}`, l.feature === undefined ? undefined : `feature=${l.feature}`].filter((x) => x !== undefined);
  return `${a.alertname}${detail.length > 0 ? ` (${detail.join(', ')})` : ''}`;
};

/** The events in [fromMs, toMs], oldest first. */
export function buildTimeline(t: TimelineInput): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  const m = t.markers;
  const marker = (ms: number | null, text: string): void => void (ms !== null && out.push({ timeMs: ms, kind: 'marker', text }));
  marker(m.impactBeginsMs, `IMPACT BEGINS (SLO ${m.slo ?? '?'}: the step error ratio first exceeds 1 − objective)`);
  marker(m.detectedMs, `DETECTED (${m.detectedBy === null ? '' : alertName(m.detectedBy)})`);
  marker(m.mitigatedMs, `MITIGATED (${m.mitigatedBy === 'rollback' ? 'canary rolled back' : '5m error ratio back under 1 − objective'})`);
  marker(m.impactEndsMs, 'IMPACT ENDS (error ratio under 1 − objective for 15 min from here)');
  const seen = new Set<string>();
  for (const [a, source] of [...t.alerts.map((a) => [a, 'journal'] as const), ...t.historyOnly.map((a) => [a, 'prometheus'] as const)]) {
    const kind = a.alertname === DRIFT_ALERT ? 'drift' : 'alert';
    const to = a.receivers.length > 0 ? ` → ${a.receivers.join(', ')}` : source === 'prometheus' ? ' (from Prometheus ALERTS; not in the alert journal)' : '';
    const fired = `${a.startsAtMs}|${JSON.stringify(a.labels)}`;
    if (!seen.has(fired)) {
      seen.add(fired);
      out.push({ timeMs: a.startsAtMs, kind, text: `alert fired: ${alertName(a)}${to}`, receivers: a.receivers });
    }
    if (a.endsAtMs !== null && (a.status === 'resolved' || source === 'prometheus')) out.push({ timeMs: a.endsAtMs, kind, text: `alert resolved: ${alertName(a)}${to}`, receivers: a.receivers });
  }
  for (const r of t.revisions) out.push({ timeMs: r.firstMs, kind: 'deploy', text: `deploy: revision ${r.revision} first seen in the request records` });
  for (const d of t.decisions) {
    const patch = d.patch === null || d.patch === undefined ? '' : `; patch ${JSON.stringify(d.patch)}`;
    out.push({ timeMs: d.timeMs, kind: d.verdict === 'rollback' ? 'rollback' : 'canary', text: `canary ${d.verdict} of revision ${d.revision}: ${d.action} (${d.reason})${patch}` });
  }
  const firstDrift = new Map<string, DriftRow>();
  for (const d of t.drift) if (d.featureLevel === 'drift' && !firstDrift.has(d.feature)) firstDrift.set(d.feature, d);
  for (const d of firstDrift.values()) out.push({ timeMs: d.runMs, kind: 'drift', text: `drift detected: feature ${d.feature} (${d.test} ${d.score === null ? '-' : d.score.toFixed(4)}, threshold ${d.threshold}, endpoint ${d.endpoint})` });
  for (const w of t.maintenance) {
    out.push({ timeMs: w.fromMs, kind: 'maintenance', text: `maintenance window ${w.name} begins (its requests are left out of the figures)` });
    out.push({ timeMs: w.toMs, kind: 'maintenance', text: `maintenance window ${w.name} ends` });
  }
  // Same time: context first (maintenance, deploys …), markers last, markers in their own order.
  const rank = (e: TimelineEvent): number => (e.kind === 'marker' ? MARKERS.findIndex((m) => e.text.startsWith(m)) : 0);
  return out.filter((e) => e.timeMs >= t.fromMs && e.timeMs <= t.toMs).sort((a, b) => a.timeMs - b.timeMs || ORDER[a.kind] - ORDER[b.kind] || rank(a) - rank(b) || (a.text < b.text ? -1 : 1));
}

/** A computed candidate contributing factor (never a cause: a person decides). */
export interface Candidate {
  timeMs: number;
  text: string;
}

/** How long before impact began a deploy or drift counts as a candidate. */
export const CANDIDATE_LOOKBACK_MS = 2 * 60 * 60_000;

/**
 * The canary decisions worth a postmortem's timeline: every step, promotion and rollback (applied
 * or not, with what was done), the first analysis of each canary revision, and the failed analyses
 * that held it; not the routine holds of every interval.
 */
export function notableDecisions(decisions: readonly CanaryDecision[]): CanaryDecision[] {
  const seen = new Set<string>();
  return decisions.filter((d) => {
    const first = !seen.has(d.revision);
    seen.add(d.revision);
    return first || d.verdict !== 'hold' || d.action !== 'none' || d.reason.startsWith('failed');
  });
}

/** Candidate contributing factors: a new revision shortly before impact, drift detected, a canary rollback, a maintenance window. */
export function candidates(events: readonly TimelineEvent[], markers: Markers): Candidate[] {
  const begin = markers.impactBeginsMs;
  const end = markers.impactEndsMs ?? Number.MAX_SAFE_INTEGER;
  const near = (e: TimelineEvent): boolean => begin !== null && e.timeMs >= begin - CANDIDATE_LOOKBACK_MS && e.timeMs <= end;
  const out: Candidate[] = [];
  for (const e of events) {
    if (e.kind === 'deploy' && near(e) && begin !== null && e.timeMs <= begin) out.push({ timeMs: e.timeMs, text: `a new revision shortly before impact began: ${e.text.replace('deploy: ', '')}, ${Math.round((begin - e.timeMs) / 60_000)} min before` });
    else if (e.kind === 'drift' && near(e) && e.text.startsWith('drift detected') ) out.push({ timeMs: e.timeMs, text: e.text });
    else if (e.kind === 'drift' && near(e) && e.text.startsWith('alert fired')) out.push({ timeMs: e.timeMs, text: `drift alert: ${e.text.replace('alert fired: ', '')}` });
    else if (e.kind === 'rollback') out.push({ timeMs: e.timeMs, text: `a canary was rolled back: ${e.text}` });
    else if (e.kind === 'maintenance' && e.text.endsWith('begins (its requests are left out of the figures)')) out.push({ timeMs: e.timeMs, text: e.text.replace(' begins (its requests are left out of the figures)', ' overlaps the range') });
  }
  return out;
}
