/**
 * The generated Grafana dashboards, proven where no Grafana runs: their structure, every panel
 * query parsed by Prometheus's grammar and evaluated on a real Prometheus over backfilled sidecar
 * and daemon series (returning data with the labels its legend names), the burn-rate and budget
 * panels equal to src/slo's numbers, and each dashboard drawn in headless Chromium.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/model/types.js';
import { renderYaml } from '../../src/render/yaml.js';
import { GENERATED_NOTE } from '../../src/rules/dashboards/common.js';
import { generateArtifacts } from '../../src/rules/generate.js';
import { modelRuleFile } from '../../src/rules/model-rules.js';
import { budgetRemaining, burnRate, errorBudget } from '../../src/slo/budget.js';
import { BURN_WINDOWS, durationSeconds } from '../../src/slo/burn-windows.js';
import { sumRate } from '../../src/slo/prom-rate.js';
import { promqlError } from '../../src/spec/promql.js';
import { chromiumCapture, legend, servePages, type PagePanel } from '../support/dashboard-page.js';
import { exampleConfig } from '../support/fixtures.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { sidecarHistory, openMetricsText, type Series } from '../support/synthetic-sidecar.js';

interface Target {
  expr: string;
  legendFormat?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
  options?: { content?: string };
}
interface DashboardJson {
  uid: string;
  title: string;
  description: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: string; multi?: boolean }> };
  annotations: { list?: Array<{ name: string; expr?: string; titleFormat?: string }> };
}

const config = exampleConfig();
const model = config.models.find((m) => m.name === 'fraud-detector') as Model;
const boards = generateArtifacts(config)
  .filter((a) => a.kind === 'dashboard')
  .map((a) => ({ name: a.path.replace(/^dashboards\/|\.json$/g, ''), json: a.content as unknown as DashboardJson }));

/** Variable values of the proof: the example model, every revision, both SLO windows. */
const VARS: Record<string, string> = {
  namespace: model.namespace,
  model: model.name,
  revision: '.*',
  slo_window: '28d|30d',
  __rate_interval: '5m',
  __range: '1h',
};
const substitute = (expr: string): string => expr.replace(/\$\{?(__rate_interval|__range|namespace|model|revision|slo_window)\}?/g, (_m, k: string) => VARS[k] ?? '');

const END_MS = Math.floor(Date.now() / 1000) * 1000 - 3000;
const history: Series[] = sidecarHistory({
  endMs: END_MS,
  minutes: 2 * 1440,
  namespace: model.namespace,
  model: model.name,
  bucketsSeconds: model.latencyBucketsMs.map((ms) => ms / 1000),
});

let prom: PrometheusServer;
/**
 * The end of every range query: the moment the rules were seen burning. Queries end there, not at
 * "now", because the backfilled data stops at END_MS: minutes later a 5m rate has too few samples
 * and the alerts would be gone, though what Prometheus recorded until then stays queryable.
 */
let queryEnd = 0;
const nowSeconds = (): number => queryEnd;

beforeAll(async () => {
  prom = await startPrometheus({
    config: 'global: { evaluation_interval: 2s }\nrule_files: [rules.yaml]\n',
    files: { 'rules.yaml': renderYaml(modelRuleFile(model, config.alerting)) },
    openMetrics: openMetricsText(history),
  });
  // Wait for the rules to have evaluated a few times (alerts appear from the second evaluation).
  for (let i = 0; ; i++) {
    const alerts = await prom.query(`ALERTS{alertname="ModelSLOErrorBudgetBurn",namespace="${model.namespace}",model="${model.name}"}`);
    const budget = await prom.query('modelslo:slo_error_budget_remaining:ratio');
    if (alerts.length > 0 && budget.length === 2) {
      // Rounded up: the alert samples just seen may be younger than the last whole second.
      queryEnd = Math.ceil(Date.now() / 1000) + 1;
      break;
    }
    if (i > 180) throw new Error(`no burn alerts or budget series after 90 s:\n${prom.log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}, 150_000);

afterAll(async () => {
  await prom?.stop();
});

describe('dashboard structure', () => {
  it('writes the three dashboards', () => {
    expect(boards.map((b) => b.json.uid)).toEqual(['modelslo-executive', 'modelslo-oncall', 'modelslo-debug']);
  });

  it.each(boards.map((b) => [b.name, b.json] as const))('%s has the variables, stable unique ids, units and descriptions', (_name, d) => {
    const vars = d.templating.list.map((v) => v.name);
    expect(vars).toEqual(expect.arrayContaining(['datasource', 'namespace', 'model', 'slo_window']));
    expect(d.templating.list.find((v) => v.name === 'datasource')?.query).toBe('prometheus');
    expect(d.templating.list.find((v) => v.name === 'namespace')?.multi).toBe(true);
    expect(d.templating.list.find((v) => v.name === 'model')?.multi).toBe(true);
    expect(d.description).toContain(GENERATED_NOTE);
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) {
      expect(p.title, `panel ${p.id}`).not.toBe('');
      expect(p.description, `panel ${p.id} description`).toBeTruthy();
      expect(p.gridPos, `panel ${p.id} gridPos`).toBeDefined();
      if (p.type !== 'text') {
        expect(p.fieldConfig?.defaults?.unit, `panel ${p.id} unit`).toBeTruthy();
        expect(p.targets?.length, `panel ${p.id} targets`).toBeGreaterThan(0);
      }
    }
    // Panels do not overlap on the 24-column grid.
    const cells = new Set<string>();
    for (const p of d.panels) {
      const g = p.gridPos ?? { x: 0, y: 0, w: 0, h: 0 };
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
        expect(cells.has(`${x},${y}`), `panel ${p.id} overlaps at ${x},${y}`).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
  });
});

/** Every query of a dashboard: panel targets, annotations and variable queries. */
function queriesOf(d: DashboardJson): Array<{ where: string; expr: string; legend: string }> {
  const out: Array<{ where: string; expr: string; legend: string }> = [];
  for (const p of d.panels) for (const t of p.targets ?? []) out.push({ where: `panel ${p.id} "${p.title}"`, expr: t.expr, legend: t.legendFormat ?? '' });
  for (const a of d.annotations.list ?? []) if (a.expr !== undefined) out.push({ where: `annotation "${a.name}"`, expr: a.expr, legend: a.titleFormat ?? '' });
  for (const v of d.templating.list) {
    const m = /^label_values\((.+),\s*([a-z_]+)\)$/.exec(v.query ?? '');
    if (m !== null) out.push({ where: `variable ${v.name}`, expr: `count by (${m[2]}) (${m[1]})`, legend: `{{${m[2]}}}` });
  }
  return out;
}

describe.each(boards.map((b) => [b.name, b.json] as const))('%s queries on a real Prometheus', (_name, d) => {
  it.each(queriesOf(d).map((q) => [q.where, q] as const))('%s parses and returns data with its legend labels', async (_where, q) => {
    const expr = substitute(q.expr);
    expect(promqlError(expr), expr).toBeUndefined();
    const end = nowSeconds();
    const result = await prom.queryRange(expr, end - 3600, end, 30);
    expect(result.length, `no data for ${expr}`).toBeGreaterThan(0);
    const wanted = [...q.legend.matchAll(/\{\{\s*([a-zA-Z_]+)\s*\}\}/g)].map((m) => m[1] ?? '');
    for (const s of result) for (const label of wanted) expect(s.metric, `${expr} lacks label ${label}`).toHaveProperty(label);
  });
});

describe('burn-rate and budget panels show what src/slo computes', () => {
  const oncall = boards.find((b) => b.name === 'modelslo-oncall')?.json as DashboardJson;
  const executive = boards.find((b) => b.name === 'modelslo-executive')?.json as DashboardJson;
  const pick = (name: string, code?: string, le?: string): Series[] =>
    history.filter((s) => s.name === name && (code === undefined || s.labels.code === code) && (le === undefined || s.labels.le === le));

  /** Error ratio of an SLO at `t` over `window`, from the raw samples. */
  function ratio(slo: string, t: number, window: string): number {
    const range = durationSeconds(window) * 1000;
    if (slo === 'availability') {
      const errors = sumRate(pick('modelslo_requests_total', '500').map((s) => s.samples), t, range) ?? 0;
      return errors / (sumRate(pick('modelslo_requests_total').map((s) => s.samples), t, range) ?? NaN);
    }
    const total = sumRate(pick('modelslo_request_duration_seconds_count').map((s) => s.samples), t, range) ?? NaN;
    const good = sumRate(pick('modelslo_request_duration_seconds_bucket', undefined, '0.2').map((s) => s.samples), t, range) ?? 0;
    return (total - good) / total;
  }

  const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-12));

  // The synthetic sidecar feeds request series; the correctness SLO reads the daemon's labelled
  // counters instead, and its rules are judged in test/daemon/correctness.test.ts.
  it.each(model.slos.filter((s) => s.sli.kind !== 'correctness').map((s) => [s.name, s] as const))('%s: budget gauge and the four burn-rate panels', async (name, slo) => {
    const stamp = await prom.query(`timestamp(modelslo:slo_error_budget_remaining:ratio{slo="${name}"})`);
    const t = Math.round((stamp[0]?.value ?? NaN) * 1000);
    expect(Number.isFinite(t)).toBe(true);
    const budget = errorBudget(slo.objective);
    const gauge = executive.panels.find((p) => p.title === 'Error budget remaining')?.targets?.[0]?.expr ?? '';
    const shown = (await prom.query(substitute(gauge), t / 1000)).find((s) => s.metric.slo === name);
    close(shown?.value ?? NaN, budgetRemaining(ratio(name, t, slo.window), budget));
    for (const row of BURN_WINDOWS) {
      const panel = oncall.panels.find((p) => p.title.startsWith(`Burn rate ${row.long} / ${row.short}`));
      for (const [target, window] of [[panel?.targets?.[0], row.long], [panel?.targets?.[1], row.short]] as const) {
        const got = (await prom.query(substitute(target?.expr ?? ''), t / 1000)).find((s) => s.metric.slo === name);
        close(got?.value ?? NaN, burnRate(ratio(name, t, window), budget));
      }
    }
  });
});

describe('dashboards drawn in headless Chromium', () => {
  const shots = join(tmpdir(), 'modelslo-dashboard-screenshots');
  let pages: Awaited<ReturnType<typeof servePages>>;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const end = nowSeconds();
    const content: Record<string, { title: string; panels: PagePanel[] }> = {};
    for (const b of boards) {
      const panels: PagePanel[] = [];
      for (const p of b.json.panels) {
        const series: PagePanel['series'] = [];
        for (const t of p.targets ?? []) {
          for (const s of await prom.queryRange(substitute(t.expr), end - 3600, end, 60)) series.push({ name: legend(t.legendFormat ?? '', s), values: s.values });
        }
        panels.push({ id: p.id, title: p.title, type: p.type, ...(p.options?.content !== undefined ? { text: p.options.content } : {}), series });
      }
      content[b.name] = { title: b.json.title, panels };
    }
    pages = await servePages(content);
  }, 120_000);

  afterAll(async () => {
    await pages?.close();
  });

  it.each(boards.map((b) => [b.name, b.json] as const))('%s: every panel draws a series and the screenshot is not blank', { timeout: 120_000 }, async (name, d) => {
    const png = join(shots, `${name}.png`);
    const dom = await chromiumCapture(pages.url(name), png);
    expect(dom).toContain('data-ready="yes"');
    for (const p of d.panels.filter((x) => x.type !== 'text')) {
      const m = new RegExp(`id="panel-${p.id}"[^>]*data-series="(\\d+)"`).exec(dom);
      expect(Number(m?.[1] ?? 0), `panel ${p.id} "${p.title}" drew no series`).toBeGreaterThan(0);
    }
    const image = PNG.sync.read(await readFile(png));
    let ink = 0;
    for (let i = 0; i < image.data.length; i += 4) if ((image.data[i] ?? 255) < 200 || (image.data[i + 1] ?? 255) < 200 || (image.data[i + 2] ?? 255) < 200) ink++;
    expect(ink / (image.width * image.height)).toBeGreaterThan(0.005);
    process.stderr.write(`screenshot: ${png}\n`);
  });
});
