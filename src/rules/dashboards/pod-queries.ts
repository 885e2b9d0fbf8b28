/**
 * Queries of the panels fed by other exporters (kube-state-metrics, cAdvisor, the DCGM exporter,
 * Knative's queue-proxy; src/rules/exporter-metrics.ts), tied to the dashboards' selected models.
 * Each returns series labelled `namespace` and `model` (and `pod` or `revision` where it says).
 */
import type { Model } from '../../model/types.js';
import { EXPORTER_METRICS as X, forSelectedPods, KNATIVE_SELECTED, knativeForSelected } from '../exporter-metrics.js';
import { MODEL_FILTER } from './common.js';

const NS = 'namespace=~"$namespace"';
/** cAdvisor's per-container series, without the pod's own cgroup (`container=""`) and the pause container. */
const CONTAINERS = `${NS},container!="",container!="POD"`;

/** Ready predictor replicas per model (kube_pod_status_ready, condition true). */
export const readyReplicas = `sum by (namespace, model) (${forSelectedPods(`${X.podReady.name}{${NS},condition="true"}`)})`;

/** Predictor pods per model, ready or not. */
export const predictorPods = `count by (namespace, model) (${forSelectedPods(`${X.podReady.name}{${NS},condition="true"}`)})`;

/** GPUs requested by ready predictor pods, per model. */
export const readyGpus = `sum by (namespace, model) (${forSelectedPods(
  `${X.resourceRequests.name}{${NS},resource="nvidia_com_gpu"} * on (namespace, pod) group_left () (${X.podReady.name}{${NS},condition="true"} == 1)`,
)})`;

/** Restarts per pod over the rate interval. */
export const podRestarts = `sum by (namespace, model, pod) (${forSelectedPods(`increase(${X.restarts.name}{${NS}}[$__rate_interval])`)})`;

/** CPU cores used per predictor pod. */
export const podCpu = `sum by (namespace, model, pod) (${forSelectedPods(`rate(${X.cpu.name}{${CONTAINERS}}[$__rate_interval])`)})`;

/** Working-set bytes per predictor pod. */
export const podMemory = `sum by (namespace, model, pod) (${forSelectedPods(`${X.memory.name}{${CONTAINERS}}`)})`;

/** Memory limit bytes per predictor pod (the OOM kill line). */
export const podMemoryLimit = `sum by (namespace, model, pod) (${forSelectedPods(`${X.resourceLimits.name}{${NS},resource="memory"}`)})`;

/** GPU utilization (percent) per predictor pod and GPU. */
export const gpuUtil = `max by (namespace, model, pod, gpu) (${forSelectedPods(`${X.gpuUtil.name}{${NS}}`)})`;

/** GPU framebuffer memory used, in bytes (DCGM reports MiB), per predictor pod and GPU. */
export const gpuMemory = `1048576 * max by (namespace, model, pod, gpu) (${forSelectedPods(`${X.gpuMemoryUsed.name}{${NS}}`)})`;

/** Requests queued or in flight in Knative's queue-proxy, per model and revision. */
export const knativeQueue = `sum by (namespace, model, revision) (${knativeForSelected(`${X.queueDepth.name}{${KNATIVE_SELECTED},revision_name=~"$revision"}`)})`;

/** Requests per second per model: the sidecar's, else Knative queue-proxy's (sli_source: kserve). */
export const requestRate =
  `sum by (namespace, model) (rate(modelslo_requests_total{${MODEL_FILTER}}[$__rate_interval]))` +
  ` or sum by (namespace, model) (${knativeForSelected(`rate(${X.knativeRequests.name}{${KNATIVE_SELECTED}}[$__rate_interval])`)})`;

/**
 * When each revision first served within the time range, in ms (Grafana's dateTime units): from
 * the sidecar's request counters, else Knative's.
 */
export const revisionFirstSeen =
  `1000 * min by (namespace, model, revision) (min_over_time(timestamp(modelslo_requests_total{${MODEL_FILTER}})[$__range:1m]))` +
  ` or 1000 * min by (namespace, model, revision) (min_over_time(${knativeForSelected(`timestamp(${X.knativeRequests.name}{${KNATIVE_SELECTED}})`)}[$__range:1m]))`;

/** A one-sample vector of `value` labelled with a model's namespace and name. */
function modelConstant(m: Model, value: number): string {
  return `label_replace(label_replace(vector(${String(value)}), "namespace", "${m.namespace}", "", ""), "model", "${m.name}", "", "")`;
}

/**
 * Serving cost per inference: hourly price × ready replicas (or GPUs of ready replicas) ÷ 3600
 * ÷ requests per second, per model. Undefined when no model has a price.
 */
export function costPerInference(models: readonly Model[]): string | undefined {
  const priced = (per: 'replica' | 'gpu'): string[] => models.filter((m) => m.cost?.per === per).map((m) => modelConstant(m, m.cost?.hourly ?? 0));
  const parts: string[] = [];
  const replica = priced('replica');
  const gpu = priced('gpu');
  if (replica.length > 0) parts.push(`${readyReplicas} * on (namespace, model) (${replica.join(' or ')})`);
  if (gpu.length > 0) parts.push(`${readyGpus} * on (namespace, model) (${gpu.join(' or ')})`);
  if (parts.length === 0) return undefined;
  return `(${parts.join(' or ')}) / 3600 / on (namespace, model) (${requestRate})`;
}

/** Grafana's unit of a currency: its own where it has one, else the code as a suffix. */
export function currencyUnit(currency: string): string {
  const known = ['USD', 'GBP', 'EUR', 'JPY', 'RUB', 'UAH', 'BRL', 'DKK', 'ISK', 'NOK', 'SEK', 'CZK', 'CHF', 'PLN', 'BTC', 'ZAR', 'INR', 'KRW', 'IDR', 'PHP', 'VND'];
  return known.includes(currency) ? `currency${currency}` : `suffix: ${currency}`;
}
