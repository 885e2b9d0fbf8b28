/**
 * Synthetic history of the other exporters the dashboards read, named and labelled exactly as they
 * export them (src/rules/exporter-metrics.ts cites each one's docs): kube-state-metrics (pod labels
 * with the KServe labels allowed, readiness, restarts, limits, GPU requests), cAdvisor through the
 * kubelet (per container, plus the pod cgroup `container=""` and the pause container `POD` series
 * that queries must leave out), the DCGM exporter (scraped with honor_labels, so its own namespace,
 * pod and container), and Knative's queue-proxy. Pods of other components and models are there too,
 * so a wrong join shows. Deterministic; one sample a minute, like synthetic-sidecar.ts.
 */
import type { Series } from './synthetic-sidecar.js';

/** One predictor (or other) pod of the history. */
export interface SyntheticPod {
  namespace: string;
  isvc: string;
  component: 'predictor' | 'transformer';
  pod: string;
  revision: string;
  /** Minutes before the end when the pod appeared (absent: all along). */
  since?: number;
  gpus: number;
}

/** Families of these series for the OpenMetrics text (TSDB blocks keep no types: Knative's counter is `unknown` because its name lacks `_total`). */
export const EXPORTER_FAMILIES: Array<{ family: string; type: string; names: (n: string) => boolean }> = [
  ...['kube_pod_labels', 'kube_pod_status_ready', 'kube_pod_container_resource_limits', 'kube_pod_container_resource_requests', 'container_memory_working_set_bytes', 'DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_FB_USED', 'revision_queue_depth'].map((f) => ({
    family: f,
    type: 'gauge',
    names: (n: string) => n === f,
  })),
  { family: 'kube_pod_container_status_restarts', type: 'counter', names: (n) => n === 'kube_pod_container_status_restarts_total' },
  { family: 'container_cpu_usage_seconds', type: 'counter', names: (n) => n === 'container_cpu_usage_seconds_total' },
  { family: 'revision_app_request_count', type: 'unknown', names: (n) => n === 'revision_app_request_count' },
];

/** The pods: fraud-detector's two primary and one canary predictor and its transformer; query-ranker's GPU predictor (KServe < 0.9 naming). */
export function syntheticPods(): SyntheticPod[] {
  const fd = (rev: string, hash: string, id: string, since?: number): SyntheticPod => ({
    namespace: 'payments', isvc: 'fraud-detector', component: 'predictor', revision: `fraud-detector-predictor-${rev}`,
    pod: `fraud-detector-predictor-${rev}-deployment-${hash}-${id}`, gpus: 1, ...(since !== undefined ? { since } : {}),
  });
  return [
    fd('00001', '6d8f7c9b5', 'x2vqk'),
    fd('00001', '6d8f7c9b5', 'm7rtz'),
    fd('00002', '84c7d5f6b', 'p4wnh', 40),
    { namespace: 'payments', isvc: 'fraud-detector', component: 'transformer', revision: 'fraud-detector-transformer-00001', pod: 'fraud-detector-transformer-00001-deployment-5b9c8d7f4-kq8sd', gpus: 0 },
    { namespace: 'search', isvc: 'query-ranker', component: 'predictor', revision: 'query-ranker-predictor-default-00003', pod: 'query-ranker-predictor-default-00003-deployment-7f6d5c4b3-h2j9l', gpus: 2 },
  ];
}

/** The pod restarted (its kserve-container OOM-killed) and not ready for a minute, minutes before the end. */
export const RESTART = { pod: 'fraud-detector-predictor-00001-deployment-6d8f7c9b5-m7rtz', ago: 30 };

/** Memory limit of every kserve-container, bytes. */
export const MEMORY_LIMIT = 4 * 1024 ** 3;

/** The exporters' history ending at `endMs` (whole seconds), `minutes` long. */
export function exporterHistory(endMs: number, minutes: number, pods = syntheticPods()): Series[] {
  const out = new Map<string, Series>();
  const put = (name: string, labels: Record<string, string>, t: number, v: number, counter = false): void => {
    const key = `${name}${JSON.stringify(labels)}`;
    let s = out.get(key);
    if (s === undefined) out.set(key, (s = { name, labels, samples: [] }));
    s.samples.push({ t, v: counter ? (s.samples[s.samples.length - 1]?.v ?? 0) + v : v });
  };
  const ksm = { job: 'kube-state-metrics', instance: '10.0.1.5:8080' };
  const kubelet = { job: 'kubelet', metrics_path: '/metrics/cadvisor', instance: '10.0.2.11:10250' };
  const start = endMs - (minutes - 1) * 60_000;
  pods.forEach((p, pi) => {
    const uid = `0c1d2e3f-${String(pi).padStart(4, '0')}-4a5b-8c9d-00000000000${pi}`;
    const pod = { namespace: p.namespace, pod: p.pod, uid };
    const containers = p.component === 'predictor' ? ['kserve-container', 'queue-proxy', 'modelslo-sidecar'] : ['kserve-container', 'queue-proxy'];
    for (let i = 0; i < minutes; i++) {
      const t = start + i * 60_000;
      const ago = minutes - 1 - i;
      if (p.since !== undefined && ago > p.since) continue;
      const down = p.pod === RESTART.pod && ago === RESTART.ago;
      put('kube_pod_labels', { ...ksm, ...pod, label_serving_kserve_io_inferenceservice: p.isvc, label_component: p.component }, t, 1);
      for (const condition of ['true', 'false', 'unknown']) put('kube_pod_status_ready', { ...ksm, ...pod, condition }, t, condition === (down ? 'false' : 'true') ? 1 : 0);
      for (const container of containers) {
        const c = { ...pod, container };
        put('kube_pod_container_status_restarts_total', { ...ksm, ...c }, t, down && container === 'kserve-container' ? 1 : 0, true);
        put('kube_pod_container_resource_limits', { ...ksm, ...c, node: 'gpu-node-1', resource: 'memory', unit: 'byte' }, t, container === 'kserve-container' ? MEMORY_LIMIT : 256 * 1024 ** 2);
        if (container === 'kserve-container' && p.gpus > 0) put('kube_pod_container_resource_requests', { ...ksm, ...c, node: 'gpu-node-1', resource: 'nvidia_com_gpu', unit: 'integer' }, t, p.gpus);
        const cg = { ...kubelet, namespace: p.namespace, pod: p.pod, container, id: `/kubepods/burstable/pod${uid}/${container}`, image: `registry.example.com/${container}:1`, name: `k8s_${container}_${p.pod}` };
        const cores = container === 'kserve-container' ? 1.5 + 0.01 * (i % 10) : 0.05;
        put('container_cpu_usage_seconds_total', { ...cg, cpu: 'total' }, t, cores * 60, true);
        put('container_memory_working_set_bytes', cg, t, container === 'kserve-container' ? 2.5 * 1024 ** 3 + 1024 * 1024 * (i % 7) : 80 * 1024 ** 2);
      }
      // The pod's own cgroup (sum of its containers) and the pause container: counted twice if kept.
      put('container_cpu_usage_seconds_total', { ...kubelet, namespace: p.namespace, pod: p.pod, container: '', id: `/kubepods/burstable/pod${uid}`, cpu: 'total' }, t, 1.6 * 60, true);
      put('container_memory_working_set_bytes', { ...kubelet, namespace: p.namespace, pod: p.pod, container: '', id: `/kubepods/burstable/pod${uid}` }, t, 2.7 * 1024 ** 3);
      put('container_memory_working_set_bytes', { ...kubelet, namespace: p.namespace, pod: p.pod, container: 'POD', id: `/kubepods/burstable/pod${uid}/pause`, image: 'registry.k8s.io/pause:3.9' }, t, 1024 ** 2);
      for (let gpu = 0; gpu < p.gpus; gpu++) {
        const dcgm = { job: 'dcgm-exporter', instance: '10.0.2.11:9400', gpu: String(gpu), UUID: `GPU-5f3e2d1c-${pi}${gpu}aa-bbcc-ddee-ff0011223344`, device: `nvidia${gpu}`, modelName: 'NVIDIA A100-SXM4-40GB', Hostname: 'gpu-node-1', DCGM_FI_DRIVER_VERSION: '535.104.05', container: 'kserve-container', namespace: p.namespace, pod: p.pod };
        put('DCGM_FI_DEV_GPU_UTIL', dcgm, t, down ? 0 : 40 + ((i * 7 + gpu * 13) % 50));
        put('DCGM_FI_DEV_FB_USED', dcgm, t, down ? 0 : 18_000 + 10 * (i % 30));
      }
      if (p.component === 'predictor') {
        // Knative names the configuration <isvc>-predictor (<isvc>-predictor-default before KServe 0.9).
        const configuration = p.revision.replace(/-[0-9]{5}$/, '');
        const kn = { job: 'queue-proxy', instance: `${p.pod}:9091`, namespace_name: p.namespace, service_name: configuration, configuration_name: configuration, revision_name: p.revision, pod_name: p.pod, container_name: 'queue-proxy' };
        put('revision_queue_depth', kn, t, 2 + (i % 5));
        if (p.isvc === 'query-ranker') {
          put('revision_app_request_count', { ...kn, response_code: '200', response_code_class: '2xx' }, t, 1200 + 100 * (i % 3), true);
          put('revision_app_request_count', { ...kn, response_code: '503', response_code_class: '5xx' }, t, 2, true);
        }
      }
    }
  });
  return [...out.values()];
}
