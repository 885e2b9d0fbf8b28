/** Factories of CloudEvents as KServe's payload logger and modelslo's sidecar send them. */
import { CE_REQUEST, CE_RESPONSE } from '../../src/ingest/types.js';

/** Headers of one binary-mode event exactly as KServe's logger sends them (sdk-go, binary encoding, WithTimeNow). */
export function kserveHeaders(kind: 'request' | 'response', id: string, opts: { model?: string; namespace?: string; endpoint?: string; source?: string } = {}): Record<string, string> {
  return {
    'Ce-Specversion': '1.0',
    'Ce-Id': id,
    'Ce-Source': opts.source ?? 'http://localhost:9081/',
    'Ce-Type': kind === 'request' ? CE_REQUEST : CE_RESPONSE,
    'Ce-Time': new Date().toISOString(),
    'Ce-Inferenceservicename': opts.model ?? 'fraud-detector',
    'Ce-Namespace': opts.namespace ?? 'payments',
    'Ce-Component': 'predictor',
    'Ce-Endpoint': opts.endpoint ?? 'default',
    'Ce-Metadata': '{}',
    'Content-Type': 'application/json',
  };
}

/** One structured-mode event as the sidecar puts it in a batch. */
export function sidecarEvent(kind: 'request' | 'response', id: string, opts: { status?: number; latencyMs?: number; data?: unknown; timeMs?: number; model?: string } = {}): Record<string, unknown> {
  const model = opts.model ?? 'fraud-detector';
  return {
    specversion: '1.0',
    id,
    source: `http://${model}-predictor.payments/modelslo-sidecar`,
    type: kind === 'request' ? CE_REQUEST : CE_RESPONSE,
    time: new Date(opts.timeMs ?? Date.now()).toISOString(),
    datacontenttype: 'application/json',
    inferenceservicename: model,
    namespace: 'payments',
    component: 'predictor',
    endpoint: 'default',
    modelslorevision: 'fraud-detector-predictor-00001',
    modelsloprotocol: 'v2',
    modelslopath: `/v2/models/${model}/infer`,
    ...(kind === 'response' ? { modelslostatus: opts.status ?? 200, modelslolatencyms: opts.latencyMs ?? 12.5 } : {}),
    data:
      opts.data ??
      (kind === 'request'
        ? { inputs: [{ name: 'amount', shape: [1], datatype: 'FP32', data: [42.5] }, { name: 'country', shape: [1], datatype: 'BYTES', data: ['NL'] }] }
        : { model_name: model, outputs: [{ name: 'fraud_probability', shape: [1], datatype: 'FP32', data: [0.07] }] }),
  };
}

/** Content type of sidecar batches. */
export const BATCH_TYPE = { 'content-type': 'application/cloudevents-batch+json' };
