/**
 * Raw exchanges → structured-mode CloudEvents 1.0, the types and extensions of KServe's payload
 * logger (`org.kubeflow.serving.inference.request|response`, inferenceservicename, namespace,
 * component, endpoint) plus modelslo's: revision, protocol, path, status, latency, truncated, redacted.
 * Runs off the request path, in the capture worker, for models with redaction rules (the others go
 * in compact capture batches, ingest/capture-batch.ts).
 */
import { captureSource } from '../ingest/capture-batch.js';
import type { RawExchange } from './capture-batch.js';
import { redact, type CompiledRedaction, type Json } from './redact.js';

/** One structured-mode CloudEvent as shipped. */
export interface CaptureEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype?: string;
  inferenceservicename: string;
  namespace: string;
  component: 'predictor';
  endpoint: string;
  modelslorevision: string;
  modelsloprotocol: string;
  modelslopath: string;
  modelslostatus?: number;
  modelslolatencyms?: number;
  modelslotruncated?: boolean;
  modelsloredacted?: string;
  data?: Json;
  data_base64?: string;
}

/** What the builder needs to know about this sidecar and the model's redaction. */
export interface EventContext {
  namespace: string;
  revision: string;
  endpoint: string;
  redactKey: Buffer;
  rulesOf(model: string): readonly CompiledRedaction[];
}

/** Event type names of KServe's logger. */
export const EVENT_TYPES = { request: 'org.kubeflow.serving.inference.request', response: 'org.kubeflow.serving.inference.response' } as const;

const isJsonType = (type: string | undefined): boolean => type !== undefined && /^application\/([\w.+-]*\+)?json\b/i.test(type.trim());

interface Body {
  data?: Json;
  data_base64?: string;
  redacted: string[];
}

/**
 * The event body: parsed JSON (redacted) when the type is JSON and the bytes are complete and valid;
 * otherwise opaque base64. When the model has redaction rules, an opaque body is withheld (it could
 * hold a redacted value we cannot find) and reported as redacted path `*`.
 */
function body(chunks: Buffer[], truncated: boolean, type: string | undefined, rules: readonly CompiledRedaction[], key: Buffer): Body {
  const bytes = chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks);
  if (bytes.length === 0) return { redacted: [] };
  if (!truncated && isJsonType(type)) {
    let parsed: Json | undefined;
    try {
      parsed = JSON.parse(bytes.toString('utf8')) as Json;
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined) return { data: parsed, redacted: rules.length === 0 ? [] : redact(parsed, rules, key) };
  }
  if (rules.length > 0) return { redacted: ['*'] };
  return { data_base64: bytes.toString('base64'), redacted: [] };
}

/** The request and response events of one exchange. */
export function toEvents(x: RawExchange, ctx: EventContext): [CaptureEvent, CaptureEvent] {
  const rules = ctx.rulesOf(x.model);
  const common = {
    specversion: '1.0' as const,
    id: x.id,
    source: captureSource(x.model, ctx.namespace),
    inferenceservicename: x.model,
    namespace: ctx.namespace,
    component: 'predictor' as const,
    endpoint: ctx.endpoint,
    modelslorevision: ctx.revision,
    modelsloprotocol: x.protocol,
    modelslopath: x.path,
  };
  const make = (type: string, time: number, chunks: Buffer[], truncated: boolean, contentType: string | undefined): CaptureEvent => {
    const b = body(chunks, truncated, contentType, rules, ctx.redactKey);
    const event: CaptureEvent = { ...common, type, time: new Date(time).toISOString() };
    if (contentType !== undefined) event.datacontenttype = contentType;
    if (truncated) event.modelslotruncated = true;
    if (b.redacted.length > 0) event.modelsloredacted = b.redacted.join(',');
    if (b.data !== undefined) event.data = b.data;
    if (b.data_base64 !== undefined) event.data_base64 = b.data_base64;
    return event;
  };
  const request = make(EVENT_TYPES.request, x.start, x.requestChunks, x.requestTruncated, x.requestType);
  const response = make(EVENT_TYPES.response, x.start + x.latencyMs, x.responseChunks, x.responseTruncated, x.responseType);
  response.modelslostatus = x.status;
  response.modelslolatencyms = Math.round(x.latencyMs * 1000) / 1000;
  return [request, response];
}
