/**
 * Scenarios of the failure-mode alerts: per alert, one-minute series named and labelled as their
 * exporters export them (kube-state-metrics, the sidecar, Knative's queue-proxy, the daemon), a
 * healthy stretch and then the signal, and which alerts must fire at which minute. A pod of
 * another InferenceService in the same namespace fails alongside and must never fire here. The
 * generated promtool tests run them; a test replays them on a real Prometheus.
 */
import type { Model } from '../model/types.js';
import { durationSeconds } from '../slo/burn-windows.js';
import { STEP_MINUTES } from './burn-scenario.js';
import { EXPORTER_METRICS, ISVC_KSM_LABEL, COMPONENT_KSM_LABEL } from './exporter-metrics.js';
import { SIDECAR_METRICS } from '../model/metric-names.js';
import { CANARY_DECISIONS_METRIC, failureRuleGroup } from './failure-rules.js';
import { requestCounter } from './sli-queries.js';
import type { SeriesId } from './synthetic-series.js';
import { FAILURE_ALERTS, type AlertingRule } from './types.js';

/** One series of a scenario: a value per minute, `undefined` where the exporter has none. */
export interface ScenarioSeries {
  id: SeriesId;
  values: Array<number | undefined>;
}

/** A check: at `minute`, exactly these alerts (rule and the labels the expression gives it) fire. */
export interface ScenarioCheck {
  minute: number;
  firing: Array<{ rule: AlertingRule; labels: Record<string, string> }>;
}

/** One alert's scenario. */
export interface FailureScenario {
  alertname: string;
  name: string;
  series: ScenarioSeries[];
  /** The last check fires; the first is healthy and silent. */
  checks: ScenarioCheck[];
}

const minutesOf = (d: string): number => Math.round(durationSeconds(d) / 60);
/**
 * promtool evaluates the rules every STEP_MINUTES (the test file's evaluation_interval) and checks
 * an eval_time against the evaluation at or before it; `for` counts from the first evaluation that
 * saw the condition. So checks fall on evaluations: a healthy one at or before `minute`, a firing
 * one an evaluation after the condition has held `for` (from the first evaluation that saw it).
 */
const before = (minute: number): number => Math.floor(minute / STEP_MINUTES) * STEP_MINUTES;
const after = (minute: number): number => Math.ceil(minute / STEP_MINUTES) * STEP_MINUTES;
const firesAt = (trueFrom: number, forDuration: string): number => after(after(trueFrom) + minutesOf(forDuration)) + STEP_MINUTES;
const steps = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
/** `before` for the first `at` minutes, then `after`, `total` minutes in all. */
const phase = (total: number, at: number, before: number | undefined, after: number | undefined): Array<number | undefined> => steps(total, (i) => (i < at ? before : after));
/** A counter adding `perMinute(i)` each minute. */
const counter = (total: number, perMinute: (i: number) => number): number[] => {
  let v = 0;
  return steps(total, (i) => (v += i === 0 ? 0 : perMinute(i)));
};

interface Pod {
  pod: string;
  isvc: string;
}

function pods(model: Model): { mine: Pod; other: Pod } {
  return { mine: { pod: `${model.name}-predictor-00001-deployment-5d8f7c9b4-x2x7q`, isvc: model.name }, other: { pod: `${model.name}-shadow-predictor-00001-deployment-6c7d8-k9p2r`, isvc: `${model.name}-shadow` } };
}

const KSM = { job: 'kube-state-metrics', instance: '10.0.0.7:8080' };

function podLabels(model: Model, p: Pod, total: number): ScenarioSeries {
  return { id: { metric: EXPORTER_METRICS.podLabels.name, labels: { ...KSM, namespace: model.namespace, pod: p.pod, uid: `uid-${p.pod}`, [ISVC_KSM_LABEL]: p.isvc, [COMPONENT_KSM_LABEL]: 'predictor' } }, values: steps(total, () => 1) };
}

function container(model: Model, p: Pod, metric: string, extra: Record<string, string> = {}): SeriesId {
  return { metric, labels: { ...KSM, namespace: model.namespace, pod: p.pod, uid: `uid-${p.pod}`, container: 'kserve-container', ...extra } };
}

function rulesOf(model: Model, alertname: string): AlertingRule[] {
  return (failureRuleGroup(model)?.rules ?? []).filter((r): r is AlertingRule => 'alert' in r && r.alert === alertname);
}

/** F1 and F2: a container's restarts jump at minute `at`, with a waiting or last-terminated reason. */
function restartScenario(model: Model, which: 'crash' | 'oom'): FailureScenario {
  const s = which === 'crash' ? model.alerts.modelLoadFailure : model.alerts.oomKills;
  const w = minutesOf(s.window);
  const at = w + 5;
  const fire = firesAt(at, which === 'crash' ? '0m' : s.for);
  const total = fire + 5;
  const { mine, other } = pods(model);
  // The restarts go on, `restarts` more every half window, so every later window holds some.
  const every = Math.max(1, Math.floor(w / 2));
  const restarts = (i: number): number => (i < at ? 0 : s.restarts * (1 + Math.floor((i - at) / every)));
  const reason = which === 'crash' ? container(model, mine, EXPORTER_METRICS.waitingReason.name, { reason: 'CrashLoopBackOff' }) : container(model, mine, EXPORTER_METRICS.lastTerminatedReason.name, { reason: 'OOMKilled' });
  const series = [mine, other].flatMap((p) => [
    podLabels(model, p, total),
    { id: container(model, p, EXPORTER_METRICS.restarts.name), values: steps(total, restarts) },
    { id: { ...reason, labels: { ...reason.labels, pod: p.pod, uid: `uid-${p.pod}` } }, values: phase(total, at, undefined, 1) },
  ]);
  const alertname = which === 'crash' ? FAILURE_ALERTS.modelLoadFailure : FAILURE_ALERTS.oomKills;
  const rule = rulesOf(model, alertname).find((r) => r.expr.includes(reason.metric));
  if (rule === undefined) throw new Error(`no ${alertname} rule on ${reason.metric}`);
  return {
    alertname,
    name: `${alertname}: ${s.restarts} restart(s) of a predictor container with ${reason.labels.reason} fire, none before; another model's pod does not`,
    series,
    checks: [
      { minute: before(at - 1), firing: [] },
      { minute: fire, firing: [{ rule, labels: { namespace: model.namespace, model: model.name, pod: mine.pod, container: 'kserve-container' } }] },
    ],
  };
}

/** F1: a predictor not ready for `for` (the sidecar's readiness by revision, else kube-state-metrics). */
function notReadyScenario(model: Model): FailureScenario {
  const s = model.alerts.modelLoadFailure;
  const at = 10;
  const fire = firesAt(at, s.for);
  const total = fire + 5;
  const rule = rulesOf(model, FAILURE_ALERTS.modelLoadFailure).find((r) => !r.expr.includes('CrashLoopBackOff'));
  if (rule === undefined) throw new Error('no readiness rule');
  const base = { namespace: model.namespace, model: model.name };
  if (model.sliSource === 'sidecar') {
    const ready = (revision: string, values: Array<number | undefined>): ScenarioSeries => ({ id: { metric: SIDECAR_METRICS.predictorReady, labels: { ...base, revision } }, values });
    const r2 = `${model.name}-predictor-00002`;
    return {
      alertname: rule.alert,
      name: `${rule.alert}: a new revision never ready fires after ${s.for}, silent while every revision is ready`,
      series: [ready(`${model.name}-predictor-00001`, phase(total, 0, 1, 1)), ready(r2, phase(total, at, undefined, 0))],
      checks: [
        { minute: before(at - 1), firing: [] },
        // Not ready, still pending: one evaluation in.
        ...(minutesOf(s.for) > STEP_MINUTES ? [{ minute: after(at), firing: [] }] : []),
        { minute: fire, firing: [{ rule, labels: { ...base, revision: r2 } }] },
      ],
    };
  }
  const { mine, other } = pods(model);
  const cond = (p: Pod, condition: string, v: Array<number | undefined>): ScenarioSeries => ({ id: { metric: EXPORTER_METRICS.podReady.name, labels: { ...KSM, namespace: model.namespace, pod: p.pod, uid: `uid-${p.pod}`, condition } }, values: v });
  return {
    alertname: rule.alert,
    name: `${rule.alert}: no predictor pod ready for ${s.for} fires, silent while ready; another model's pod does not`,
    series: [mine, other].flatMap((p) => [podLabels(model, p, total), cond(p, 'true', phase(total, at, 1, 0)), cond(p, 'false', phase(total, at, 0, 1))]),
    checks: [
      { minute: before(at - 1), firing: [] },
      { minute: fire, firing: [{ rule, labels: base }] },
    ],
  };
}

/** F4: one of two ready pods flaps every minute. */
function thrashScenario(model: Model): FailureScenario {
  const s = model.alerts.scaleThrashing;
  const at = minutesOf(s.window) + 5;
  const fire = firesAt(at + s.changes + 1, s.for);
  const total = fire + 5;
  const { mine, other } = pods(model);
  const second: Pod = { pod: `${model.name}-predictor-00001-deployment-5d8f7c9b4-m4n8z`, isvc: model.name };
  const flap = (i: number): number => (i < at ? 1 : (i - at) % 2);
  const cond = (p: Pod, condition: string, f: (i: number) => number): ScenarioSeries => ({ id: { metric: EXPORTER_METRICS.podReady.name, labels: { ...KSM, namespace: model.namespace, pod: p.pod, uid: `uid-${p.pod}`, condition } }, values: steps(total, f) });
  const [rule] = rulesOf(model, FAILURE_ALERTS.scaleThrashing);
  if (rule === undefined) throw new Error('no thrashing rule');
  return {
    alertname: rule.alert,
    name: `${rule.alert}: a pod flapping ready every minute fires after ${s.changes} changes, silent while steady; another model's pods do not`,
    series: [
      ...[mine, second, other].map((p) => podLabels(model, p, total)),
      cond(mine, 'true', () => 1),
      cond(second, 'true', flap),
      cond(second, 'false', (i) => 1 - flap(i)),
      cond(other, 'true', flap),
    ],
    checks: [
      { minute: before(at - 1), firing: [] },
      { minute: fire, firing: [{ rule, labels: {} }] },
    ],
  };
}

/** F3: cold-start requests all in the smallest bucket, then all past the largest (the sidecar's buckets). */
function coldStartScenario(model: Model): FailureScenario | undefined {
  const [rule] = rulesOf(model, FAILURE_ALERTS.coldStartLatency);
  if (rule === undefined) return undefined;
  const s = model.alerts.coldStartLatency;
  const w = minutesOf(s.window);
  const at = w + 5;
  const fire = firesAt(at + w, s.for);
  const total = fire + 5;
  const perMinute = Math.ceil(s.minRequests / w) + 1;
  const labels = { namespace: model.namespace, model: model.name, revision: `${model.name}-predictor-00001`, protocol: 'v2' };
  const bounds = [...model.latencyBucketsMs.map((ms) => ms / 1000), Infinity];
  const smallest = bounds[0] ?? 0;
  // Healthy: p99 within the smallest bucket; failing: histogram_quantile answers the largest bound.
  const bucket = (le: number): ScenarioSeries => ({
    id: { metric: `${SIDECAR_METRICS.coldStartDuration}_bucket`, labels: { ...labels, le: Number.isFinite(le) ? String(le) : '+Inf' } },
    values: counter(total, (i) => (i < at || !Number.isFinite(le) ? (le >= smallest ? perMinute : 0) : 0)),
  });
  return {
    alertname: rule.alert,
    name: `${rule.alert}: cold-start p99 over ${s.p99Ms} ms with ${s.minRequests}+ requests fires, silent while fast`,
    series: [...bounds.map(bucket), { id: { metric: SIDECAR_METRICS.coldStartRequests, labels: { ...labels, code: '200' } }, values: counter(total, () => perMinute) }],
    checks: [
      { minute: before(at - 1), firing: [] },
      { minute: fire, firing: [{ rule, labels: {} }] },
    ],
  };
}

/** F6 and F7: requests answered `code` at a share well under the bound, then well over it. */
function shareScenario(model: Model, kind: 'networkTimeouts' | 'unauthorizedRequests', code: string): FailureScenario | undefined {
  const [rule] = rulesOf(model, FAILURE_ALERTS[kind]);
  const c = requestCounter(model);
  if (rule === undefined || c === undefined) return undefined;
  const s = model.alerts[kind];
  const w = minutesOf(s.window);
  const at = w + 5;
  const fire = firesAt(at + w, s.for);
  const total = fire + 5;
  const perMinute = Math.ceil(s.minRequests / w) + 10;
  const bad = (i: number): number => (i < at ? Math.floor((perMinute * s.share) / 3) : Math.ceil((perMinute * (1 + s.share)) / 2));
  const id = (status: string): SeriesId =>
    model.sliSource === 'kserve'
      ? { metric: c.selector.metric, labels: { namespace_name: model.namespace, configuration_name: `${model.name}-predictor`, revision_name: `${model.name}-predictor-00001`, service_name: `${model.name}-predictor`, pod_name: pods(model).mine.pod, container_name: 'queue-proxy', response_code: status, response_code_class: `${status[0] ?? ''}xx` } }
      : { metric: c.selector.metric, labels: { namespace: model.namespace, model: model.name, revision: `${model.name}-predictor-00001`, protocol: 'v2', code: status } };
  return {
    alertname: rule.alert,
    name: `${rule.alert}: ${code} answers over ${s.share * 100}% of ${s.minRequests}+ requests fire, silent under it`,
    series: [
      { id: id('200'), values: counter(total, (i) => perMinute - bad(i)) },
      { id: id(code), values: counter(total, bad) },
    ],
    checks: [
      { minute: before(at - 1), firing: [] },
      { minute: fire, firing: [{ rule, labels: {} }] },
    ],
  };
}

/** M10: a second revision takes traffic; untracked it fires after `for`, with step decisions it does not. */
function skewScenario(model: Model, tracked: boolean): FailureScenario | undefined {
  const [rule] = rulesOf(model, FAILURE_ALERTS.versionSkew);
  const c = requestCounter(model);
  if (rule === undefined || c === undefined) return undefined;
  const at = 10;
  const fire = firesAt(at + 1, model.alerts.versionSkew.for);
  const total = fire + 5;
  const id = (revision: string): SeriesId =>
    model.sliSource === 'kserve'
      ? { metric: c.selector.metric, labels: { namespace_name: model.namespace, configuration_name: `${model.name}-predictor`, revision_name: revision, response_code: '200', response_code_class: '2xx' } }
      : { metric: c.selector.metric, labels: { namespace: model.namespace, model: model.name, revision, protocol: 'v2', code: '200' } };
  const decisions = (decision: string, every: number): ScenarioSeries => ({
    id: { metric: CANARY_DECISIONS_METRIC, labels: { job: 'modelslo-daemon', instance: '10.0.0.9:9464', namespace: model.namespace, model: model.name, decision } },
    values: steps(total, (i) => (i < at + 5 ? undefined : 1 + Math.floor((i - at - 5) / every))),
  });
  return {
    alertname: rule.alert,
    name: tracked
      ? `${rule.alert}: two revisions with traffic and a step decision every 30m stay silent`
      : `${rule.alert}: two revisions with traffic for ${model.alerts.versionSkew.for} and only hold decisions fire, silent with one revision`,
    series: [
      { id: id(`${model.name}-predictor-00001`), values: counter(total, () => 100) },
      { id: id(`${model.name}-predictor-00002`), values: phase(total, at, undefined, 0).map((v, i) => (v === undefined ? v : (i - at) * 20)) },
      tracked ? decisions('step', 30) : decisions('hold', 1),
    ],
    checks: [
      { minute: before(at - 1), firing: [] },
      { minute: fire, firing: tracked ? [] : [{ rule, labels: {} }] },
    ],
  };
}

/** Every enabled failure-mode alert's scenarios for a model. */
export function failureScenarios(model: Model): FailureScenario[] {
  const a = model.alerts;
  const out: Array<FailureScenario | undefined> = [
    ...(a.modelLoadFailure.enabled ? [notReadyScenario(model), restartScenario(model, 'crash')] : []),
    a.oomKills.enabled ? restartScenario(model, 'oom') : undefined,
    coldStartScenario(model),
    a.scaleThrashing.enabled ? thrashScenario(model) : undefined,
    shareScenario(model, 'networkTimeouts', '504'),
    shareScenario(model, 'unauthorizedRequests', '401'),
    skewScenario(model, false),
    skewScenario(model, true),
  ];
  return out.filter((s): s is FailureScenario => s !== undefined);
}
