/**
 * The metrics modelslo reads from other exporters, by the names those exporters export, and how a
 * pod's series is tied to the InferenceService it serves. One table, so rules, dashboards, tests and
 * docs/coverage.md name each series the same way.
 *
 * | metric | exporter | type | labels read | docs |
 * |---|---|---|---|---|
 * | kube_pod_container_status_restarts_total | kube-state-metrics | counter | namespace, pod, container | [ksm pod metrics] |
 * | kube_pod_container_status_last_terminated_reason | kube-state-metrics | gauge (1) | namespace, pod, container, reason (OOMKilled, Error, …) | [ksm pod metrics] |
 * | kube_pod_container_status_waiting_reason | kube-state-metrics | gauge (1) | namespace, pod, container, reason (CrashLoopBackOff, …) | [ksm pod metrics] |
 * | kube_pod_status_ready | kube-state-metrics | gauge (0/1) | namespace, pod, condition (true, false, unknown) | [ksm pod metrics] |
 * | kube_pod_labels | kube-state-metrics | gauge (1) | namespace, pod, label_serving_kserve_io_inferenceservice, label_component | [ksm pod metrics], [ksm cli] |
 * | kube_pod_container_resource_limits | kube-state-metrics | gauge | namespace, pod, container, resource (memory), unit (byte) | [ksm pod metrics] |
 * | container_cpu_usage_seconds_total | cAdvisor (kubelet /metrics/cadvisor) | counter | namespace, pod, container | [cadvisor] |
 * | container_memory_working_set_bytes | cAdvisor (kubelet /metrics/cadvisor) | gauge | namespace, pod, container | [cadvisor] |
 * | DCGM_FI_DEV_GPU_UTIL | NVIDIA DCGM exporter | gauge (percent, 0–100) | namespace, pod, container, gpu, UUID | [dcgm] |
 * | DCGM_FI_DEV_FB_USED | NVIDIA DCGM exporter | gauge (MiB) | namespace, pod, container, gpu, UUID | [dcgm] |
 * | revision_queue_depth | Knative queue-proxy | gauge | namespace_name, configuration_name, revision_name, pod_name | [knative] |
 *
 * [ksm pod metrics]: https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/pod-metrics.md
 * [ksm cli]: https://github.com/kubernetes/kube-state-metrics/blob/main/docs/developer/cli-arguments.md (--metric-labels-allowlist)
 * [cadvisor]: https://github.com/google/cadvisor/blob/master/docs/storage/prometheus.md
 * [dcgm]: https://docs.nvidia.com/datacenter/cloud-native/gpu-telemetry/latest/dcgm-exporter.html (DCGM_EXPORTER_KUBERNETES=true adds pod, namespace, container)
 * [knative]: https://knative.dev/docs/serving/services/service-metrics/ (queue proxy metrics)
 *
 * Tying pods to models: KServe labels every predictor pod `serving.kserve.io/inferenceservice=<name>`
 * and `component=predictor`. kube-state-metrics 2.x exports pod labels only when allowed:
 * `--metric-labels-allowlist=pods=[serving.kserve.io/inferenceservice,component]`; it writes a
 * Kubernetes label as `label_` + the name with every character outside [a-zA-Z0-9_] turned into `_`.
 * The DCGM exporter's own `namespace` and `pod` labels clash with the scrape target's; scrape it with
 * `honor_labels: true` (as the GPU operator's ServiceMonitor does) so they keep those names.
 */
import type { Model } from '../model/types.js';

/** One exporter's series as modelslo reads it. */
export interface ExporterMetric {
  name: string;
  exporter: 'kube-state-metrics' | 'cAdvisor' | 'DCGM exporter' | 'Knative queue-proxy';
  type: 'counter' | 'gauge';
}

const ksm = (name: string, type: ExporterMetric['type'] = 'gauge'): ExporterMetric => ({ name, exporter: 'kube-state-metrics', type });

/** The exporter metrics modelslo reads (the table above). */
export const EXPORTER_METRICS = {
  restarts: ksm('kube_pod_container_status_restarts_total', 'counter'),
  lastTerminatedReason: ksm('kube_pod_container_status_last_terminated_reason'),
  waitingReason: ksm('kube_pod_container_status_waiting_reason'),
  podReady: ksm('kube_pod_status_ready'),
  podLabels: ksm('kube_pod_labels'),
  resourceLimits: ksm('kube_pod_container_resource_limits'),
  cpu: { name: 'container_cpu_usage_seconds_total', exporter: 'cAdvisor', type: 'counter' },
  memory: { name: 'container_memory_working_set_bytes', exporter: 'cAdvisor', type: 'gauge' },
  gpuUtil: { name: 'DCGM_FI_DEV_GPU_UTIL', exporter: 'DCGM exporter', type: 'gauge' },
  gpuMemoryUsed: { name: 'DCGM_FI_DEV_FB_USED', exporter: 'DCGM exporter', type: 'gauge' },
  queueDepth: { name: 'revision_queue_depth', exporter: 'Knative queue-proxy', type: 'gauge' },
} as const satisfies Record<string, ExporterMetric>;

/** KServe's pod label naming the InferenceService, and its name on kube_pod_labels. */
export const ISVC_POD_LABEL = 'serving.kserve.io/inferenceservice';
export const ISVC_KSM_LABEL = 'label_serving_kserve_io_inferenceservice';
/** KServe's pod label naming the component (predictor, transformer, explainer). */
export const COMPONENT_KSM_LABEL = 'label_component';

/** The kube-state-metrics flag that makes kube_pod_labels carry the labels above. */
export const KSM_ALLOWLIST_FLAG = '--metric-labels-allowlist=pods=[serving.kserve.io/inferenceservice,component]';

/** The kube_pod_labels selector of a model's predictor pods. */
export function modelPodsSelector(model: Model): string {
  return `${EXPORTER_METRICS.podLabels.name}{namespace="${model.namespace}",${ISVC_KSM_LABEL}="${model.name}",${COMPONENT_KSM_LABEL}="predictor"}`;
}

/**
 * A per-pod expression restricted to a model's predictor pods and labelled `namespace` and `model`,
 * so its series route and group like the sidecar's: `expr` must keep `namespace` and `pod` labels.
 * The join: `expr * on (namespace, pod) group_left () (kube_pod_labels{…} == 1)`, kube_pod_labels
 * being 1 per pod; label_replace then writes the InferenceService's name into `model`.
 */
export function forModelPods(expr: string, model: Model): string {
  const joined = `(${expr}) * on (namespace, pod) group_left (${ISVC_KSM_LABEL}) (${modelPodsSelector(model)} == 1)`;
  return `label_replace(${joined}, "model", "$1", "${ISVC_KSM_LABEL}", "(.+)")`;
}
