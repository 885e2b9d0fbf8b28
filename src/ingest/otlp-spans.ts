/** Shared by the OTLP JSON and protobuf decoders: a decoded span → SpanRecord (pure). */
import { InvalidInput, type SpanRecord } from './types.js';

/** An attribute value, flattened to JSON. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };

/** A span as both wire formats decode it. */
export interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  startNs: bigint;
  endNs: bigint;
  statusCode: number;
  attributes: Record<string, AttrValue>;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** Most spans one request may carry (a bound on work and on the transaction). */
export const MAX_SPANS = 50_000;

function text(v: AttrValue | undefined): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return null;
}

/** Validates a raw span and attributes it (model, namespace, request id, HTTP status). */
export function toSpanRecord(raw: RawSpan, resource: Record<string, AttrValue>, at: string): SpanRecord {
  if (!HEX32.test(raw.traceId) || raw.traceId === '0'.repeat(32)) throw new InvalidInput(`${at}.traceId: must be 16 bytes, not all zero (32 hex digits)`);
  if (!HEX16.test(raw.spanId) || raw.spanId === '0'.repeat(16)) throw new InvalidInput(`${at}.spanId: must be 8 bytes, not all zero (16 hex digits)`);
  if (raw.parentSpanId !== '' && !HEX16.test(raw.parentSpanId)) throw new InvalidInput(`${at}.parentSpanId: must be empty or 8 bytes (16 hex digits)`);
  if (raw.startNs <= 0n) throw new InvalidInput(`${at}.startTimeUnixNano: missing or zero`);
  if (raw.endNs < raw.startNs) throw new InvalidInput(`${at}.endTimeUnixNano: before startTimeUnixNano`);
  if (raw.statusCode < 0 || raw.statusCode > 2) throw new InvalidInput(`${at}.status.code: must be 0, 1 or 2`);
  const a = raw.attributes;
  const http = Number(text(a['http.response.status_code']) ?? text(a['http.status_code']) ?? Number.NaN);
  return {
    traceId: raw.traceId,
    spanId: raw.spanId,
    parentSpanId: raw.parentSpanId === '' ? null : raw.parentSpanId,
    name: raw.name,
    startMs: Number(raw.startNs / 1_000_000n),
    durationMs: Number(raw.endNs - raw.startNs) / 1e6,
    statusCode: raw.statusCode,
    httpStatus: Number.isInteger(http) ? http : null,
    model: text(a['modelslo.model']),
    namespace: text(a['modelslo.namespace']),
    requestId: text(a['modelslo.request_id']),
    serviceName: text(resource['service.name']),
    attributes: JSON.stringify({ span: a, resource }),
  };
}
