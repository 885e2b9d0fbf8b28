/**
 * The failure-mode alerts of a model (the operations guide's F1–F4, F6, F7 and M10 version skew),
 * one rule group per model, each alert as enabled in `model.alerts`. Infrastructure alerts carry
 * `audience="oncall"` (a ticket still reaches the on-call), the version-skew alert
 * `audience="owners"` (never pages). Pod-level signals come from kube-state-metrics, tied to the
 * model by exporter-metrics.ts's join; request shares from the SLI source's request counter.
 */
import { SIDECAR_METRICS } from '../model/metric-names.js';
import type { FailureAlertBase, Model, ShareAlert } from '../model/types.js';
import { renderSelector, type VectorSelector } from '../spec/promql.js';
import { EXPORTER_METRICS, forModelPods } from './exporter-metrics.js';
import { requestCounter } from './sli-queries.js';
import { FAILURE_ALERTS, type AlertingRule, type RuleGroup } from './types.js';
import { AUDIENCE_LABEL } from './alertmanager.js';

/** The daemon's canary decisions counter (src/daemon/metrics.ts). */
export const CANARY_DECISIONS_METRIC = 'modelslo_canary_decisions_total';

/** The docs/runbooks.md section of each alert (filled into the model's runbook URL as `{slo}`). */
export const RUNBOOK_ANCHORS: Record<keyof typeof FAILURE_ALERTS, string> = {
  modelLoadFailure: 'model-load-failure',
  oomKills: 'oom-kills',
  coldStartLatency: 'cold-start-latency',
  scaleThrashing: 'scale-thrashing',
  networkTimeouts: 'network-timeouts',
  unauthorizedRequests: 'unauthorized-requests',
  versionSkew: 'version-skew',
};

type Kind = keyof typeof FAILURE_ALERTS;

/** Who acts on each alert: infrastructure goes to the on-call, model and data to the owners. */
const AUDIENCE: Record<Kind, 'oncall' | 'owners'> = {
  modelLoadFailure: 'oncall',
  oomKills: 'oncall',
  coldStartLatency: 'oncall',
  scaleThrashing: 'oncall',
  networkTimeouts: 'oncall',
  unauthorizedRequests: 'oncall',
  versionSkew: 'owners',
};

const q = JSON.stringify;

function rule(model: Model, kind: Kind, s: FailureAlertBase, expr: string, text: { summary: string; description: string }, useFor = true, cause?: string): AlertingRule {
  return {
    alert: FAILURE_ALERTS[kind],
    expr,
    ...(useFor && s.for !== '0m' ? { for: s.for } : {}),
    labels: { severity: s.severity, [AUDIENCE_LABEL]: AUDIENCE[kind], namespace: model.namespace, model: model.name, ...(cause !== undefined ? { cause } : {}) },
    annotations: {
      summary: `${model.namespace}/${model.name}: ${text.summary}`,
      description: text.description,
      runbook_url: model.runbookUrl.replaceAll('{slo}', RUNBOOK_ANCHORS[kind]),
      dashboard: model.dashboardUrl.replaceAll('{slo}', ''),
    },
  };
}

/** A kube-state-metrics selector in the model's namespace. */
const ksm = (metric: string, model: Model, extra = ''): string => `${metric}{namespace=${q(model.namespace)}${extra}}`;

/** Restarts of each of the model's predictor containers over `window`, by namespace, model, pod, container. */
function restarts(model: Model, window: string): string {
  return `sum by (namespace, model, pod, container) (${forModelPods(`increase(${ksm(EXPORTER_METRICS.restarts.name, model)}[${window}])`, model)})`;
}

/** F1: a revision whose predictor is not ready, and a crash-looping container: two rules, one alert name. */
function modelLoadFailure(model: Model): AlertingRule[] {
  const s = model.alerts.modelLoadFailure;
  const sel = `{namespace=${q(model.namespace)},model=${q(model.name)}}`;
  // With the sidecar, per revision: a new revision that never loads shows while the old one serves.
  const ready =
    model.sliSource === 'sidecar'
      ? `max by (namespace, model, revision) (${SIDECAR_METRICS.predictorReady}${sel}) == 0`
      : `max by (namespace, model) (${forModelPods(ksm(EXPORTER_METRICS.podReady.name, model, ',condition="true"'), model)}) == 0`;
  const what = model.sliSource === 'sidecar' ? 'revision {{ $labels.revision }}' : 'every predictor pod';
  // The kubelet flips a crashing container between running and CrashLoopBackOff: look over the window.
  const crash =
    `${restarts(model, s.window)} >= ${s.restarts}\n` +
    `and on (namespace, pod, container)\n` +
    `max_over_time(${ksm(EXPORTER_METRICS.waitingReason.name, model, ',reason="CrashLoopBackOff"')}[${s.window}]) == 1`;
  return [
    rule(model, 'modelLoadFailure', s, ready, {
      summary: `predictor not ready for ${s.for}`,
      description:
        `The predictor of ${model.namespace}/${model.name} (${what}) has not been ready for ${s.for}: the model did not load or lost readiness. ` +
        `Check \`kubectl get pods -n ${model.namespace} -l serving.kserve.io/inferenceservice=${model.name}\`, the kserve-container logs and Events (storage-initializer, model download, OOM).`,
    }, true, 'not_ready'),
    rule(
      model,
      'modelLoadFailure',
      s,
      crash,
      {
        summary: 'container {{ $labels.container }} crash-looping',
        description:
          `Container {{ $labels.container }} of pod {{ $labels.pod }} restarted ${s.restarts} or more times in ${s.window} and is in CrashLoopBackOff. ` +
          `Run \`kubectl logs -n ${model.namespace} {{ $labels.pod }} -c {{ $labels.container }} --previous\`; an OOM kill also raises ModelOOMKilled.`,
      },
      false,
      'crash_loop',
    ),
  ];
}

/** F2: restarts whose last termination was an OOM kill. */
function oomKills(model: Model): AlertingRule {
  const s = model.alerts.oomKills;
  const expr =
    `${restarts(model, s.window)} >= ${s.restarts}\n` +
    `and on (namespace, pod, container)\n` +
    `${ksm(EXPORTER_METRICS.lastTerminatedReason.name, model, ',reason="OOMKilled"')} == 1`;
  return rule(model, 'oomKills', s, expr, {
    summary: 'container {{ $labels.container }} OOM-killed',
    description:
      `Container {{ $labels.container }} of pod {{ $labels.pod }} restarted ${s.restarts} or more times in ${s.window}, last killed for exceeding its memory limit (OOMKilled). ` +
      `Compare container_memory_working_set_bytes with the limit (kubectl describe pod -n ${model.namespace} {{ $labels.pod }}); raise the limit or shrink the model or batch size.`,
  });
}

/** F3: the sidecar's cold-start requests (arrived while not ready or warming up) are slow. */
function coldStartLatency(model: Model): AlertingRule {
  const s = model.alerts.coldStartLatency;
  const sel = `{namespace=${q(model.namespace)},model=${q(model.name)}}`;
  const expr =
    `histogram_quantile(0.99, sum by (le) (rate(${SIDECAR_METRICS.coldStartDuration}_bucket${sel}[${s.window}]))) > ${s.p99Ms / 1000}\n` +
    `and on ()\n` +
    `sum(increase(${SIDECAR_METRICS.coldStartRequests}${sel}[${s.window}])) >= ${s.minRequests}`;
  return rule(model, 'coldStartLatency', s, expr, {
    summary: `cold-start requests p99 over ${s.p99Ms} ms`,
    description:
      `Over the last ${s.window}, the 99th percentile of requests that arrived while a predictor was starting or warming up exceeded ${s.p99Ms} ms (at least ${s.minRequests} such requests). ` +
      'Look at model load time (debug dashboard), scale-from-zero (minReplicas), image and model download size, and readiness probe timing.',
  });
}

/** F4: the number of ready predictor pods changed too often (0 counted too, when none is ready). */
function scaleThrashing(model: Model): AlertingRule {
  const s = model.alerts.scaleThrashing;
  const ready = `sum(${forModelPods(ksm(EXPORTER_METRICS.podReady.name, model, ',condition="true"'), model)}) or vector(0)`;
  // A subquery, not a recording rule: the count's history is there from the start (and backfills).
  const expr = `changes((${ready})[${s.window}:1m]) >= ${s.changes}`;
  return rule(model, 'scaleThrashing', s, expr, {
    summary: `ready replicas changed ${s.changes}+ times in ${s.window}`,
    description:
      `The count of ready predictor pods of ${model.namespace}/${model.name} changed at least ${s.changes} times in ${s.window}: the autoscaler is thrashing, or pods flap between ready and not ready. ` +
      'Check the Knative autoscaler (target concurrency, stable/panic windows, scale-down delay), minReplicas, and readiness probe failures.',
  });
}

function shareExpr(sel: VectorSelector, codeLabel: string, codes: string, s: ShareAlert): string {
  const all = renderSelector(sel);
  const bad = renderSelector({ ...sel, matchers: [...sel.matchers, { name: codeLabel, op: '=~', value: codes }] });
  return (
    `sum(rate(${bad}[${s.window}])) / sum(rate(${all}[${s.window}])) > ${s.share}\n` +
    `and on ()\n` +
    `sum(increase(${all}[${s.window}])) >= ${s.minRequests}`
  );
}

/** F6 and F7: a share of requests answered 502/504, or 401/403 (no status codes with custom SLIs). */
function shareAlerts(model: Model): AlertingRule[] {
  const counter = requestCounter(model);
  if (counter === undefined) return [];
  const out: AlertingRule[] = [];
  const t = model.alerts.networkTimeouts;
  if (t.enabled) {
    out.push(
      rule(model, 'networkTimeouts', t, shareExpr(counter.selector, counter.code, '502|504', t), {
        summary: `${t.share * 100}%+ of requests time out (502/504)`,
        description:
          `More than ${t.share * 100}% of requests to ${model.namespace}/${model.name} were answered 502 or 504 over ${t.window}: the predictor did not answer in time or the connection failed. ` +
          'Check predictor pods (restarts, readiness), the sidecar upstream timeout, Knative queue-proxy and the mesh; the availability SLO burn alert pages if it spends budget.',
      }),
    );
  }
  const u = model.alerts.unauthorizedRequests;
  if (u.enabled) {
    out.push(
      rule(model, 'unauthorizedRequests', u, shareExpr(counter.selector, counter.code, '401|403', u), {
        summary: `${u.share * 100}%+ of requests unauthorized (401/403)`,
        description:
          `More than ${u.share * 100}% of requests to ${model.namespace}/${model.name} were refused 401 or 403 over ${u.window}: expired or rotated credentials, a changed AuthorizationPolicy, or someone probing the endpoint. ` +
          'Find the callers in the ingress/mesh access logs; check recent secret rotations and policy changes.',
      }),
    );
  }
  return out;
}

/** M10: more than one revision with traffic all through `for`, and no canary decision in it. */
function versionSkew(model: Model): AlertingRule[] {
  const counter = requestCounter(model);
  if (counter === undefined) return [];
  const s = model.alerts.versionSkew;
  const revisions = `count(sum by (${counter.revision}) (rate(${renderSelector(counter.selector)}[5m])) > 0) or vector(0)`;
  const decisions = `${CANARY_DECISIONS_METRIC}{namespace=${q(model.namespace)},model=${q(model.name)},decision=~"step|promote|rollback"}`;
  // A decision series new within `for` counts too: increase() ignores a counter's first sample.
  // `for` (not a subquery) holds the two revisions that long: Prometheus restores it across restarts.
  const expr =
    `(${revisions}) > 1\n` +
    `unless on () (sum(increase(${decisions}[${s.for}])) > 0)\n` +
    `unless on () count(${decisions} unless ${decisions} offset ${s.for})`;
  return [
    rule(
      model,
      'versionSkew',
      s,
      expr,
      {
        summary: `two or more revisions served traffic for ${s.for} without a canary decision`,
        description:
          `More than one revision of ${model.namespace}/${model.name} has had traffic for ${s.for} and modelslo's canary analysis made no step, promote or rollback decision in that time: an untracked canary. ` +
          `Promote or roll back (canaryTrafficPercent), or add a canary section so the daemon judges it; \`kubectl get isvc ${model.name} -n ${model.namespace} -o jsonpath='{.status.components.predictor.traffic}'\` shows the split.`,
      },
    ),
  ];
}

/** The failure-mode rule group of a model, or undefined when every alert is turned off. */
export function failureRuleGroup(model: Model): RuleGroup | undefined {
  const a = model.alerts;
  const rules: AlertingRule[] = [
    ...(a.modelLoadFailure.enabled ? modelLoadFailure(model) : []),
    ...(a.oomKills.enabled ? [oomKills(model)] : []),
    ...(a.coldStartLatency.enabled && model.sliSource === 'sidecar' ? [coldStartLatency(model)] : []),
    ...(a.scaleThrashing.enabled ? [scaleThrashing(model)] : []),
    ...shareAlerts(model),
    ...(a.versionSkew.enabled ? versionSkew(model) : []),
  ];
  return rules.length === 0 ? undefined : { name: `modelslo-${model.namespace}-${model.name}-failures`, rules };
}
