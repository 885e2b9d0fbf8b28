/**
 * The demo's config file: the example config's fraud-detector (its SLOs, owners and drift checks),
 * with the receivers pointed at the demo's webhooks, Alertmanager, the daemon and Prometheus on the
 * ports the demo chose, and canary analysis judged every second instead of every minute.
 */
import { fileURLToPath } from 'node:url';

/** The namespace and name of the demo's InferenceService. */
export const DEMO_NS = 'payments';
export const DEMO_MODEL = 'fraud-detector';
/** The owners' team and receiver. */
export const DEMO_OWNER = 'fraud-ml';

/** The drift reference shipped with the package (examples/ sits two levels above src/demo and dist/demo). */
export const DEMO_REFERENCE = fileURLToPath(new URL('../../examples/data/fraud-reference.jsonl', import.meta.url));

/** Where the demo's parts listen and keep their files. */
export interface DemoPlaces {
  inboxUrl: string;
  alertmanagerUrl: string;
  daemonListen: string;
  prometheusUrl?: string;
  db: string;
  tokenFile: string;
}

/** The config text. */
export function demoConfigText(p: DemoPlaces): string {
  return [
    '# modelslo demo config (written by `modelslo demo`): examples/modelslo.yaml\'s fraud-detector on 127.0.0.1',
    'version: 1',
    'defaults:',
    '  runbook_url: https://github.com/modelslo/modelslo/blob/main/docs/runbooks.md#{slo}',
    'alerting:',
    `  alertmanager_url: ${p.alertmanagerUrl}`,
    '  oncall_receiver: oncall',
    '  receivers:',
    `    - { name: oncall, webhook_configs: [{ url: "${p.inboxUrl}/oncall", send_resolved: true }] }`,
    `    - { name: ${DEMO_OWNER}, webhook_configs: [{ url: "${p.inboxUrl}/${DEMO_OWNER}", send_resolved: true }] }`,
    `  journal: { credentials_file: ${JSON.stringify(p.tokenFile)} }`,
    'daemon:',
    `  listen: ${p.daemonListen}`,
    `  db: ${JSON.stringify(p.db)}`,
    ...(p.prometheusUrl !== undefined ? [`  prometheus_url: ${p.prometheusUrl}`] : []),
    'models:',
    `  - name: ${DEMO_MODEL}`,
    `    namespace: ${DEMO_NS}`,
    `    owners: [{ team: ${DEMO_OWNER}, email: fraud-ml@example.com, receiver: ${DEMO_OWNER} }]`,
    '    slos:',
    '      - { name: availability, objective: 99.9, window: 28d, description: Predictions answered without a server error., sli: { availability: {} } }',
    '      - { name: latency, objective: 99, window: 28d, description: Predictions answered within 200 ms., sli: { latency: { threshold_ms: 200 } } }',
    '    drift:',
    `      reference: { file: ${JSON.stringify(DEMO_REFERENCE)} }`,
    '      window: 1h',
    '      schedule: "*/5 * * * *"',
    '      features: [{ name: amount, kind: numeric }, { name: country, kind: categorical }]',
    '      prediction: { path: "outputs[0].data[0]", kind: numeric }',
    '    canary: { interval: 1s, window: 5m, min_requests: 100, failure_limit: 2, max_error_rate_delta: 0.01, max_latency_p99_ratio: 1.5, max_prediction_drift: 0.2, action: rollback }',
    '',
  ].join('\n');
}
