/**
 * The report's charts as Vega-Lite specs (data, not pictures): error ratio, burn rates, latency
 * percentiles, error budget remaining, request volume by revision, drift scores. Every chart
 * shades the incident window (layer `incident`), marks the timeline's events (layer `events`)
 * and draws its series (layer `data`); time is on a UTC scale so no local time zone leaks in.
 */
import { BURN_WINDOWS, burnFactor } from '../slo/burn-windows.js';
import type { BuiltReport } from './build.js';
import { MITIGATION_WINDOW_MS } from './incident.js';
import type { DriftRow } from './ports.js';
import { percentile, trailingRatio } from './series.js';
import { durationSeconds } from '../slo/burn-windows.js';

/** One chart: its file name, title and Vega-Lite spec. */
export interface ChartSpec {
  file: string;
  title: string;
  spec: Record<string, unknown>;
}

type Point = Record<string, string | number>;

const WIDTH = 720;
const HEIGHT = 180;
const KIND_COLORS: Record<string, string> = { marker: '#b71c1c', alert: '#e65100', deploy: '#1565c0', canary: '#6a1b9a', rollback: '#6a1b9a', drift: '#2e7d32', maintenance: '#616161' };

function chart(b: BuiltReport, file: string, title: string, yTitle: string, values: Point[], series: string, rules: Point[], yScale: Record<string, unknown> = {}): ChartSpec {
  const r = b.report;
  const x = { field: 't', type: 'temporal', title: 'time (UTC)', scale: { type: 'utc', domain: [r.range.fromMs, r.range.toMs] }, axis: { format: '%H:%M', labelOverlap: true } };
  const events = r.timeline.map((e) => ({ t: e.timeMs, kind: e.kind, text: e.text }));
  const layers: Record<string, unknown>[] = [
    { name: 'incident', data: { values: [{ t: r.impact.window.fromMs, t2: r.impact.window.toMs }] }, mark: { type: 'rect', color: '#f4c7c3', opacity: 0.6, aria: false }, encoding: { x: { ...x, field: 't' }, x2: { field: 't2' } } },
    { name: 'data', data: { values }, mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 }, encoding: { x, y: { field: 'v', type: 'quantitative', title: yTitle, scale: yScale }, color: { field: series, type: 'nominal', title: series } } },
  ];
  if (rules.length > 0) layers.push({ name: 'thresholds', data: { values: rules }, mark: { type: 'rule', strokeDash: [6, 3], color: '#424242' }, encoding: { y: { field: 'v', type: 'quantitative' } } });
  if (events.length > 0) layers.push({ name: 'events', data: { values: events }, mark: { type: 'rule', strokeWidth: 1, opacity: 0.7 }, encoding: { x, color: { field: 'kind', type: 'nominal', scale: { domain: Object.keys(KIND_COLORS), range: Object.values(KIND_COLORS) }, legend: null } } });
  return {
    file,
    title,
    spec: { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, width: WIDTH, height: HEIGHT, background: 'white', config: { font: 'sans-serif' }, resolve: { scale: { color: 'independent' } }, layer: layers },
  };
}

/** Per-step points over the report range, each step at its start time; `f` returns null to leave a step out. */
function perStep(b: BuiltReport, f: (k: number) => number | null, extra: Point): Point[] {
  const out: Point[] = [];
  for (let k = b.first; k < b.last; k++) {
    const v = f(k);
    if (v !== null && Number.isFinite(v)) out.push({ t: b.grid.baseMs + k * b.grid.stepMs, v, ...extra });
  }
  return out;
}

/** The charts that have data, in the report's order. */
export function chartSpecs(b: BuiltReport, drift: readonly DriftRow[]): ChartSpec[] {
  const g = b.grid;
  const steps = (ms: number): number => Math.round(ms / g.stepMs);
  const out: ChartSpec[] = [];
  const ratios = g.slos.flatMap((c) => perStep(b, (k) => trailingRatio(c, k + 1, steps(MITIGATION_WINDOW_MS)), { slo: c.slo.name }));
  if (ratios.length > 0) out.push(chart(b, 'error-ratio.svg', 'SLI error ratio (5m) and 1 − objective', 'error ratio', ratios, 'slo', g.slos.map((c) => ({ v: c.budget, slo: c.slo.name }))));
  const primary = g.slos.find((c) => c.slo.name === b.report.detection.slo) ?? g.slos[0];
  if (primary !== undefined) {
    const burn = ['5m', '1h', '6h'].flatMap((w) => perStep(b, (k) => {
      const r = trailingRatio(primary, k + 1, steps(durationSeconds(w) * 1000));
      return r === null ? null : r / primary.budget;
    }, { window: w }));
    const factors = [...new Set(BURN_WINDOWS.filter((w) => w.severity === 'page').map((w) => burnFactor(w, primary.slo.window)))].map((v) => ({ v }));
    if (burn.length > 0) out.push(chart(b, 'burn-rate.svg', `Burn rate of SLO ${primary.slo.name} and the page thresholds`, 'burn rate (× budget)', burn, 'window', factors));
  }
  const latency = ([['p50', 0.5], ['p95', 0.95], ['p99', 0.99]] as const).flatMap(([name, q]) => perStep(b, (k) => percentile(g.latencies[k] ?? [], q), { percentile: name }));
  const thresholds = b.report.supporting.model.slos.flatMap((s) => (s.sli.kind === 'latency' ? [{ v: s.sli.thresholdMs }] : []));
  if (latency.length > 0) out.push(chart(b, 'latency.svg', 'Latency percentiles and the latency SLO threshold', 'latency (ms)', latency, 'percentile', thresholds));
  const budget = g.slos.flatMap((c) => perStep(b, (k) => {
    const r = trailingRatio(c, k + 1, steps(durationSeconds(c.slo.window) * 1000));
    return r === null ? null : 1 - r / c.budget;
  }, { slo: c.slo.name }));
  if (budget.length > 0) out.push(chart(b, 'budget.svg', 'Error budget remaining over the SLO window', 'budget remaining', budget, 'slo', [{ v: 0 }]));
  const volume = [...g.revisions.entries()].sort(([a], [z]) => (a < z ? -1 : 1)).flatMap(([rev, counts]) => perStep(b, (k) => counts[k] ?? 0, { revision: rev }));
  if (volume.length > 0) out.push(chart(b, 'volume.svg', 'Requests per minute by revision (the canary split)', 'requests / step', volume, 'revision', []));
  const scores = drift.filter((d) => d.score !== null).map((d) => ({ t: d.runMs, v: d.score ?? 0, feature: `${d.feature} (${d.test})` }));
  if (scores.length > 0) out.push(chart(b, 'drift.svg', 'Drift score per feature', 'score', scores, 'feature', []));
  return out;
}
