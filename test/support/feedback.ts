/** Fixtures of the ground-truth tests: a config with a categorical and a numeric model, their predictions as events, and labels. */
import { sidecarEvent } from './events.js';

/** Two models: payments/fraud-detector (categorical `fraud_label`, a correctness SLO) and payments/amount-estimator (numeric `estimate`, tolerance 0.5). */
export function feedbackConfigText(daemonYaml = ''): string {
  return [
    'alerting:',
    '  oncall_receiver: oncall',
    '  receivers: [{ name: oncall }, { name: fraud-ml }]',
    'models:',
    '  - name: fraud-detector',
    '    namespace: payments',
    '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
    '    slos:',
    '      - { name: availability, objective: 99.9, window: 28d, sli: { availability: {} } }',
    '      - { name: correctness, objective: 99, window: 28d, sli: { correctness: {} } }',
    '    correctness: { prediction: { path: fraud_label, kind: categorical } }',
    '  - name: amount-estimator',
    '    namespace: payments',
    '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
    '    slos:',
    '      - { name: availability, objective: 99.9, window: 28d, sli: { availability: {} } }',
    '    correctness: { prediction: { path: estimate, kind: numeric }, tolerance: 0.5 }',
    ...(daemonYaml === '' ? [] : ['daemon:', ...daemonYaml.split('\n').map((l) => `  ${l}`)]),
    '',
  ].join('\n');
}

/** The request and response events of one prediction of `model` with output `value`, of `revision`. */
export function predictionEvents(model: 'fraud-detector' | 'amount-estimator', id: string, value: string | number, opts: { revision?: string; timeMs?: number } = {}): Array<Record<string, unknown>> {
  const output = typeof value === 'string' ? { name: 'fraud_label', shape: [1], datatype: 'BYTES', data: [value] } : { name: 'estimate', shape: [1], datatype: 'FP64', data: [value] };
  const revision = { modelslorevision: opts.revision ?? `${model}-predictor-00001` };
  const at = opts.timeMs === undefined ? {} : { timeMs: opts.timeMs };
  return [
    { ...sidecarEvent('request', id, { model, ...at }), ...revision },
    { ...sidecarEvent('response', id, { model, ...at, data: { model_name: model, outputs: [output] } }), ...revision },
  ];
}

/** A label item of the feedback API. */
export function label(model: string, id: string, value: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { namespace: 'payments', model, id, label: value, ...extra };
}

/** Content type of feedback requests. */
export const JSON_TYPE = { 'content-type': 'application/json' };
