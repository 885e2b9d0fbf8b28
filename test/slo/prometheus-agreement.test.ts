/**
 * The real Prometheus (2.42, Debian) is the oracle of modelslo's SLO maths: the rules modelslo
 * generates, evaluated by Prometheus over 31 days of backfilled sidecar samples, must give the
 * same SLI error ratios, burn rates, budget remaining and burn alerts as src/slo computes from the
 * same samples at the same evaluation time, to 1e-9 relative.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, Model, Slo } from '../../src/model/types.js';
import { modelRuleFile } from '../../src/rules/model-rules.js';
import { renderYaml } from '../../src/render/yaml.js';
import { alertThreshold, budgetRemaining, burnAlertActive, burnRate, errorBudget, objectiveRatio } from '../../src/slo/budget.js';
import { BURN_WINDOWS, burnFactor, durationSeconds, recordedWindows } from '../../src/slo/burn-windows.js';
import { sumRate, type Sample } from '../../src/slo/prom-rate.js';
import { mulberry32 } from '../../src/demo/prng.js';
import { parseConfig } from '../../src/spec/parse.js';
import { startPrometheus, type PrometheusServer, type VectorSample } from '../support/prometheus.js';

const CONFIG_YAML = `
version: 1
alerting:
  oncall_receiver: oncall
  receivers:
    - name: oncall
      webhook_configs: [{ url: "http://127.0.0.1:5001/oncall" }]
    - name: fraud-ml
      webhook_configs: [{ url: "http://127.0.0.1:5001/fraud-ml" }]
models:
  - name: fraud-detector
    namespace: payments
    owners: [{ team: fraud-ml, receiver: fraud-ml }]
    sli_source: sidecar
    slos:
      - { name: availability, objective: 99.9, window: 28d, sli: { availability: {} } }
      - { name: latency, objective: 99, window: 30d, sli: { latency: { threshold_ms: 200 } } }
`;

const NS = 'payments';
const MODEL = 'fraud-detector';
const REQUESTS = 'modelslo_requests_total';
const BUCKET = 'modelslo_request_duration_seconds_bucket';
const COUNT = 'modelslo_request_duration_seconds_count';
const SUM = 'modelslo_request_duration_seconds_sum';

const STEP_MS = 60_000;
const DAY_MIN = 1440;
/** Samples per series: 31 days of one-minute scrapes (the 30d window and a day before it). */
const MINUTES = 31 * DAY_MIN;

// ---------------------------------------------------------------------------------------------
// Synthetic sidecar history
// ---------------------------------------------------------------------------------------------

interface Series {
  name: string;
  labels: Record<string, string>;
  samples: Sample[];
}

const prng = mulberry32;

/** An episode of elevated errors (or slow requests), in minutes before the last sample. */
interface Episode {
  agoMin: number;
  minutes: number;
  ratio: number;
}

const FAST_BURN_MIN = 70;
const ERROR_EPISODES: Episode[] = [
  { agoMin: 29.6 * DAY_MIN, minutes: 120, ratio: 0.02 },
  { agoMin: 18.3 * DAY_MIN, minutes: 30, ratio: 0.1 },
  { agoMin: 9.2 * DAY_MIN, minutes: 360, ratio: 0.004 },
  { agoMin: 2.4 * DAY_MIN, minutes: 45, ratio: 0.03 },
  { agoMin: 10 * 60, minutes: 20, ratio: 0.015 },
  { agoMin: FAST_BURN_MIN, minutes: FAST_BURN_MIN, ratio: 0.06 },
];
const SLOW_EPISODES: Episode[] = [
  { agoMin: 25.1 * DAY_MIN, minutes: 240, ratio: 0.05 },
  { agoMin: 6.5 * DAY_MIN, minutes: 60, ratio: 0.2 },
  { agoMin: 1.3 * DAY_MIN, minutes: 90, ratio: 0.04 },
  { agoMin: FAST_BURN_MIN, minutes: FAST_BURN_MIN, ratio: 0.3 },
];

/** The episode ratio at `ago` minutes before the end, else the background: quiet every third day. */
function ratioAt(episodes: readonly Episode[], ago: number, background: number): number {
  const episode = episodes.find((e) => ago < e.agoMin && ago >= e.agoMin - e.minutes);
  if (episode !== undefined) return episode.ratio;
  return Math.floor(ago / DAY_MIN) % 3 === 0 ? 0 : background;
}

/** Revision 2 rolls out 26 days before the end (first scrape mid-window) and its pod restarts 20 h before the end. */
const R2_FIRST_AGO = 26 * DAY_MIN - 17;
const R2_RESTART_AGO = 20 * 60 + 7;

/**
 * The sidecar's counters of two revisions of the model, scraped every minute up to `endMs`, plus
 * series of another model and another namespace that the SLIs must leave out.
 */
function synthesize(endMs: number): Series[] {
  const rand = prng(20240611);
  const series = new Map<string, Series>();
  const add = (name: string, labels: Record<string, string>, t: number, inc: number, reset: boolean): void => {
    const key = `${name}\u0000${Object.values(labels).join('\u0000')}`;
    let s = series.get(key);
    if (s === undefined) {
      s = { name, labels, samples: [] };
      series.set(key, s);
    }
    const prev = s.samples[s.samples.length - 1]?.v ?? 0;
    s.samples.push({ t, v: reset ? inc : prev + inc });
  };
  const stochasticRound = (x: number): number => Math.floor(x + rand());
  for (let i = 0; i < MINUTES; i++) {
    const ago = MINUTES - 1 - i;
    const t = endMs - ago * STEP_MS;
    const daily = Math.sin((2 * Math.PI * i) / DAY_MIN);
    const revisions: Array<{ revision: string; n: number; reset: boolean; errorCodes: string[] }> = [
      { revision: 'fraud-detector-predictor-00001', n: Math.round(400 + 250 * daily + 80 * rand()), reset: false, errorCodes: ['500'] },
    ];
    if (ago <= R2_FIRST_AGO) {
      revisions.push({
        revision: 'fraud-detector-predictor-00002',
        n: Math.round(300 + 200 * Math.sin((2 * Math.PI * i) / DAY_MIN + 1) + 60 * rand()),
        reset: ago === R2_RESTART_AGO,
        errorCodes: ['500', '503'],
      });
    }
    for (const r of revisions) {
      const base = { namespace: NS, model: MODEL, revision: r.revision, protocol: 'v2' };
      const errors = Math.min(r.n, stochasticRound(r.n * ratioAt(ERROR_EPISODES, ago, 0.0003)));
      const notFound = Math.min(r.n - errors, stochasticRound(r.n * 0.01));
      let left = errors;
      r.errorCodes.forEach((code, k) => {
        const share = k === r.errorCodes.length - 1 ? left : Math.floor(left * 0.7);
        left -= share;
        add(REQUESTS, { ...base, code }, t, share, r.reset);
      });
      add(REQUESTS, { ...base, code: '404' }, t, notFound, r.reset);
      add(REQUESTS, { ...base, code: '200' }, t, r.n - errors - notFound, r.reset);
      const slow = Math.min(r.n, stochasticRound(r.n * ratioAt(SLOW_EPISODES, ago, 0.004)));
      const fast = Math.min(r.n - slow, stochasticRound((r.n - slow) * 0.6));
      add(BUCKET, { ...base, le: '0.1' }, t, fast, r.reset);
      add(BUCKET, { ...base, le: '0.2' }, t, r.n - slow, r.reset);
      add(BUCKET, { ...base, le: '+Inf' }, t, r.n, r.reset);
      add(COUNT, base, t, r.n, r.reset);
      // Seconds in binary fractions, so the sum stays exact and short in text.
      add(SUM, base, t, fast * 0.0625 + (r.n - slow - fast) * 0.125 + slow * 0.5, r.reset);
    }
    // Failing traffic the SLIs must not count: a shadow model and the model in another namespace.
    const noise = stochasticRound(50 * rand());
    add(REQUESTS, { namespace: NS, model: 'fraud-detector-shadow', revision: 'shadow-00001', protocol: 'v2', code: '500' }, t, noise, false);
    add(REQUESTS, { namespace: 'staging', model: MODEL, revision: 'staging-00001', protocol: 'v2', code: '500' }, t, noise, false);
    add(REQUESTS, { namespace: 'staging', model: MODEL, revision: 'staging-00001', protocol: 'v2', code: '200' }, t, 10, false);
  }
  return [...series.values()];
}

const FAMILIES: Array<{ family: string; type: string; names: string[] }> = [
  { family: 'modelslo_requests', type: 'counter', names: [REQUESTS] },
  { family: 'modelslo_request_duration_seconds', type: 'histogram', names: [BUCKET, COUNT, SUM] },
];

/** OpenMetrics text of the series for promtool: `# TYPE` per family, seconds timestamps, `# EOF`. */
function openMetrics(all: readonly Series[]): string {
  const out: string[] = [];
  for (const f of FAMILIES) {
    out.push(`# TYPE ${f.family} ${f.type}\n`);
    for (const s of all.filter((x) => f.names.includes(x.name))) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',');
      const prefix = `${s.name}{${labels}} `;
      // Timestamps are whole seconds, so promtool's int64(ts × 1000) is exact.
      out.push(s.samples.map((p) => `${prefix}${String(p.v)} ${p.t / 1000}\n`).join(''));
    }
  }
  out.push('# EOF\n');
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// The expected values, from modelslo's pure functions
// ---------------------------------------------------------------------------------------------

/** Prometheus orders series by their label sets; summing in the same order keeps the floats identical. */
function compareLabels(a: Series, b: Series): number {
  const la = Object.entries({ ...a.labels, __name__: a.name }).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const lb = Object.entries({ ...b.labels, __name__: b.name }).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const [ka, va] = la[i] ?? ['', ''];
    const [kb, vb] = lb[i] ?? ['', ''];
    if (ka !== kb) return ka < kb ? -1 : 1;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return la.length - lb.length;
}

/** The series behind an SLO's SLI, selected here from the sidecar's metric names (DESIGN.md). */
function sliInputs(all: readonly Series[], slo: Slo): { numerator: Sample[][]; total: Sample[][]; goodCounts: boolean } {
  const ofModel = all.filter((s) => s.labels.namespace === NS && s.labels.model === MODEL).sort(compareLabels);
  const pick = (pred: (s: Series) => boolean): Sample[][] => ofModel.filter(pred).map((s) => s.samples);
  if (slo.sli.kind === 'availability') {
    return {
      numerator: pick((s) => s.name === REQUESTS && /^5..$/.test(s.labels.code ?? '')),
      total: pick((s) => s.name === REQUESTS),
      goodCounts: false,
    };
  }
  if (slo.sli.kind !== 'latency' || slo.sli.thresholdMs !== 200) throw new Error(`fixture SLO ${slo.name} is not the 200 ms latency SLO`);
  return { numerator: pick((s) => s.name === BUCKET && s.labels.le === '0.2'), total: pick((s) => s.name === COUNT), goodCounts: true };
}

/**
 * The SLI error ratio at `evalMs` over `window`, as the recording rule's expression computes it:
 * `(sum(rate(bad)) or vector(0)) / sum(rate(total))`, or `(total − (sum(rate(good)) or vector(0))) / total`.
 */
function expectedRatio(inputs: ReturnType<typeof sliInputs>, evalMs: number, window: string): number | undefined {
  const rangeMs = durationSeconds(window) * 1000;
  const total = sumRate(inputs.total, evalMs, rangeMs);
  if (total === undefined) return undefined;
  const num = sumRate(inputs.numerator, evalMs, rangeMs) ?? 0;
  return inputs.goodCounts ? (total - num) / total : num / total;
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

const REL = 1e-9;
const ABS_NEAR_ZERO = 1e-12;
let maxRelativeError = 0;

function relativeError(a: number, b: number): number {
  const diff = Math.abs(a - b);
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : diff / scale;
}

/** Whether Prometheus's value `got` agrees with modelslo's `want` within 1e-9 relative (1e-12 absolute near zero). */
function agrees(got: number, want: number): boolean {
  if (Number.isNaN(got) || Number.isNaN(want)) return Number.isNaN(got) && Number.isNaN(want);
  const diff = Math.abs(got - want);
  maxRelativeError = Math.max(maxRelativeError, relativeError(got, want));
  return diff <= REL * Math.max(Math.abs(got), Math.abs(want)) || diff <= ABS_NEAR_ZERO;
}

function config(): Config {
  const parsed = parseConfig(CONFIG_YAML, 'prometheus-agreement.yaml');
  if (!parsed.ok) throw new Error(`fixture config invalid:\n${parsed.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`).join('\n')}`);
  return parsed.config;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const sloSel = (slo: Slo): string => `namespace="${NS}",model="${MODEL}",slo="${slo.name}"`;

// ---------------------------------------------------------------------------------------------

describe('generated rules on a real Prometheus 2.42 agree with src/slo', () => {
  const cfg = config();
  const model: Model = cfg.models[0] ?? (undefined as never);
  let prom: PrometheusServer;
  let series: Series[];
  let endMs: number;
  /** Per SLO: the evaluation time (ms) of its rule group whose results are compared. */
  const evalAt = new Map<string, number>();

  beforeAll(async () => {
    // The last scrape a few seconds before Prometheus starts, on a whole second.
    endMs = Math.floor(Date.now() / 1000) * 1000 - 3000;
    series = synthesize(endMs);
    const rules = renderYaml(modelRuleFile(model, cfg.alerting));
    prom = await startPrometheus({
      config: ['global:', '  scrape_interval: 60s', '  evaluation_interval: 5s', 'rule_files:', '  - rules/payments-fraud-detector.rules.yaml', ''].join('\n'),
      files: { 'rules/payments-fraud-detector.rules.yaml': rules },
      openMetrics: openMetrics(series),
    });

    // Which evaluation to compare: Prometheus writes no ALERTS series until it has restored the
    // alerts' `for` state, which it does after the second evaluation of a group; so T is (at least)
    // the third evaluation. And only once a later evaluation is seen has every rule of the group at
    // T (the alerts come after the budget rules) been written. Polling every 250 ms sees each
    // 5 s evaluation; one missed would only make T a later one.
    const seen = new Map<string, number[]>(model.slos.map((s) => [s.name, []]));
    const deadline = Date.now() + 60_000;
    while (![...seen.values()].every((ts) => ts.length >= 4)) {
      if (Date.now() > deadline) throw new Error(`rule groups did not evaluate 4 times (${JSON.stringify([...seen])}):\n${prom.log()}`);
      const now = await prom.query(`timestamp(modelslo:slo_error_budget_remaining:ratio{namespace="${NS}",model="${MODEL}"})`);
      for (const v of now) {
        const ts = seen.get(v.metric.slo ?? '');
        const t = Math.round(v.value * 1000);
        if (ts !== undefined && !ts.includes(t)) ts.push(t);
      }
      await sleep(250);
    }
    for (const [slo, ts] of seen) evalAt.set(slo, ts[2] ?? 0);
  });

  afterAll(async () => {
    await prom?.stop();
    console.log(`prometheus-agreement: max relative error ${maxRelativeError.toExponential(3)}`);
  });

  const evalTime = (slo: Slo): number => {
    const t = evalAt.get(slo.name);
    if (t === undefined) throw new Error(`no evaluation time for ${slo.name}`);
    return t;
  };

  it('Prometheus sees every backfilled sample, up to the last scrape, at the evaluation times', async () => {
    for (const slo of model.slos) {
      const T = evalTime(slo);
      expect(T).toBeGreaterThan(endMs);
      // Per metric name: count_over_time() and timestamp() drop the name, and _count and _sum share labels.
      for (const name of [...new Set(series.map((s) => s.name))]) {
        const ofName = series.filter((s) => s.name === name);
        const counts = await prom.query(`count_over_time(${name}[32d])`, T / 1000);
        const last = await prom.query(`timestamp(${name})`, T / 1000);
        expect(counts, name).toHaveLength(ofName.length);
        expect(last, name).toHaveLength(ofName.length);
        for (const s of ofName) {
          const match = (v: VectorSample): boolean =>
            Object.keys(v.metric).length === Object.keys(s.labels).length && Object.entries(s.labels).every(([k, val]) => v.metric[k] === val);
          const id = `${s.name}${JSON.stringify(s.labels)}`;
          expect(counts.find(match)?.value, id).toBe(s.samples.length);
          expect(last.find(match)?.value, id).toBe(endMs / 1000);
        }
      }
    }
  });

  it.each(cfg.models[0]?.slos.map((s) => [s.name, s] as const) ?? [])('the %s SLO records the SLI error ratios, burn rates and budget remaining src/slo computes', async (_name, slo) => {
    const T = evalTime(slo);
    const got = await prom.query(`{__name__=~"modelslo:.*",${sloSel(slo)}}`, T / 1000);
    // timestamp() drops the name, which tells the rules apart: keep it in a label.
    const stamps = await prom.query(`timestamp(label_replace({__name__=~"modelslo:.*",${sloSel(slo)}}, "rule", "$1", "__name__", "(.+)"))`, T / 1000);
    // Every recorded series of the group carries the sample of the evaluation at T.
    expect(stamps.length).toBe(recordedWindows(slo.window).length + 5);
    for (const s of stamps) expect(Math.round(s.value * 1000)).toBe(T);

    const value = (name: string, window?: string): number => {
      const hits = got.filter((v) => v.metric.__name__ === name && (window === undefined || v.metric.window === window));
      if (hits.length !== 1) throw new Error(`expected one ${name}${window ?? ''} at ${T}, got ${hits.length}`);
      return hits[0]?.value ?? Number.NaN;
    };

    const inputs = sliInputs(series, slo);
    const budget = errorBudget(slo.objective);
    const mismatches: string[] = [];
    const check = (what: string, prometheus: number, modelslo: number | undefined): void => {
      if (modelslo === undefined || !agrees(prometheus, modelslo)) {
        mismatches.push(`${what} at ${T}: prometheus ${prometheus}, src/slo ${modelslo} (rel ${modelslo === undefined ? '-' : relativeError(prometheus, modelslo).toExponential(2)})`);
      }
    };
    const ratios = new Map<string, number>();
    for (const w of recordedWindows(slo.window)) {
      const want = expectedRatio(inputs, T, w);
      if (want !== undefined) ratios.set(w, want);
      check(`modelslo:sli_error:ratio_rate${w}`, value(`modelslo:sli_error:ratio_rate${w}`, w), want);
    }
    const ratio5m = ratios.get('5m') ?? Number.NaN;
    const ratioWindow = ratios.get(slo.window) ?? Number.NaN;
    check('modelslo:slo_objective:ratio', value('modelslo:slo_objective:ratio'), objectiveRatio(slo.objective));
    check('modelslo:slo_error_budget:ratio', value('modelslo:slo_error_budget:ratio'), budget);
    check('modelslo:slo_current_burn_rate:ratio', value('modelslo:slo_current_burn_rate:ratio'), burnRate(ratio5m, budget));
    check('modelslo:slo_period_burn_rate:ratio', value('modelslo:slo_period_burn_rate:ratio'), burnRate(ratioWindow, budget));
    check('modelslo:slo_error_budget_remaining:ratio', value('modelslo:slo_error_budget_remaining:ratio'), budgetRemaining(ratioWindow, budget));
    expect(mismatches.join('\n'), 'Prometheus and src/slo disagree').toBe('');

    // The history has errors, so budget is spent; what remains is 1 − the period burn rate.
    const remaining = value('modelslo:slo_error_budget_remaining:ratio');
    expect(remaining).toBeLessThan(1);
    expect(agrees(remaining, 1 - value('modelslo:slo_period_burn_rate:ratio'))).toBe(true);
    // And the fast burn at the end is visible: the 5m burn rate is far above the page factor.
    expect(value('modelslo:slo_current_burn_rate:ratio')).toBeGreaterThan(burnFactor(BURN_WINDOWS[0] ?? (undefined as never), slo.window));
  });

  // The rule evaluations above fall between scrapes. Here the generated SLI expressions are run as
  // instant queries at scrape times, so that range edges land exactly on samples (Prometheus 2.x
  // ranges are closed: [t − range, t]) and the counter reset falls on an edge or inside a window.
  const alignedMinutesAgo = [0, 37, FAST_BURN_MIN, R2_RESTART_AGO, R2_RESTART_AGO - 3, R2_RESTART_AGO + 60];
  it.each(cfg.models[0]?.slos.map((s) => [s.name, s] as const) ?? [])(
    'the %s SLI expressions agree with src/slo at scrape-aligned times, range edges on samples',
    async (_name, slo) => {
      const group = modelRuleFile(model, cfg.alerting).groups.find((g) => g.rules.some((r) => r.labels.slo === slo.name));
      const inputs = sliInputs(series, slo);
      const mismatches: string[] = [];
      for (const ago of alignedMinutesAgo) {
        const t = endMs - ago * STEP_MS;
        for (const w of recordedWindows(slo.window)) {
          const rule = group?.rules.find((r) => 'record' in r && r.record === `modelslo:sli_error:ratio_rate${w}`);
          if (rule === undefined) throw new Error(`no ${w} SLI rule for ${slo.name}`);
          const got = await prom.query(rule.expr, t / 1000);
          const want = expectedRatio(inputs, t, w);
          const value = got.length === 1 ? (got[0]?.value ?? Number.NaN) : Number.NaN;
          if (want === undefined || got.length !== 1 || !agrees(value, want)) {
            mismatches.push(`${w} at ${t} (${ago} min before the last scrape): prometheus ${got.map((g) => g.value).join(',') || 'no sample'}, src/slo ${want}`);
          }
        }
      }
      expect(mismatches.join('\n'), 'Prometheus and src/slo disagree').toBe('');
    },
  );

  it.each(cfg.models[0]?.slos.map((s) => [s.name, s] as const) ?? [])('the %s SLO has exactly the burn alerts src/slo says are active', async (_name, slo) => {
    const T = evalTime(slo);
    const inputs = sliInputs(series, slo);
    const budget = errorBudget(slo.objective);
    const expected = BURN_WINDOWS.filter((row) => slo.alerts[row.severity])
      .filter((row) => {
        const long = expectedRatio(inputs, T, row.long);
        const short = expectedRatio(inputs, T, row.short);
        return long !== undefined && short !== undefined && burnAlertActive(long, short, alertThreshold(burnFactor(row, slo.window), budget));
      })
      .map((row) => `${row.severity}/${row.long}/${row.short}`)
      .sort();
    // The data really burns: the first page row (1h and 5m) is active.
    const page = BURN_WINDOWS[0];
    expect(expected).toContain(`${page?.severity}/${page?.long}/${page?.short}`);

    const alerts = await prom.query(`timestamp(ALERTS{alertname="ModelSLOErrorBudgetBurn",${sloSel(slo)}})`, T / 1000);
    const atT = alerts.filter((a) => Math.round(a.value * 1000) === T);
    for (const a of atT) expect(['pending', 'firing']).toContain(a.metric.alertstate);
    const actual = atT
      .map((a) => {
        const row = BURN_WINDOWS.find((r) => r.severity === a.metric.severity && r.short === a.metric.short_window);
        return `${a.metric.severity}/${row?.long ?? '?'}/${a.metric.short_window}`;
      })
      .sort();
    expect(actual).toEqual(expected);
  });
});
