/** The report's pure pieces on small hand-made cases: maintenance in time, incident endpoints, the latest incident, ALERTS the journal missed. */
import { describe, expect, it } from 'vitest';
import type { Slo } from '../../src/model/types.js';
import { uncovered } from '../../src/report/draft.js';
import { findMarkers, latestIncident } from '../../src/report/incident.js';
import { maintenanceIntervals } from '../../src/report/maintenance.js';
import type { AlertState, RequestRow } from '../../src/report/ports.js';
import { buildGrid } from '../../src/report/series.js';
import { routeReceivers } from '../../src/rules/alertmanager-routes.js';

const T = (iso: string): number => Date.parse(iso);
const availability = (): Slo => ({ name: 'availability', objective: 99, window: '28d', sli: { kind: 'availability' }, alerts: { page: true, ticket: true } });
const page = (startIso: string, endIso: string | null, labels: Record<string, string> = {}): AlertState => ({
  status: endIso === null ? 'firing' : 'resolved',
  startsAtMs: T(startIso),
  endsAtMs: endIso === null ? null : T(endIso),
  alertname: 'ModelSLOErrorBudgetBurn',
  labels: { alertname: 'ModelSLOErrorBudgetBurn', severity: 'page', slo: 'availability', long_window: '1h', ...labels },
  receivers: ['oncall'],
});

describe('maintenance windows in time', () => {
  it.each([
    ['a weekly window on the Sunday of the range', '2026-11-28T00:00:00Z', '2026-11-30T00:00:00Z', [['2026-11-29T03:00:00Z', '2026-11-29T04:30:00Z']]],
    ['a weekly window clipped by the range start', '2026-11-29T04:00:00Z', '2026-11-29T12:00:00Z', [['2026-11-29T04:00:00Z', '2026-11-29T04:30:00Z']]],
    ['no window on other days', '2026-11-30T00:00:00Z', '2026-12-05T00:00:00Z', []],
  ])('gives %s', (_name, from, to, expected) => {
    const got = maintenanceIntervals([{ name: 'sunday-reindex', kind: 'weekly', weekdays: ['sunday'], startTime: '03:00', endTime: '04:30' }], T(from), T(to));
    expect(got.map((i) => [new Date(i.fromMs).toISOString().replace('.000', ''), new Date(i.toMs).toISOString().replace('.000', '')])).toEqual(expected);
  });
});

describe('incident endpoints', () => {
  // 10 requests a minute from 10:00 to 11:00; half fail from 10:10 to 10:20 except at 10:14, which has no requests.
  const rows: RequestRow[] = [];
  for (let m = 0; m < 60; m++) {
    if (m === 14) continue;
    for (let i = 0; i < 10; i++) rows.push({ timeMs: T('2026-11-30T10:00:00Z') + m * 60_000 + i * 6000, revision: 'r1', endpoint: 'default', status: m >= 10 && m < 20 && i % 2 === 0 ? 500 : 200, latencyMs: 10 });
  }
  const base = T('2026-11-30T10:00:00Z');
  const grid = buildGrid(rows, [availability()], base, 60_000, 60);

  it('begins at the run\'s first step across a step without requests, detected by the first page, and ends after 15 min under', () => {
    const m = findMarkers(grid, 0, 60, [page('2026-11-30T10:16:00Z', '2026-11-30T10:40:00Z')], []);
    expect(m.impactBeginsMs).toBe(T('2026-11-30T10:10:00Z'));
    expect(m.detectedMs).toBe(T('2026-11-30T10:16:00Z'));
    // 5m error ratio back under 1 % once the last failing minute (10:19) left the window: at 10:25.
    expect(m).toMatchObject({ mitigatedMs: T('2026-11-30T10:25:00Z'), mitigatedBy: 'error ratio', impactEndsMs: T('2026-11-30T10:20:00Z') });
  });

  it('finds the worst step\'s run without any alert, and a rollback mitigates first', () => {
    const m = findMarkers(grid, 0, 60, [], [{ timeMs: T('2026-11-30T10:18:00Z'), revision: 'r2', verdict: 'rollback', action: 'patched', patch: null, reason: 'x' }]);
    expect(m).toMatchObject({ impactBeginsMs: T('2026-11-30T10:10:00Z'), detectedMs: null, mitigatedMs: T('2026-11-30T10:18:00Z'), mitigatedBy: 'rollback' });
  });
});

describe('the latest incident', () => {
  it('merges pages less than 1 h apart, leaves an older one out, and pads the period', () => {
    const w = latestIncident([page('2026-11-30T02:00:00Z', '2026-11-30T02:30:00Z'), page('2026-11-30T10:00:00Z', '2026-11-30T10:30:00Z', { long_window: '6h' }), page('2026-11-30T11:00:00Z', '2026-11-30T11:20:00Z')], T('2026-11-30T15:00:00Z'));
    expect(w).toMatchObject({ fromMs: T('2026-11-30T09:00:00Z'), toMs: T('2026-11-30T11:50:00Z') });
    expect(w?.how).toContain('2 alerts');
  });

  it('runs to now while the page still fires, and is null without pages or tickets', () => {
    expect(latestIncident([page('2026-11-30T14:00:00Z', null)], T('2026-11-30T15:00:00Z'))?.toMs).toBe(T('2026-11-30T15:00:00Z'));
    expect(latestIncident([{ ...page('2026-11-30T14:00:00Z', null), alertname: 'ModelDrift' }], T('2026-11-30T15:00:00Z'))).toBeNull();
  });
});

describe('ALERTS history the journal missed', () => {
  it('keeps only intervals no journal state of the same alert overlaps', () => {
    const journal = [page('2026-11-30T10:00:00Z', '2026-11-30T10:30:00Z')];
    const history = [page('2026-11-30T10:01:00Z', '2026-11-30T10:31:00Z'), page('2026-11-30T10:05:00Z', '2026-11-30T10:40:00Z', { long_window: '6h' }), page('2026-11-30T12:00:00Z', '2026-11-30T12:10:00Z')];
    expect(uncovered(history, journal).map((h) => [h.labels.long_window, h.startsAtMs])).toEqual([['6h', T('2026-11-30T10:05:00Z')], ['1h', T('2026-11-30T12:00:00Z')]]);
  });
});

describe('routing', () => {
  it('follows negative and regex matchers, continue, and falls back to the parent receiver', () => {
    const root = { receiver: 'default', routes: [{ receiver: 'all-but-x', matchers: ['team!="x"'], continue: true }, { receiver: 'not-db', matchers: ['service!~"db-.*"'] }, { receiver: 'never', matchers: ['a="b"'] }] };
    expect(routeReceivers(root, { team: 'y', service: 'web' })).toEqual(['all-but-x', 'not-db']);
    expect(routeReceivers(root, { team: 'x', service: 'db-1' })).toEqual(['default']);
    expect(routeReceivers(root, { team: 'y', service: 'db-1' })).toEqual(['all-but-x']);
  });
});
