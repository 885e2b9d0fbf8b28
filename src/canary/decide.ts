/**
 * The canary verdict, pure: one analysis compares the canary's request records with the primary's
 * over the same window (errors, latency, error budget, prediction drift, custom PromQL values), and
 * `decide` turns the analysis and the canary's progress so far into promote | step | hold | rollback.
 *
 * | check              | value                          | fails when                                           | source |
 * |--------------------|--------------------------------|------------------------------------------------------|--------|
 * | error_rate         | canary 5xx share − primary's   | value > max_error_rate_delta AND Fisher p < 1 − conf  | one-sided Fisher exact test (scipy.stats.fisher_exact, alternative='greater') |
 * | latency            | mean(canary) / mean(primary)   | Kayenta classifies the canary High: the 98% interval of the latency shift starts above 0.25 × its estimate, and the mean ratio ≥ latency_allowed_increase | Kayenta NetflixACAJudge / MannWhitneyClassifier (src/stats/kayenta.ts) |
 * | latency_p99_ratio  | canary p99 / primary p99       | value > max_latency_p99_ratio                         | nearest-rank p99 |
 * | budget:<slo>       | canary burn rate over window   | value > the SLO's 1h/5m page factor (13.44 for 28d) and > the primary's burn rate | SRE workbook ch. 5, src/slo/burn-windows.ts |
 * | prediction_drift   | KS D, normed W1 or JS distance | value > max_prediction_drift (and p < 1 − conf where the test has a p-value) | src/drift (the drift engine's test for the kind) |
 * | custom:<name>      | the query's value              | value outside [min, max]                              | Flagger / Argo Rollouts metric templates |
 *
 * A check is only failed when the difference is both statistically significant and larger than
 * its tolerance: a significant 0.1% difference on a million requests is not a reason to roll back,
 * and neither is a large difference on twenty requests. Either side with fewer than min_requests
 * records makes the analysis inconclusive: the canary holds, never rolled back for lack of data
 * (Flagger's most reported problem) and never promoted on it.
 */
import { evaluateFeature } from '../drift/feature.js';
import { P_VALUE_TESTS } from '../drift/types.js';
import type { CanarySettings, Model } from '../model/types.js';
import { burnRate, errorBudget } from '../slo/budget.js';
import { BURN_WINDOWS, burnFactor } from '../slo/burn-windows.js';
import { fisherExact } from '../stats/fisher-exact.js';
import { kayentaJudge } from '../stats/kayenta.js';

/** What a canary is told to do. */
export type CanaryVerdict = 'promote' | 'step' | 'hold' | 'rollback';

/** The request records of one side (canary or primary) in the analysis window. */
export interface CanarySide {
  /** HTTP status per request record. */
  statuses: ArrayLike<number>;
  /** Latency (ms) per request record, same order. */
  latenciesMs: ArrayLike<number>;
  /** Prediction values of the records that had one (numbers, or labels). */
  predictions: ReadonlyArray<number | string>;
}

/** A custom check's value as read from Prometheus (null: no data, or the query failed, with `error`). */
export interface CustomValue {
  name: string;
  query: string;
  value: number | null;
  error?: string;
}

/** One check of an analysis. */
export interface CheckResult {
  name: string;
  /** The compared value (null when it cannot be computed: `detail` says why). */
  value: number | null;
  /** The bound the value is compared with (for custom checks the violated or nearest bound). */
  threshold: number | null;
  pValue: number | null;
  pass: boolean;
  /** When set, the check could not be judged (no data): the analysis is inconclusive, not failed. */
  inconclusive?: boolean;
  min?: number;
  max?: number;
  detail: string;
}

/** An analysis: its outcome and every check. */
export interface Analysis {
  outcome: 'pass' | 'fail' | 'inconclusive';
  reason: string;
  requests: { canary: number; primary: number };
  checks: CheckResult[];
}

/** Everything one analysis looks at. */
export interface AnalysisInput {
  settings: CanarySettings;
  /** The model's SLOs (budget checks), or none (offline judge without a config). */
  slos: Model['slos'];
  canary: CanarySide;
  primary: CanarySide;
  custom?: readonly CustomValue[];
}

const fixed = (x: number, d = 4): string => (Number.isFinite(x) ? Number(x.toPrecision(d)).toString() : String(x));

/** Nearest-rank percentile (the ceil(q·n)-th smallest); NaN for an empty list. */
export function nearestRank(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

function countErrors(statuses: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < statuses.length; i++) if ((statuses[i] as number) >= 500) n++;
  return n;
}

function errorCheck(s: CanarySettings, c: CanarySide, p: CanarySide): CheckResult {
  const nc = c.statuses.length;
  const np = p.statuses.length;
  const ec = countErrors(c.statuses);
  const ep = countErrors(p.statuses);
  const delta = ec / nc - ep / np;
  // One-sided: is the canary's error odds higher than the primary's? [[canary bad, ok], [primary bad, ok]].
  const { pValue } = fisherExact([[ec, nc - ec], [ep, np - ep]], 'greater');
  const alpha = 1 - s.confidence;
  const pass = !(delta > s.maxErrorRateDelta && pValue < alpha);
  return {
    name: 'error_rate',
    value: delta,
    threshold: s.maxErrorRateDelta,
    pValue,
    pass,
    detail: `canary ${ec}/${nc} 5xx (${fixed((100 * ec) / nc)}%), primary ${ep}/${np} (${fixed((100 * ep) / np)}%); Fisher exact one-sided p=${fixed(pValue)} (alpha ${fixed(alpha)})`,
  };
}

function latencyChecks(s: CanarySettings, c: CanarySide, p: CanarySide): CheckResult[] {
  const k = kayentaJudge(c.latenciesMs, p.latenciesMs, { direction: 'increase', confidenceLevel: s.confidence, tolerance: s.latencyTolerance, allowedIncrease: s.latencyAllowedIncrease });
  const latency: CheckResult = {
    name: 'latency',
    value: Number.isFinite(k.effectSize) ? k.effectSize : null,
    threshold: s.latencyAllowedIncrease,
    pValue: Number.isFinite(k.pValue) ? k.pValue : null,
    pass: k.classification !== 'high',
    detail: `mean latency ratio ${fixed(k.effectSize)}; Mann-Whitney U (canary slower) p=${fixed(k.pValue)}; Kayenta ${k.classification}: ${k.reason}`,
  };
  const pc = nearestRank(c.latenciesMs, 0.99);
  const pp = nearestRank(p.latenciesMs, 0.99);
  const ratio = pp > 0 ? pc / pp : pc > 0 ? null : 1;
  const p99: CheckResult = {
    name: 'latency_p99_ratio',
    value: ratio,
    threshold: s.maxLatencyP99Ratio,
    pValue: null,
    pass: ratio !== null && ratio <= s.maxLatencyP99Ratio,
    detail: `p99 canary ${fixed(pc)} ms, primary ${fixed(pp)} ms${ratio === null ? ' (primary p99 is 0: no ratio)' : ''}`,
  };
  return [latency, p99];
}

/** Error ratio of an SLO's SLI over one side's records. */
function sliErrorRatio(slo: Model['slos'][number], side: CanarySide): number {
  if (slo.sli.kind === 'availability') return countErrors(side.statuses) / side.statuses.length;
  let bad = 0;
  const threshold = slo.sli.kind === 'latency' ? slo.sli.thresholdMs : Number.POSITIVE_INFINITY;
  for (let i = 0; i < side.latenciesMs.length; i++) if ((side.latenciesMs[i] as number) > threshold) bad++;
  return bad / side.latenciesMs.length;
}

function budgetChecks(slos: Model['slos'], c: CanarySide, p: CanarySide): CheckResult[] {
  const page = BURN_WINDOWS.find((w) => w.severity === 'page' && w.long === '1h');
  const out: CheckResult[] = [];
  for (const slo of slos) {
    if (slo.sli.kind === 'ratio' || page === undefined) continue;
    const budget = errorBudget(slo.objective);
    const burn = burnRate(sliErrorRatio(slo, c), budget);
    const primaryBurn = burnRate(sliErrorRatio(slo, p), budget);
    const factor = burnFactor(page, slo.window);
    // A canary that burns no faster than the primary is not the cause: rolling it back saves no budget.
    out.push({
      name: `budget:${slo.name}`,
      value: burn,
      threshold: factor,
      pValue: null,
      pass: !(burn > factor && burn > primaryBurn),
      detail: `the canary burns the ${slo.objective}% ${slo.sli.kind} budget at ${fixed(burn)}× (primary ${fixed(primaryBurn)}×) over the window; the 1h/5m page fires at ${factor}×`,
    });
  }
  return out;
}

function predictionCheck(s: CanarySettings, c: CanarySide, p: CanarySide): CheckResult {
  const kind = s.prediction?.kind ?? (p.predictions.every((v) => typeof v === 'number') && c.predictions.every((v) => typeof v === 'number') ? 'numeric' : 'categorical');
  const column = (v: ReadonlyArray<number | string>): number[] | string[] => (kind === 'numeric' ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : v.map(String));
  const ref = column(p.predictions);
  const cur = column(c.predictions);
  if (ref.length === 0 || cur.length === 0) {
    return { name: 'prediction_drift', value: null, threshold: s.maxPredictionDrift, pValue: null, pass: false, inconclusive: true, detail: `no prediction values (canary ${cur.length}, primary ${ref.length}): set canary.prediction.path` };
  }
  // The drift engine's test for the kind and size; the primary is the reference.
  const r = evaluateFeature({ name: 'prediction', kind, reference: ref, current: cur });
  const alpha = 1 - s.confidence;
  let value = r.score ?? Number.NaN;
  let measure: string = r.test;
  const pValue = r.pValue ?? null;
  if (r.test === 'chi_square') {
    // A chi-square statistic has no fixed scale: the size of the shift is the Jensen-Shannon distance.
    value = evaluateFeature({ name: 'prediction', kind: 'categorical', reference: ref.map(String), current: cur.map(String), test: 'jensen_shannon' }).score ?? Number.NaN;
    measure = 'jensen_shannon';
  }
  const significant = !P_VALUE_TESTS.has(r.test) || (pValue !== null && pValue < alpha);
  const pass = !(value > s.maxPredictionDrift && significant);
  return {
    name: 'prediction_drift',
    value,
    threshold: s.maxPredictionDrift,
    pValue,
    pass,
    detail: `${r.test}${measure !== r.test ? ` (size: ${measure})` : ''} of ${cur.length} canary vs ${ref.length} primary predictions: ${fixed(value)}${pValue === null ? '' : `, p=${fixed(pValue)}`}`,
  };
}

function customCheck(s: CanarySettings, v: CustomValue): CheckResult {
  const spec = s.custom.find((k) => k.name === v.name);
  const min = spec?.min;
  const max = spec?.max;
  const bounds = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  if (v.value === null) {
    return { name: `custom:${v.name}`, value: null, threshold: max ?? min ?? null, pValue: null, pass: false, inconclusive: true, ...bounds, detail: `no value: ${v.error ?? 'the query returned no data'} (${v.query})` };
  }
  const low = min !== undefined && v.value < min;
  const high = max !== undefined && v.value > max;
  return { name: `custom:${v.name}`, value: v.value, threshold: low ? (min ?? null) : (max ?? min ?? null), pValue: null, pass: !low && !high, ...bounds, detail: `${v.query} = ${fixed(v.value)}, allowed [${min ?? '-inf'}, ${max ?? '+inf'}]` };
}

/** One analysis of canary against primary. */
export function analyse(input: AnalysisInput): Analysis {
  const { settings: s, canary: c, primary: p } = input;
  const requests = { canary: c.statuses.length, primary: p.statuses.length };
  const checks: CheckResult[] = [];
  if (requests.canary > 0 && requests.primary > 0) {
    checks.push(errorCheck(s, c, p), ...latencyChecks(s, c, p), ...budgetChecks(input.slos, c, p), predictionCheck(s, c, p));
  }
  for (const v of input.custom ?? []) checks.push(customCheck(s, v));
  const thin = (['canary', 'primary'] as const).filter((side) => requests[side] < s.minRequests);
  if (thin.length > 0) {
    const said = thin.map((side) => `${side} has ${requests[side]}`).join(', ');
    return { outcome: 'inconclusive', reason: `inconclusive: ${said} request records in the window, fewer than min_requests ${s.minRequests}`, requests, checks };
  }
  const failed = checks.filter((k) => !k.pass && k.inconclusive !== true);
  if (failed.length > 0) return { outcome: 'fail', reason: `failed: ${failed.map((k) => k.name).join(', ')}`, requests, checks };
  const unknown = checks.filter((k) => k.inconclusive === true);
  if (unknown.length > 0) return { outcome: 'inconclusive', reason: `inconclusive: no data for ${unknown.map((k) => k.name).join(', ')}`, requests, checks };
  return { outcome: 'pass', reason: `passed ${checks.length} checks`, requests, checks };
}

/** Where a canary stands: failed analyses of this revision, passes in a row at this step, its traffic. */
export interface CanaryProgress {
  failures: number;
  passes: number;
  percent: number;
}

/** A decision: the verdict, the traffic percent to set (null removes the field: promotion; undefined: no change), the new progress. */
export interface Decision {
  verdict: CanaryVerdict;
  reason: string;
  nextPercent: number | null | undefined;
  progress: CanaryProgress;
}

/**
 * The verdict of an analysis given the canary's progress. Failures count per canary revision
 * (failure_limit of them roll it back); passes count in a row at the current step (a failure resets
 * them; promote_after of them take the next step of `steps`, or promote after the last). No step or
 * promotion while the model's error budget is exhausted.
 */
export function decide(a: Analysis, progress: CanaryProgress, s: CanarySettings, budgetExhausted: boolean): Decision {
  if (a.outcome === 'inconclusive') return { verdict: 'hold', reason: a.reason, nextPercent: undefined, progress };
  if (a.outcome === 'fail') {
    const failures = progress.failures + 1;
    const next = { ...progress, failures, passes: 0 };
    if (failures >= s.failureLimit) return { verdict: 'rollback', reason: `${a.reason} (${failures} of failure_limit ${s.failureLimit})`, nextPercent: 0, progress: next };
    return { verdict: 'hold', reason: `${a.reason} (${failures} of failure_limit ${s.failureLimit}; rolled back at ${s.failureLimit})`, nextPercent: undefined, progress: next };
  }
  if (budgetExhausted) return { verdict: 'hold', reason: `${a.reason}, but the model's error budget is exhausted: no step or promotion until it recovers`, nextPercent: undefined, progress };
  const passes = progress.passes + 1;
  if (passes < s.promoteAfter) return { verdict: 'hold', reason: `${a.reason} (${passes} of promote_after ${s.promoteAfter} at ${progress.percent}%)`, nextPercent: undefined, progress: { ...progress, passes } };
  const step = s.steps.find((p) => p > progress.percent);
  if (step !== undefined) return { verdict: 'step', reason: `${a.reason} ${passes} times at ${progress.percent}%: next step ${step}%`, nextPercent: step, progress: { ...progress, passes: 0, percent: step } };
  return { verdict: 'promote', reason: `${a.reason} ${passes} times at ${progress.percent}%${s.steps.length > 0 ? ' (the last step)' : ''}: promote`, nextPercent: null, progress: { ...progress, passes: 0, percent: 100 } };
}

/** The offline judge's verdict of one analysis: pass promotes, fail rolls back, inconclusive holds. */
export function judgeOnce(a: Analysis): Exclude<CanaryVerdict, 'step'> {
  return a.outcome === 'pass' ? 'promote' : a.outcome === 'fail' ? 'rollback' : 'hold';
}
