/** What the ingest edge hands to the store: validated, decoded inference events and spans. */

/** The CloudEvents types of KServe's payload logger (kserve/kserve pkg/logger/worker.go). */
export const CE_REQUEST = 'org.kubeflow.serving.inference.request';
export const CE_RESPONSE = 'org.kubeflow.serving.inference.response';

/** Wire protocol of a captured body: KServe V1 (`instances`), Open Inference Protocol V2 (`inputs`), or other. */
export type Protocol = 'v1' | 'v2' | 'other';

/** One half (request or response) of a prediction, as decoded from a CloudEvent. */
export interface InferenceEvent {
  source: string;
  id: string;
  type: string;
  kind: 'request' | 'response';
  /** Event time (ce-time), else the time it was received; epoch milliseconds. */
  timeMs: number;
  model: string;
  namespace: string;
  component: string;
  endpoint: string;
  revision: string | null;
  protocol: Protocol;
  path: string | null;
  /** HTTP status of a response (the sidecar's `modelslostatus`). */
  status: number | null;
  latencyMs: number | null;
  truncated: boolean;
  redacted: string | null;
  contentType: string | null;
  /** The body: JSON text when it was JSON, else the raw bytes; null when there was none. */
  payload: string | Buffer | null;
  /** Decoded feature rows (request) or prediction values (response), as JSON text. */
  decoded: string | null;
  /** Why the body could not be decoded as its protocol (a malformed V2 body…), stored beside the raw payload. */
  decodeError: string | null;
  /** KServe's `ce-metadata` extension (JSON text), when sent. */
  metadata: string | null;
}

/** One OTLP span, flattened for the store. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  startMs: number;
  durationMs: number;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  httpStatus: number | null;
  model: string | null;
  namespace: string | null;
  requestId: string | null;
  serviceName: string | null;
  /** Span and resource attributes as JSON text. */
  attributes: string;
}

/** A decode outcome: the values, or a message naming the field (`events[3].ce-id: missing`). */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/** Thrown inside decoders and turned into a `Decoded` failure at their entry points. */
export class InvalidInput extends Error {}

/** Limits applied while decoding. */
export interface DecodeLimits {
  eventPayloadBytes: number;
  jsonDepth: number;
}
