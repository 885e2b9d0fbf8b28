/**
 * The postmortem report on a fixed incident (test/support/incident.ts): a real SQLite store, and a
 * real Prometheus holding backfilled ALERTS history. The Markdown is compared byte for byte with
 * test/golden/report/ (UPDATE_GOLDEN=1 rewrites it); the figures are recomputed here from the raw
 * rows, the budget with src/slo, time to detect from the injected start and the journal's page.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusAlertHistory } from '../../src/alerting/prometheus-alerts.js';
import type { Config, Model } from '../../src/model/types.js';
import { draftReport } from '../../src/report/draft.js';
import type { BuiltReport } from '../../src/report/build.js';
import type { ReportSource } from '../../src/report/ports.js';
import { renderReport, type RenderedReport } from '../../src/report/render.js';
import { budgetRemaining, errorBudget } from '../../src/slo/budget.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { mustParse, repoPath } from '../support/fixtures.js';
import { fixtureConfigText, fixtureDecisions, fixtureRequests, INCIDENT, PRIMARY } from '../support/incident.js';
import { seedStore } from '../support/incident.js';
import { backfillOpenMetrics, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { visitPage, type PageVisit } from '../support/report-page.js';

const GOLDEN = repoPath('test/golden/report/fraud-detector');
const at = (hh: number, mm: number): number => Date.UTC(2026, 10, 30, hh, mm);

/** ALERTS as Prometheus recorded it: the journal's page, and a 6h/30m page the journal never got. */
function alertsHistory(): string {
  const base = 'alertname="ModelSLOErrorBudgetBurn",alertstate="firing",model="fraud-detector",namespace="payments",severity="page",slo="availability"';
  const lines = ['# TYPE ALERTS gauge'];
  for (let t = at(10, 3); t < at(10, 31); t += 60_000) lines.push(`ALERTS{${base},long_window="1h",short_window="5m"} 1 ${t / 1000}`);
  for (let t = at(10, 12); t < at(10, 35); t += 60_000) lines.push(`ALERTS{${base},long_window="6h",short_window="30m"} 1 ${t / 1000}`);
  return `${lines.join('\n')}\n# EOF\n`;
}

let dir: string;
let store: Store;
let prom: PrometheusServer;
let config: Config;
let model: Model;
let built: BuiltReport;
let rendered: RenderedReport;

const withCanary = (s: Store): ReportSource => Object.assign(Object.create(s) as Store, { canaryDecisions: () => Promise.resolve(fixtureDecisions()) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelslo-report-'));
  store = await openSqliteStore(join(dir, 'modelslo.db'));
  await seedStore(store);
  const blocks = join(dir, 'blocks');
  await backfillOpenMetrics(alertsHistory(), blocks);
  prom = await startPrometheus({ config: 'global: { scrape_interval: 1m }\n', blocksDir: blocks });
  config = mustParse(fixtureConfigText());
  model = config.models[0] as Model;
  const drafted = await draftReport(withCanary(store), { config, model, fromMs: INCIDENT.fromMs, toMs: INCIDENT.toMs, nowMs: at(12, 0), history: prometheusAlertHistory(prom.url) });
  if (!drafted.ok) throw new Error(drafted.error);
  built = drafted.built;
  rendered = await renderReport(built);
}, 120_000);

afterAll(async () => {
  await prom?.stop();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the postmortem report of the fixed incident', () => {
  it('renders the expected Markdown, byte for byte', () => {
    const file = join(GOLDEN, 'report.md');
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, rendered.markdown);
    }
    expect(rendered.markdown).toBe(readFileSync(file, 'utf8'));
  });

  it('finds the injected endpoints; time to detect is the injected start to the first page in the journal', () => {
    const d = built.report.detection;
    expect(d.impactBeginsMs).toBe(INCIDENT.impactBeginsMs);
    expect(d.detectedMs).toBe(INCIDENT.pageMs);
    expect(d.detectedBy?.receivers).toEqual(['oncall']);
    expect(d.ttdSeconds).toBe((INCIDENT.pageMs - INCIDENT.impactBeginsMs) / 1000);
    expect(d).toMatchObject({ mitigatedMs: INCIDENT.rollbackMs, mitigatedBy: 'rollback', impactEndsMs: INCIDENT.rollbackMs });
    expect(d.ttmSeconds).toBe((INCIDENT.rollbackMs - INCIDENT.impactBeginsMs) / 1000);
  });

  it('counts requests, failures and slow requests per revision as the raw rows do, maintenance left out', () => {
    const { fromMs, toMs } = built.report.impact.window;
    const rows = fixtureRequests().filter((r) => r.timeMs >= fromMs && r.timeMs < toMs);
    expect(built.report.impact).toMatchObject({ requests: rows.length, failed: rows.filter((r) => r.status >= 500).length, slow: rows.filter((r) => r.latencyMs > 200).length });
    for (const rev of new Set(rows.map((r) => r.revision))) {
      const mine = rows.filter((r) => r.revision === rev);
      expect(built.report.impact.byRevision.find((b) => b.revision === rev)).toEqual({ revision: rev, requests: mine.length, failed: mine.filter((r) => r.status >= 500).length, slow: mine.filter((r) => r.latencyMs > 200).length });
    }
    const inMaintenance = fixtureRequests().filter((r) => r.timeMs >= INCIDENT.maintenance.fromMs && r.timeMs < INCIDENT.maintenance.toMs).length;
    expect(built.report.impact.maintenance.excludedRequests).toBe(inMaintenance);
  });

  it('spends the budget src/slo computes over the SLO window ending at the incident end', () => {
    const { fromMs, toMs } = built.report.impact.window;
    const kept = fixtureRequests().filter((r) => !(r.timeMs >= INCIDENT.maintenance.fromMs && r.timeMs < INCIDENT.maintenance.toMs) && r.timeMs < toMs && r.timeMs >= toMs - 28 * 86_400_000);
    for (const [slo, bad] of [['availability', (r: { status: number }) => r.status >= 500], ['latency', (r: { latencyMs: number }) => r.latencyMs > 200]] as const) {
      const budget = errorBudget(slo === 'availability' ? 99.9 : 99);
      const incidentBad = kept.filter((r) => r.timeMs >= fromMs && bad(r as never)).length;
      const windowBad = kept.filter((r) => bad(r as never)).length;
      const b = built.report.impact.budgets.find((x) => x.slo === slo);
      expect(b?.incidentBad).toBe(incidentBad);
      expect(b?.spent).toBeCloseTo(1 - budgetRemaining(incidentBad / kept.length, budget), 12);
      expect(b?.remainingAfter).toBeCloseTo(budgetRemaining(windowBad / kept.length, budget), 12);
    }
    expect(built.report.impact.budgetSpent).toBe(built.report.impact.budgets.find((b) => b.slo === 'availability')?.spent);
  });

  it('counts the SLO window before the range in the store (per step, maintenance left out) to the same budget', async () => {
    // From 09:00 the hour before (with the maintenance window) is counted by the store, not read row by row.
    const later = await draftReport(withCanary(store), { config, model, fromMs: at(9, 0), toMs: INCIDENT.toMs, nowMs: at(12, 0) });
    if (!later.ok) throw new Error(later.error);
    expect(later.built.report.impact.budgets).toEqual(built.report.impact.budgets);
    expect(later.built.report.detection.impactBeginsMs).toBe(INCIDENT.impactBeginsMs);
    const counts = await store.stepCounts({ namespace: 'payments', model: 'fraud-detector', fromMs: at(8, 0), toMs: at(9, 0), stepMs: 60_000, thresholdsMs: [200], exclude: [INCIDENT.maintenance] });
    const rows = fixtureRequests().filter((r) => r.timeMs >= INCIDENT.maintenance.toMs && r.timeMs < at(9, 0));
    expect(counts.reduce((n, c) => n + c.total, 0)).toBe(rows.length);
    expect(counts[0]?.startMs).toBe(INCIDENT.maintenance.toMs);
    const during = await store.stepCounts({ namespace: 'payments', model: 'fraud-detector', fromMs: at(10, 0), toMs: at(10, 22), stepMs: 60_000, thresholdsMs: [200, 1000], exclude: [] });
    const bad = fixtureRequests().filter((r) => r.timeMs >= at(10, 0) && r.timeMs < at(10, 22));
    const sum = (f: (c: (typeof during)[number]) => number): number => during.reduce((n, c) => n + f(c), 0);
    expect([sum((c) => c.total), sum((c) => c.failed), sum((c) => c.timed), sum((c) => c.slow[0] ?? 0), sum((c) => c.slow[1] ?? 0)]).toEqual([
      bad.length, bad.filter((r) => r.status >= 500).length, bad.length, bad.filter((r) => r.latencyMs > 200).length, 0,
    ]);
  });

  it('puts journal alerts with their receivers, the deploy, the canary rollback with its patch, drift and Prometheus-only alerts on the timeline', () => {
    const texts = built.report.timeline.map((e) => e.text);
    expect(texts).toContain('alert fired: ModelSLOErrorBudgetBurn (page, slo=availability, 1h/5m) → oncall');
    expect(texts).toContain('alert resolved: ModelSLOErrorBudgetBurn (ticket, slo=latency, 1d/2h) → fraud-ml');
    expect(texts.filter((t) => t.startsWith('alert ') && t.includes('1h/5m')).length).toBe(2);
    expect(texts).toContain('alert fired: ModelSLOErrorBudgetBurn (page, slo=availability, 6h/30m) (from Prometheus ALERTS; not in the alert journal)');
    expect(texts).toContain('deploy: revision fraud-detector-predictor-00002 first seen in the request records');
    expect(texts.find((t) => t.startsWith('canary rollback'))).toContain('{"spec":{"predictor":{"canaryTrafficPercent":0}}}');
    expect(texts.some((t) => t.startsWith('drift detected: feature amount'))).toBe(true);
    const markers = built.report.timeline.filter((e) => e.kind === 'marker').map((e) => e.text.split(' (')[0]);
    expect(markers).toEqual(['IMPACT BEGINS', 'DETECTED', 'MITIGATED', 'IMPACT ENDS']);
    expect(built.report.candidates.map((c) => c.text.split(':')[0])).toEqual(['maintenance window payments-db-upgrade overlaps the range', 'a new revision shortly before impact began', 'drift detected', 'a canary was rolled back']);
    // The revision the records begin with was not seen being deployed.
    expect(texts).not.toContain(`deploy: revision ${PRIMARY} first seen in the request records`);
  });

  it('writes the figures as numbers in the JSON', () => {
    const json = JSON.parse(rendered.json) as { impact: Record<string, unknown>; detection: Record<string, unknown> };
    expect(json.impact).toMatchObject({ requests: built.report.impact.requests, failed: built.report.impact.failed, slow: built.report.impact.slow, budgetSpent: built.report.impact.budgetSpent });
    expect(json.detection.ttdSeconds).toBe(180);
  });

  it('draws every chart with data marks and the shaded incident band, the same bytes in any time zone', async () => {
    expect([...rendered.svgs.keys()]).toEqual(['charts/error-ratio.svg', 'charts/burn-rate.svg', 'charts/latency.svg', 'charts/budget.svg', 'charts/volume.svg', 'charts/drift.svg']);
    for (const [file, svg] of rendered.svgs) {
      expect(svg, file).toMatch(/class="mark-rect role-mark incident_marks"[^>]*><path [^>]*fill="#f4c7c3"/);
      expect(svg, file).toMatch(/class="mark-line role-mark data_marks"[^>]*><path [^>]*d="M[^"]{20,}/);
      expect(rendered.markdown).toContain(`](${file})`);
    }
    const tz = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      const again = await renderReport(built);
      expect(again.svgs).toEqual(rendered.svgs);
      expect(again.html).toBe(rendered.html);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});

describe('the HTML report in headless Chromium', () => {
  const pageRequests = (v: PageVisit): string[] => v.requests.filter((r) => r.referer !== null).map((r) => r.url.replace(/^http:\/\/127\.0\.0\.1:\d+/, ''));

  it('notices a console error and an external request (the check can fail)', { timeout: 60_000 }, async () => {
    const v = await visitPage('<!DOCTYPE html><p>x</p><img src="http://example.invalid/x.png"><script>console.error("boom")</script>', join(dir, 'control.png'), 400);
    expect(pageRequests(v)).toContain('http://example.invalid/x.png');
    expect(v.console.join('\n')).toContain('boom');
  });

  it('opens with no console message and no request but the page itself; the screenshot is not blank', { timeout: 60_000 }, async () => {
    const png = process.env.UPDATE_GOLDEN === '1' ? repoPath('docs/report-example/report.png') : join(dir, 'report.png');
    mkdirSync(dirname(png), { recursive: true });
    const v = await visitPage(rendered.html, png, 7800);
    expect(v.console).toEqual([]);
    expect(pageRequests(v).filter((u) => u !== '/favicon.ico')).toEqual([]);
    expect(v.requests.filter((r) => r.url.endsWith('/page.html'))).toHaveLength(1);
    const image = PNG.sync.read(readFileSync(png));
    let ink = 0;
    const colours = new Set<number>();
    for (let i = 0; i < image.data.length; i += 4) {
      const [r = 255, g = 255, b = 255] = [image.data[i], image.data[i + 1], image.data[i + 2]];
      if (r + g + b < 720) ink++;
      colours.add((r << 16) | (g << 8) | b);
    }
    expect(ink / (image.width * image.height)).toBeGreaterThan(0.02);
    // Text, the shaded band and the chart lines: many colours, not a flat page.
    expect(colours.size).toBeGreaterThan(50);
  });
});

describe('the rendered example in docs/', () => {
  it('is this report: Markdown and charts (UPDATE_GOLDEN=1 rewrites them)', () => {
    const docs = repoPath('docs/report-example');
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(join(docs, 'charts'), { recursive: true });
      writeFileSync(join(docs, 'report.md'), rendered.markdown);
      writeFileSync(join(docs, 'report.html'), rendered.html);
      for (const [path, svg] of rendered.svgs) writeFileSync(join(docs, path), svg);
    }
    expect(readFileSync(join(docs, 'report.md'), 'utf8')).toBe(rendered.markdown);
    for (const [path, svg] of rendered.svgs) expect(readFileSync(join(docs, path), 'utf8'), path).toBe(svg);
  });
});
