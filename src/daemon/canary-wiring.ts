/**
 * The daemon's canary ports: the Kubernetes adapter (unless one is given), the metrics, the
 * error-budget gate from the SLO status (Prometheus when configured, else the store) and the
 * custom checks through Prometheus.
 */
import type { Logger } from 'pino';
import type { AlertSink } from '../alerting/alertmanager-client.js';
import { instantQuery } from '../alerting/prometheus-query.js';
import type { CustomValue } from '../canary/decide.js';
import type { CanaryMetrics, CanaryRunnerDeps } from '../canary/runner.js';
import type { RolloutPort } from '../k8s/port.js';
import type { Config, Model } from '../model/types.js';
import { renderCustomQuery } from '../spec/canary-schema.js';
import type { Store } from '../store/port.js';
import type { DaemonMetrics } from './metrics.js';
import { sloStatuses } from './slo-status.js';

/** What the wiring needs. */
export interface CanaryWiring {
  config: Config;
  store: Store;
  metrics: DaemonMetrics;
  log: Logger;
  sink: AlertSink | null;
  rollout?: RolloutPort;
}

function metricsOf(m: DaemonMetrics): CanaryMetrics {
  return {
    decision: (model, verdict) => m.canaryDecisions.inc({ namespace: model.namespace, model: model.name, decision: verdict }),
    failure: (model, reason) => m.canaryFailures.inc({ namespace: model.namespace, model: model.name, reason }),
    analysisSeconds: (s) => m.canaryAnalysisSeconds.observe(s),
  };
}

/** The runner's dependencies. */
export async function canaryDeps(w: CanaryWiring): Promise<CanaryRunnerDeps> {
  const rollout = w.rollout ?? new (await import('../k8s/kube-rollout.js')).KubeRollout({ onRetry: (info: unknown) => w.log.warn({ retry: info }, 'kubernetes API call failed; retrying') });
  const prometheusUrl = w.config.daemon.prometheusUrl;
  return {
    models: w.config.models,
    rollout,
    store: w.store,
    log: w.log,
    metrics: metricsOf(w.metrics),
    sink: w.sink,
    budgetExhausted: async (model: Model, nowMs: number) => (await sloStatuses(model, w.store, prometheusUrl, nowMs)).some((s) => s.budgetRemaining !== null && s.budgetRemaining <= 0),
    customValues: (model: Model, revision: string, nowMs: number): Promise<CustomValue[]> =>
      Promise.all(
        (model.canary?.custom ?? []).map(async (c): Promise<CustomValue> => {
          const query = renderCustomQuery(c.query, { revision, namespace: model.namespace, model: model.name });
          if (prometheusUrl === undefined) return { name: c.name, query, value: null, error: 'daemon.prometheus_url is not set' };
          try {
            return { name: c.name, query, value: await instantQuery(prometheusUrl, query, nowMs) };
          } catch (err) {
            return { name: c.name, query, value: null, error: err instanceof Error ? err.message : String(err) };
          }
        }),
      ),
  };
}
