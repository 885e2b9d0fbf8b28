/**
 * A fixed incident of payments/fraud-detector, for report tests: three hours of sidecar records
 * (20 requests a minute), a canary revision from 09:50 taking every other request, failing (5xx,
 * 400 ms) from 10:00 until it is rolled back at 10:22; a page and a latency ticket in the alert
 * journal; a drift result; a canary rollback decision; a maintenance window 08:00–08:20.
 * Every value is a pure function of the request index, so tests recompute the figures from it.
 */
import type { AlertRecord, Store } from '../../src/store/port.js';
import type { CanaryDecision } from '../../src/report/ports.js';
import { decodeBatch } from '../../src/ingest/cloudevents.js';
import { sidecarEvent } from './events.js';

const at = (hh: number, mm: number, ss = 0): number => Date.UTC(2026, 10, 30, hh, mm, ss);

/** The injected times. */
export const INCIDENT = {
  fromMs: at(8, 0),
  toMs: at(11, 0),
  deployMs: at(9, 50),
  impactBeginsMs: at(10, 0),
  pageMs: at(10, 3),
  ticketMs: at(10, 6),
  rollbackMs: at(10, 22),
  pageResolvedMs: at(10, 31),
  ticketResolvedMs: at(10, 45),
  driftMs: at(10, 10),
  maintenance: { fromMs: at(8, 0), toMs: at(8, 20) },
} as const;

export const PRIMARY = 'fraud-detector-predictor-00001';
export const CANARY = 'fraud-detector-predictor-00002';

/** One request record as the fixture defines it. */
export interface FixtureRequest {
  id: string;
  timeMs: number;
  revision: string;
  status: number;
  latencyMs: number;
}

/** Every request: one every 3 s from 08:00 to 11:00. */
export function fixtureRequests(): FixtureRequest[] {
  const out: FixtureRequest[] = [];
  for (let i = 0, t = INCIDENT.fromMs; t < INCIDENT.toMs; i++, t += 3000) {
    const canary = t >= INCIDENT.deployMs && t < INCIDENT.rollbackMs && i % 2 === 1;
    const failing = canary && t >= INCIDENT.impactBeginsMs;
    out.push({ id: `req-${i}`, timeMs: t, revision: canary ? CANARY : PRIMARY, status: failing ? 503 : 200, latencyMs: failing ? 400 : 20 + (i % 7) * 10 });
  }
  return out;
}

/** The config: the example's fraud-detector SLOs, a maintenance window, a dashboard link. */
export function fixtureConfigText(extra = ''): string {
  return [
    'alerting:',
    '  oncall_receiver: oncall',
    '  receivers: [{ name: oncall }, { name: fraud-ml }]',
    'maintenance:',
    '  - { name: payments-db-upgrade, start: "2026-11-30T08:00:00Z", end: "2026-11-30T08:20:00Z" }',
    'models:',
    '  - name: fraud-detector',
    '    namespace: payments',
    '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
    '    maintenance: [payments-db-upgrade]',
    '    dashboard_url: https://grafana.example.com/d/modelslo-oncall?var-namespace=payments&var-model=fraud-detector',
    '    slos:',
    '      - { name: availability, objective: 99.9, window: 28d, sli: { availability: {} } }',
    '      - { name: latency, objective: 99, window: 28d, sli: { latency: { threshold_ms: 200 } } }',
    ...(extra === '' ? [] : [extra]),
    '',
  ].join('\n');
}

const SCOPE = { namespace: 'payments', model: 'fraud-detector' };

function alert(labels: Record<string, string>, status: 'firing' | 'resolved', startsAtMs: number, endsAtMs: number | null, receivers: string[]): AlertRecord {
  const all = { alertname: 'ModelSLOErrorBudgetBurn', ...SCOPE, ...labels };
  return { fingerprint: JSON.stringify(all), status, startsAtMs, endsAtMs, alertname: all.alertname, labels: all, annotations: {}, receivers, groupKey: 'fixture', receivedMs: startsAtMs };
}

/** The journal: the page (1h/5m) fired and resolved, the latency ticket fired and resolved. */
export function fixtureAlerts(): AlertRecord[] {
  const page = { severity: 'page', slo: 'availability', long_window: '1h', short_window: '5m' };
  const ticket = { severity: 'ticket', slo: 'latency', long_window: '1d', short_window: '2h' };
  return [
    alert(page, 'firing', INCIDENT.pageMs, null, ['oncall']),
    alert(page, 'resolved', INCIDENT.pageMs, INCIDENT.pageResolvedMs, ['oncall']),
    alert(ticket, 'firing', INCIDENT.ticketMs, null, ['fraud-ml']),
    alert(ticket, 'resolved', INCIDENT.ticketMs, INCIDENT.ticketResolvedMs, ['fraud-ml']),
  ];
}

/** The canary rollback decision (what canary analysis will store). */
export function fixtureDecisions(): CanaryDecision[] {
  return [
    { timeMs: at(10, 5), revision: CANARY, verdict: 'hold', action: 'none', patch: null, reason: 'failed: error_rate, budget:availability (1 of failure_limit 2; rolled back at 2)' },
    { timeMs: at(10, 6), revision: CANARY, verdict: 'hold', action: 'none', patch: null, reason: 'inconclusive: canary has 150 request records in the window, fewer than min_requests 200' },
    { timeMs: INCIDENT.rollbackMs, revision: CANARY, verdict: 'rollback', action: 'patched', patch: { spec: { predictor: { canaryTrafficPercent: 0 } } }, reason: 'failed: error_rate, budget:availability (2 of failure_limit 2)' },
  ];
}

/** Writes the records, journal and a drift run into `store`. */
export async function seedStore(store: Store): Promise<void> {
  const events = fixtureRequests().flatMap((r) => [
    { ...sidecarEvent('request', r.id, { timeMs: r.timeMs }), modelslorevision: r.revision },
    { ...sidecarEvent('response', r.id, { timeMs: r.timeMs, status: r.status, latencyMs: r.latencyMs }), modelslorevision: r.revision },
  ]);
  for (let i = 0; i < events.length; i += 1000) {
    const d = decodeBatch(Buffer.from(JSON.stringify(events.slice(i, i + 1000))), { eventPayloadBytes: 1 << 20, jsonDepth: 64 });
    if (!d.ok) throw new Error(d.error);
    await store.insertEvents(d.value.events);
  }
  await store.insertAlerts(fixtureAlerts());
  const drift = (feature: string, level: string, score: number) => ({
    ...SCOPE, runMs: INCIDENT.driftMs, windowFromMs: INCIDENT.driftMs - 3_600_000, windowToMs: INCIDENT.driftMs, endpoint: 'all', level: 'drift', driftShare: 0.5,
    feature, kind: 'numeric', test: 'ks', featureLevel: level, score, pValue: level === 'drift' ? 1e-6 : 0.4, adjustedPValue: null, threshold: 0.05, referenceSize: 1000, currentSize: 600, details: null,
  });
  await store.insertDriftResults([drift('amount', 'drift', 0.31), drift('prediction', 'ok', 0.04)]);
  await store.insertDriftResults([{ ...drift('amount', 'ok', 0.05), runMs: INCIDENT.driftMs + 1_800_000 }, { ...drift('prediction', 'ok', 0.03), runMs: INCIDENT.driftMs + 1_800_000 }]);
}
