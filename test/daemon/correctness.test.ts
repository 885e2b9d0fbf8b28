/**
 * Correctness from ground truth, checked against scikit-learn (Debian python3-sklearn, run as
 * /usr/bin/python3): the pure figures on seeded data sets, and the daemon's
 * GET …/correctness over predictions and labels sent through its real API, per revision and for
 * all, to 1e-12. Then the correctness SLO: its config, its generated rules judged by the real
 * promtool (generated tests), and its routing to the owners, never the on-call, by amtool.
 */
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correctnessFigures, correctnessOf, type Figures, type LabelledPair } from '../../src/correctness/figures.js';
import { mulberry32 } from '../../src/demo/prng.js';
import { renderArtifacts } from '../../src/render/files.js';
import { generateArtifacts } from '../../src/rules/generate.js';
import { parseConfig } from '../../src/spec/parse.js';
import { BATCH_TYPE } from '../support/events.js';
import { startTestDaemon, TEST_TOKEN, type TestDaemon } from '../support/daemon.js';
import { startPrometheus } from '../support/prometheus.js';
import { feedbackConfigText, JSON_TYPE, label, predictionEvents } from '../support/feedback.js';
import { mustParse } from '../support/fixtures.js';
import { runScipy } from '../support/scipy.js';
import { runTool, writeTempFiles } from '../support/tools.js';

const SKLEARN = `
import math
import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support, mean_absolute_error, mean_squared_error
from sklearn.utils.multiclass import unique_labels

def main(cases):
    out = []
    for c in cases:
        t, p = c["labels"], c["predictions"]
        if c["kind"] == "categorical":
            classes = unique_labels(t, p)
            pr, rc, f1, sup = precision_recall_fscore_support(t, p, labels=classes, average=None, zero_division=0)
            out.append({"count": len(t), "accuracy": accuracy_score(t, p), "classes": [str(x) for x in classes], "precision": pr, "recall": rc, "f1": f1, "support": sup})
        else:
            e = np.abs(np.array(p, dtype=float) - np.array(t, dtype=float))
            out.append({"count": len(t), "accuracy": float(np.mean(e <= c["tolerance"])), "mae": mean_absolute_error(t, p), "rmse": math.sqrt(mean_squared_error(t, p))})
    return out
`;

interface Case {
  kind: 'categorical' | 'numeric';
  labels: Array<string | number>;
  predictions: Array<string | number>;
  tolerance: number;
}
type Oracle = { count: number; accuracy: number; classes?: string[]; precision?: number[]; recall?: number[]; f1?: number[]; support?: number[]; mae?: number; rmse?: number };

/** |a − b| ≤ 1e-12 · max(1, |b|). */
const close = (a: number | null | undefined, b: number | undefined): boolean => a != null && b !== undefined && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

function expectSame(f: Figures, o: Oracle, what: string): void {
  expect(f.count, what).toBe(o.count);
  expect(close(f.accuracy, o.accuracy), `${what} accuracy ${f.accuracy} vs ${o.accuracy}`).toBe(true);
  if (f.kind === 'categorical') {
    expect(f.classes, what).toEqual(o.classes);
    f.classes.forEach((c, i) => {
      for (const k of ['precision', 'recall', 'f1'] as const) expect(close(f[k][c], o[k]?.[i]), `${what} ${k}[${c}] ${f[k][c]} vs ${o[k]?.[i]}`).toBe(true);
      expect(f.support[c], what).toBe(o.support?.[i]);
    });
  } else {
    expect(close(f.mae, o.mae), `${what} mae ${f.mae} vs ${o.mae}`).toBe(true);
    expect(close(f.rmse, o.rmse), `${what} rmse ${f.rmse} vs ${o.rmse}`).toBe(true);
  }
}

function categoricalCase(seed: number, n: number, classes: string[], predictedOnly: string[], hitRate: number): Case {
  const r = mulberry32(seed);
  const labels = Array.from({ length: n }, () => classes[Math.floor(r() * classes.length)] ?? 'a');
  const all = [...classes, ...predictedOnly];
  const predictions = labels.map((l) => (r() < hitRate ? l : (all[Math.floor(r() * all.length)] ?? 'a')));
  return { kind: 'categorical', labels, predictions, tolerance: 0 };
}

function numericCase(seed: number, n: number, scale: number, noise: number, tolerance: number): Case {
  const r = mulberry32(seed);
  const labels = Array.from({ length: n }, () => (r() - 0.3) * scale);
  const predictions = labels.map((l) => l + (r() - 0.5) * 2 * noise);
  return { kind: 'numeric', labels, predictions, tolerance };
}

const CASES: Array<[string, Case]> = [
  ['binary classes, 90 % right', categoricalCase(1, 500, ['fraud', 'legit'], [], 0.9)],
  ['five classes, one only ever predicted (recall 0/0)', categoricalCase(2, 1000, ['a', 'b', 'c', 'd'], ['zz'], 0.6)],
  ['a class never predicted (precision 0/0)', { kind: 'categorical', labels: ['x', 'y', 'y', 'z', 'x'], predictions: ['x', 'x', 'x', 'y', 'x'], tolerance: 0 }],
  ['mixed-case and digit classes sorted by code point', categoricalCase(3, 300, ['B', 'a', '10', '9', 'Z'], [], 0.5)],
  ['one pair', { kind: 'categorical', labels: ['only'], predictions: ['only'], tolerance: 0 }],
  ['numeric, unit scale', numericCase(4, 800, 1, 0.1, 0.05)],
  ['numeric, large values (1e6)', numericCase(5, 3000, 1e6, 1234.5, 500)],
  ['numeric, tiny values (1e-6)', numericCase(6, 400, 1e-6, 1e-7, 5e-8)],
  ['numeric, exact predictions', { kind: 'numeric', labels: [1, 2, 3], predictions: [1, 2, 3], tolerance: 0 }],
];

describe('correctness figures', () => {
  it('equal sklearn.metrics to 1e-12 (accuracy, per-class precision/recall/F1/support, MAE, RMSE)', { timeout: 60_000 }, async () => {
    const oracle = await runScipy<Oracle[]>(SKLEARN, CASES.map(([, c]) => c));
    CASES.forEach(([name, c], i) => {
      const pairs: LabelledPair[] = c.labels.map((l, j) => ({ label: l, prediction: c.predictions[j] }));
      expectSame(correctnessFigures(pairs, c.kind, c.tolerance), oracle[i] ?? { count: -1, accuracy: Number.NaN }, name);
    });
  });

  it('are empty (count 0, figures null) without labelled predictions', () => {
    expect(correctnessFigures([], 'numeric', 0.5)).toEqual({ kind: 'numeric', count: 0, accuracy: null, tolerance: 0.5, mae: null, rmse: null });
    expect(correctnessFigures([], 'categorical', 0)).toMatchObject({ count: 0, accuracy: null, classes: [] });
  });
});

describe('GET /api/v1/models/{ns}/{model}/correctness', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startTestDaemon('', feedbackConfigText());
  });
  afterAll(async () => {
    await d.stop();
  });

  /** Sends predictions of two revisions and their labels through the API; returns the pairs by revision. */
  async function sendCase(model: 'fraud-detector' | 'amount-estimator', c: Case, t0: number): Promise<Map<string, Case>> {
    const byRevision = new Map<string, Case>();
    const events: unknown[] = [];
    const labels: unknown[] = [];
    c.labels.forEach((l, i) => {
      const revision = `${model}-predictor-0000${1 + (i % 3 === 0 ? 1 : 0)}`;
      const p = c.predictions[i] ?? 0;
      events.push(...predictionEvents(model, `${model}-${i}`, p, { revision, timeMs: t0 + i * 1000 }));
      labels.push(label(model, `${model}-${i}`, l));
      const r = byRevision.get(revision) ?? { ...c, labels: [], predictions: [] };
      r.labels.push(l);
      r.predictions.push(p);
      byRevision.set(revision, r);
    });
    for (let i = 0; i < events.length; i += 400) expect((await d.post('/v1/events', JSON.stringify(events.slice(i, i + 400)), BATCH_TYPE)).status).toBe(200);
    // Half the labels before a second copy of the batch: the duplicates change nothing.
    const res = await d.post('/v1/feedback', JSON.stringify(labels), JSON_TYPE);
    expect(res.status).toBe(200);
    expect((await d.post('/v1/feedback', JSON.stringify(labels.slice(0, labels.length / 2)), JSON_TYPE)).body).toMatchObject({ stored: 0 });
    return byRevision;
  }

  it('serves figures per revision and for all that equal sklearn.metrics to 1e-12', { timeout: 60_000 }, async () => {
    const t0 = Date.now() - 3_600_000;
    const cat = categoricalCase(11, 240, ['fraud', 'legit', 'review'], ['unknown'], 0.7);
    const num = numericCase(12, 180, 250, 2, 0.5);
    const catRev = await sendCase('fraud-detector', cat, t0);
    const numRev = await sendCase('amount-estimator', num, t0);
    const order = (m: Map<string, Case>): Array<[string, Case]> => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const cases = [cat, ...order(catRev).map(([, c]) => c), num, ...order(numRev).map(([, c]) => c)];
    const oracle = await runScipy<Oracle[]>(SKLEARN, cases);
    const from = new Date(t0 - 1000).toISOString();
    type Answer = { kind: string; tolerance?: number; all: Figures; revisions: Array<Figures & { revision: string }> };
    const a = (await d.get(`/api/v1/models/payments/fraud-detector/correctness?from=${from}`)).body as Answer;
    const b = (await d.get(`/api/v1/models/payments/amount-estimator/correctness?from=${from}`)).body as Answer;
    expect(a.kind).toBe('categorical');
    expect(b).toMatchObject({ kind: 'numeric', tolerance: 0.5 });
    expectSame(a.all, oracle[0] as Oracle, 'fraud-detector all');
    expect(a.revisions.map((r) => r.revision)).toEqual(order(catRev).map(([r]) => r));
    a.revisions.forEach((r, i) => expectSame(r, oracle[1 + i] as Oracle, `fraud-detector ${i}`));
    expectSame(b.all, oracle[3] as Oracle, 'amount-estimator all');
    b.revisions.forEach((r, i) => expectSame(r, oracle[4 + i] as Oracle, `amount-estimator ${i}`));
    // A window that ends before the predictions holds none of them.
    const none = (await d.get(`/api/v1/models/payments/fraud-detector/correctness?from=${from}&to=${t0 - 500}`)).body;
    expect(none).toMatchObject({ all: { count: 0, accuracy: null }, revisions: [] });
  });

  it.each([
    ['/api/v1/models/payments/fraud-detector/correctness?from=soon', 400, 'query.from: must be an RFC 3339 time or epoch milliseconds, got "soon"'],
    ['/api/v1/models/payments/fraud-detector/correctness?from=2000&to=1000', 400, 'query.from: must be before to'],
    ['/api/v1/models/payments/nope/correctness', 404, 'model payments/nope is not in the config'],
  ])('answers %s with %i naming the problem', async (path, status, error) => {
    const r = await d.get(path);
    expect(r.status).toBe(status);
    expect((r.body as { error: string }).error).toContain(error);
  });

  it('feed a real Prometheus that scrapes the daemon: the recorded correctness ratio is incorrect / labelled', { timeout: 90_000 }, async () => {
    const rules = renderArtifacts(generateArtifacts(mustParse(feedbackConfigText()))).find((f) => f.path === 'rules/payments-fraud-detector.rules.yaml');
    const prom = await startPrometheus({
      config: [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [rules.yaml]',
        'scrape_configs:',
        '  - job_name: modelslo-daemon',
        '    honor_labels: true',
        `    authorization: { credentials: ${TEST_TOKEN} }`,
        `    static_configs: [{ targets: ['${d.url.replace('http://', '')}'] }]`,
      ].join('\n'),
      files: { 'rules.yaml': rules?.content ?? '' },
    });
    try {
      const sel = '{namespace="payments",model="fraud-detector"}';
      const total = async (): Promise<number> => (await prom.query(`sum(modelslo_predictions_labelled_total${sel})`))[0]?.value ?? Number.NaN;
      const waitFor = async (ok: () => Promise<boolean>, what: string): Promise<void> => {
        const deadline = Date.now() + 30_000;
        while (!(await ok())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${prom.log().slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      };
      // Two scrapes of the counters as the earlier test left them (every series already large).
      await waitFor(async () => ((await prom.query(`count_over_time(modelslo_predictions_labelled_total{model="fraud-detector",outcome="incorrect",revision="fraud-detector-predictor-00001"}[1m])`))[0]?.value ?? 0) >= 2, 'two scrapes');
      const before = await total();
      // 30 new labelled predictions of one revision: 12 wrong, 18 right.
      const events: unknown[] = [];
      const labels: unknown[] = [];
      for (let i = 0; i < 30; i++) {
        events.push(...predictionEvents('fraud-detector', `prom-${i}`, 'fraud'));
        labels.push(label('fraud-detector', `prom-${i}`, i < 12 ? 'legit' : 'fraud'));
      }
      expect((await d.post('/v1/events', JSON.stringify(events), BATCH_TYPE)).status).toBe(200);
      expect((await d.post('/v1/feedback', JSON.stringify(labels), JSON_TYPE)).body).toMatchObject({ stored: 30, judged: 30 });
      await waitFor(async () => (await total()) === before + 30, 'the new counts scraped');
      // A rule evaluation after that scrape: rate() extrapolates every series of the one target by
      // the same factor, so the ratio is the increase of incorrect over the increase of all.
      await new Promise((r) => setTimeout(r, 2500));
      const ratio = (await prom.query(`modelslo:sli_error:ratio_rate5m{slo="correctness"}`))[0]?.value;
      expect(Math.abs((ratio ?? Number.NaN) - 12 / 30)).toBeLessThanOrEqual(1e-9);
    } finally {
      await prom.stop();
    }
  });
});

describe('the correctness config and SLO', () => {
  const base = (model: string): string =>
    ['alerting: { receivers: [{ name: oncall }, { name: ml }] }', 'models:', '  - name: m', '    namespace: ns', '    owners: [{ team: ml, receiver: ml }]', ...model.split('\n').map((l) => `    ${l}`)].join('\n');

  it('falls back to drift.prediction for the prediction, as canary analysis does, and defaults tolerance to 0', () => {
    const c = mustParse(base(['slos: [{ name: c, objective: 95, sli: { correctness: {} } }]', 'drift: { reference: { from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z" }, prediction: { path: score, kind: numeric } }'].join('\n')));
    expect(c.models[0]?.correctness).toEqual({ prediction: { path: 'score', kind: 'numeric' }, kind: 'numeric', tolerance: 0 });
    expect(c.models[0]?.slos[0]?.sli).toEqual({ kind: 'correctness' });
    const own = mustParse(base(['slos: [{ name: c, objective: 95, sli: { correctness: {} } }]', 'correctness: { prediction: { path: "outputs[0].data[0]", kind: categorical }, tolerance: 0 }'].join('\n')));
    expect(own.models[0]?.correctness).toEqual({ prediction: { path: 'outputs[0].data[0]', kind: 'categorical' }, kind: 'categorical', tolerance: 0 });
    const none = mustParse(base('slos: [{ name: a, objective: 99, sli: { availability: {} } }]'));
    expect(none.models[0]?.correctness).toBeUndefined();
    expect(correctnessOf(none.models[0] ?? { })).toEqual({ kind: 'categorical', tolerance: 0 });
  });

  it.each([
    ['a negative tolerance', 'correctness: { tolerance: -1 }', 'models.0.correctness.tolerance', 'must be 0 or more'],
    ['an unknown field', 'correctness: { tolerence: 1 }', 'models.0.correctness', 'tolerence'],
    ['two SLI kinds in one SLO', 'slos: [{ name: c, objective: 95, sli: { correctness: {}, availability: {} } }]', 'models.0.slos.0.sli', 'exactly one of availability, latency, ratio, correctness or promql'],
  ])('refuses %s, naming the field', (_name, extra, path, message) => {
    const text = extra.startsWith('slos') ? base(extra) : base(`slos: [{ name: a, objective: 99, sli: { availability: {} } }]\n${extra}`);
    const r = parseConfig(text, 'x.yaml');
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues.some((i) => i.path.replace(/\[(\d+)\]/g, '.$1') === path && i.message.includes(message)), JSON.stringify(issues)).toBe(true);
  });
});

describe('the correctness SLO rules (real promtool) and routing (real amtool)', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  beforeAll(async () => {
    ({ dir, cleanup } = await writeTempFiles(renderArtifacts(generateArtifacts(mustParse(feedbackConfigText())))));
  });
  afterAll(async () => {
    await cleanup();
  });

  interface RuleDoc { groups: Array<{ name: string; rules: Array<{ record?: string; alert?: string; expr: string; labels: Record<string, string> }> }> }

  it('records the error ratio incorrect / labelled from the daemon counters, with burn alerts for the owners', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = parse(await readFile(join(dir, 'rules/payments-fraud-detector.rules.yaml'), 'utf8')) as RuleDoc;
    const group = doc.groups.find((g) => g.name === 'modelslo-payments-fraud-detector-correctness');
    const ratio5m = group?.rules.find((r) => r.record === 'modelslo:sli_error:ratio_rate5m');
    expect(ratio5m?.expr).toBe('(sum(rate(modelslo_predictions_labelled_total{namespace="payments",model="fraud-detector",outcome="incorrect"}[5m])) or vector(0)) / sum(rate(modelslo_predictions_labelled_total{namespace="payments",model="fraud-detector"}[5m]))');
    const alerts = group?.rules.filter((r) => r.alert !== undefined) ?? [];
    expect(alerts.map((a) => a.labels.severity).sort()).toEqual(['page', 'page', 'ticket', 'ticket']);
    expect(alerts.every((a) => a.labels.audience === 'owners')).toBe(true);
    const availability = doc.groups.find((g) => g.name === 'modelslo-payments-fraud-detector-availability');
    expect(availability?.rules.filter((r) => r.alert !== undefined).some((a) => 'audience' in a.labels)).toBe(false);
  });

  it('pass their generated promtool tests, which drive the counters through a fast and a slow burn', { timeout: 120_000 }, async () => {
    const file = join(dir, 'rules/payments-fraud-detector.rules.test.yaml');
    const r = await runTool('promtool', ['test', 'rules', file]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const tests = (parse(await readFile(file, 'utf8')) as { tests: Array<{ name: string; input_series: Array<{ series: string }>; alert_rule_test: Array<{ exp_alerts: Array<{ exp_labels: Record<string, string> }> }> }> }).tests;
    const t = tests.find((x) => x.name.startsWith('correctness:'));
    expect(t?.input_series.map((s) => s.series).join(' ')).toContain('modelslo_predictions_labelled_total{');
    const expected = t?.alert_rule_test.flatMap((c) => c.exp_alerts.filter((a) => a.exp_labels.slo === 'correctness').map((a) => `${a.exp_labels.severity}/${a.exp_labels.audience}`)) ?? [];
    expect(expected).toContain('page/owners');
    expect(expected).toContain('ticket/owners');
  });

  it('fail their promtool tests when the SLI reads the wrong outcome', { timeout: 60_000 }, async () => {
    const { readFile, writeFile } = await import('node:fs/promises');
    const file = join(dir, 'rules/payments-fraud-detector.rules.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replaceAll('outcome="incorrect"', 'outcome="correct"'));
    try {
      const r = await runTool('promtool', ['test', 'rules', file.replace('.rules.yaml', '.rules.test.yaml')]);
      expect(r.stdout + r.stderr).toContain('FAILED');
    } finally {
      await writeFile(file, original);
    }
  });

  it.each([
    ['a correctness page', 'page'],
    ['a correctness ticket', 'ticket'],
  ])('routes %s to the owners, never the on-call (amtool config routes test)', async (_name, severity) => {
    const labels = [`alertname=ModelSLOErrorBudgetBurn`, `severity=${severity}`, 'audience=owners', 'namespace=payments', 'model=fraud-detector', 'slo=correctness'];
    const r = await runTool('amtool', ['config', 'routes', 'test', `--config.file=${join(dir, 'alertmanager/alertmanager.yaml')}`, ...labels]);
    expect(r.stdout.trim()).toBe('modelslo-journal,fraud-ml');
    const page = await runTool('amtool', ['config', 'routes', 'test', `--config.file=${join(dir, 'alertmanager/alertmanager.yaml')}`, 'alertname=ModelSLOErrorBudgetBurn', 'severity=page', 'namespace=payments', 'model=fraud-detector', 'slo=availability']);
    expect(page.stdout.trim()).toBe('modelslo-journal,oncall');
  });
});
