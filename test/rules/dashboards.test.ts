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
import { EXPORTER_FAMILIES, exporterHistory, RESTART, syntheticPods } from '../support/synthetic-exporters.js';
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
const substitute = (expr: string, vars: Record<string, string> = {}): string =>
  expr.replace(/\$\{?(__rate_interval|__range|namespace|model|revision|slo_window)\}?/g, (_m, k: string) => vars[k] ?? VARS[k] ?? '');

const END_MS = Math.floor(Date.now() / 1000) * 1000 - 3000;
const history: Series[] = sidecarHistory({
  endMs: END_MS,
  minutes: 2 * 1440,
  namespace: model.namespace,
  model: model.name,
  bucketsSeconds: model.latencyBucketsMs.map((ms) => ms / 1000),
});
/** kube-state-metrics, cAdvisor, DCGM exporter and Knative queue-proxy series, as they export them. */
const exporters: Series[] = exporterHistory(END_MS, 2 * 1440);

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
    openMetrics: openMetricsText([...history, ...exporters], EXPORTER_FAMILIES),
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

describe('exporter panels show what the raw exporter series say', () => {
  const panel = (board: string, title: string): Panel => boards.find((b) => b.name === board)?.json.panels.find((p) => p.title === title) as Panel;
  const expr = (board: string, title: string, i = 0, vars: Record<string, string> = {}): string => substitute(panel(board, title).targets?.[i]?.expr ?? '', vars);
  const pods = syntheticPods();
  /** A gauge's value at `t` as an instant query sees it: its latest sample within the 5m lookback. */
  const at = (s: Series | undefined, t: number): number | undefined => [...(s?.samples ?? [])].reverse().find((p) => p.t <= t && p.t > t - 300_000)?.v;
  const raw = (name: string, match: Record<string, string>): Series[] => exporters.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  const predictors = (isvc: string, t: number): string[] => pods.filter((p) => p.isvc === isvc && p.component === 'predictor' && raw('kube_pod_labels', { pod: p.pod }).some((s) => at(s, t) === 1)).map((p) => p.pod);
  const T = (): number => END_MS - 20 * 60_000;
  const close = (a: number | undefined, b: number | undefined): void => expect(Math.abs((a ?? NaN) - (b ?? NaN))).toBeLessThanOrEqual(1e-9 * Math.abs(b ?? NaN));

  it('cost per inference is the price × ready replicas (or their GPUs) ÷ 3600 ÷ requests per second', async () => {
    const t = T();
    const ready = (isvc: string): string[] => predictors(isvc, t).filter((pod) => at(raw('kube_pod_status_ready', { pod, condition: 'true' })[0], t) === 1);
    const fdRate = sumRate(history.filter((s) => s.name === 'modelslo_requests_total').map((s) => s.samples), t, 300_000) ?? NaN;
    const fd = await prom.query(expr('modelslo-executive', 'Cost per inference'), t / 1000);
    expect(fd.map((s) => s.metric)).toEqual([{ namespace: 'payments', model: 'fraud-detector' }]);
    expect(ready('fraud-detector')).toHaveLength(3);
    close(fd[0]?.value, (0.9 * 3) / 3600 / fdRate);
    const gpus = ready('query-ranker').reduce((n, pod) => n + (at(raw('kube_pod_container_resource_requests', { pod, resource: 'nvidia_com_gpu' })[0], t) ?? 0), 0);
    const qrRate = sumRate(raw('revision_app_request_count', { namespace_name: 'search' }).map((s) => s.samples), t, 300_000) ?? NaN;
    const qr = await prom.query(expr('modelslo-executive', 'Cost per inference', 0, { namespace: 'search', model: 'query-ranker' }), t / 1000);
    expect(qr.map((s) => s.metric)).toEqual([{ namespace: 'search', model: 'query-ranker' }]);
    expect(gpus).toBe(2);
    close(qr[0]?.value, (2.5 * gpus) / 3600 / qrRate);
  });

  it('CPU, memory and GPU panels hold only the model\'s predictor pods, their containers summed without the pod cgroup and pause series', async () => {
    const t = T();
    const want = predictors('fraud-detector', t).sort();
    const containers = (name: string, pod: string): Series[] => raw(name, { pod }).filter((s) => s.labels.container !== '' && s.labels.container !== 'POD');
    const cpu = await prom.query(expr('modelslo-debug', 'CPU usage'), t / 1000);
    expect(cpu.map((s) => s.metric.pod).sort()).toEqual(want);
    for (const s of cpu) close(s.value, sumRate(containers('container_cpu_usage_seconds_total', s.metric.pod ?? '').map((c) => c.samples), t, 300_000));
    const mem = await prom.query(expr('modelslo-debug', 'Memory working set'), t / 1000);
    for (const s of mem) close(s.value, containers('container_memory_working_set_bytes', s.metric.pod ?? '').reduce((a, c) => a + (at(c, t) ?? NaN), 0));
    expect(mem.map((s) => s.metric.pod).sort()).toEqual(want);
    const gpu = await prom.query(expr('modelslo-debug', 'GPU utilization'), t / 1000);
    expect(gpu.map((s) => `${s.metric.pod ?? ''}/${s.metric.gpu ?? ''}`).sort()).toEqual(want.map((p) => `${p}/0`));
    for (const s of gpu) expect(s.value).toBe(at(raw('DCGM_FI_DEV_GPU_UTIL', { pod: s.metric.pod ?? '' })[0], t));
    const fb = await prom.query(expr('modelslo-debug', 'GPU memory used'), t / 1000);
    for (const s of fb) expect(s.value).toBe(1048576 * (at(raw('DCGM_FI_DEV_FB_USED', { pod: s.metric.pod ?? '' })[0], t) ?? NaN));
  });

  it('restarts show on the restarted pod only, and replicas drop while it is not ready', async () => {
    const t = END_MS - (RESTART.ago - 2) * 60_000;
    const restarts = await prom.query(expr('modelslo-oncall', 'Pod restarts'), t / 1000);
    const byPod = Object.fromEntries(restarts.map((s) => [s.metric.pod ?? '', s.value]));
    expect(byPod[RESTART.pod]).toBeGreaterThan(0);
    expect(Object.entries(byPod).filter(([pod, v]) => pod !== RESTART.pod && v !== 0)).toEqual([]);
    const down = END_MS - RESTART.ago * 60_000;
    const ready = await prom.query(expr('modelslo-oncall', 'Current replicas', 0), down / 1000);
    const all = await prom.query(expr('modelslo-oncall', 'Current replicas', 1), down / 1000);
    expect([ready[0]?.value, all[0]?.value]).toEqual([predictors('fraud-detector', down).length - 1, predictors('fraud-detector', down).length]);
  });

  it('Knative queue-proxy queue length and request counts are labelled with the model and revision', async () => {
    const t = T();
    const q = await prom.query(expr('modelslo-debug', 'Queue length', 1, { namespace: 'search', model: 'query-ranker' }), t / 1000);
    const rawDepth = raw('revision_queue_depth', { namespace_name: 'search' })[0];
    expect(q.map((s) => s.metric)).toEqual([{ namespace: 'search', model: 'query-ranker', revision: rawDepth?.labels.revision_name }]);
    expect(q[0]?.value).toBe(at(rawDepth, t));
    const deploys = await prom.query(expr('modelslo-oncall', 'Recent deploys', 0, { namespace: 'search', model: 'query-ranker' }), nowSeconds());
    expect(deploys.map((s) => s.metric.revision)).toEqual(['query-ranker-predictor-default-00003']);
  });

  it('recent deploys show when the canary revision first served', async () => {
    const rows = await prom.query(expr('modelslo-oncall', 'Recent deploys'), nowSeconds());
    const canary = history.find((s) => s.name === 'modelslo_requests_total' && s.labels.revision === 'fraud-detector-predictor-00002');
    expect(rows.find((s) => s.metric.revision === 'fraud-detector-predictor-00002')?.value).toBe(canary?.samples[0]?.t);
  });

  it('the predictions link asks the daemon for the selected model over the dashboard time range', () => {
    const debug = boards.find((b) => b.name === 'modelslo-debug')?.json as DashboardJson & { links: Array<{ title: string; url: string }> };
    const url = debug.links.find((l) => l.title === 'Recent predictions')?.url ?? '';
    expect(url).toBe('${daemon_url}/api/v1/models/${namespace}/${model}/predictions?from=${__from}&to=${__to}&limit=100');
    expect(debug.templating.list.find((v) => v.name === 'daemon_url')?.query).toBe(config.dashboards.daemonUrl);
    expect(panel('modelslo-debug', 'Recent predictions').options?.content).toContain(`](${url})`);
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
