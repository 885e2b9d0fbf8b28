/** OTLP/HTTP JSON (`application/json`) trace requests → SpanRecords (pure; opentelemetry-proto JSON mapping). */
import { isObject, parseJsonLimited } from './json-limits.js';
import { MAX_SPANS, toSpanRecord, type AttrValue } from './otlp-spans.js';
import { InvalidInput, type Decoded, type SpanRecord } from './types.js';

function list(v: unknown, at: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidInput(`${at}: must be an array`);
  return v;
}

function obj(v: unknown, at: string): Record<string, unknown> {
  if (!isObject(v)) throw new InvalidInput(`${at}: must be an object`);
  return v;
}

function anyValue(v: unknown, at: string): AttrValue {
  if (v === undefined || v === null) return null;
  const o = obj(v, at);
  if ('stringValue' in o) return String(o.stringValue);
  if ('boolValue' in o) return o.boolValue === true;
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('bytesValue' in o) return String(o.bytesValue);
  if ('arrayValue' in o) return list(obj(o.arrayValue, `${at}.arrayValue`).values, `${at}.arrayValue.values`).map((x, i) => anyValue(x, `${at}.arrayValue.values[${i}]`));
  if ('kvlistValue' in o) return attributes(obj(o.kvlistValue, `${at}.kvlistValue`).values, `${at}.kvlistValue.values`);
  return null;
}

function attributes(v: unknown, at: string): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  list(v, at).forEach((kv, i) => {
    const o = obj(kv, `${at}[${i}]`);
    if (typeof o.key !== 'string') throw new InvalidInput(`${at}[${i}].key: must be a string`);
    out[o.key] = anyValue(o.value, `${at}[${i}].value`);
  });
  return out;
}

function nanos(v: unknown, at: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'string' && /^[0-9]{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (isObject(v) && typeof v.low === 'number' && typeof v.high === 'number') return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  throw new InvalidInput(`${at}: must be nanoseconds since the epoch (a decimal string or integer)`);
}

function hexId(v: unknown, at: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new InvalidInput(`${at}: must be a hex string`);
  return v.toLowerCase();
}

/** Decodes an ExportTraceServiceRequest in OTLP JSON. */
export function decodeOtlpJson(body: Buffer, maxDepth: number): Decoded<SpanRecord[]> {
  try {
    const root = obj(parseJsonLimited(body, maxDepth, 'body'), 'body');
    const spans: SpanRecord[] = [];
    list(root.resourceSpans, 'resourceSpans').forEach((rs, r) => {
      const rAt = `resourceSpans[${r}]`;
      const rso = obj(rs, rAt);
      const resource = rso.resource === undefined ? {} : attributes(obj(rso.resource, `${rAt}.resource`).attributes, `${rAt}.resource.attributes`);
      list(rso.scopeSpans, `${rAt}.scopeSpans`).forEach((ss, s) => {
        const sAt = `${rAt}.scopeSpans[${s}]`;
        list(obj(ss, sAt).spans, `${sAt}.spans`).forEach((sp, k) => {
          const at = `${sAt}.spans[${k}]`;
          const o = obj(sp, at);
          if (spans.length >= MAX_SPANS) throw new InvalidInput(`${at}: more than ${MAX_SPANS} spans in one request`);
          const status = o.status === undefined ? {} : obj(o.status, `${at}.status`);
          const code = status.code === undefined ? 0 : Number(status.code);
          spans.push(
            toSpanRecord(
              {
                traceId: hexId(o.traceId, `${at}.traceId`),
                spanId: hexId(o.spanId, `${at}.spanId`),
                parentSpanId: hexId(o.parentSpanId, `${at}.parentSpanId`),
                name: typeof o.name === 'string' ? o.name : '',
                startNs: nanos(o.startTimeUnixNano, `${at}.startTimeUnixNano`),
                endNs: nanos(o.endTimeUnixNano, `${at}.endTimeUnixNano`),
                statusCode: Number.isInteger(code) ? code : -1,
                attributes: attributes(o.attributes, `${at}.attributes`),
              },
              resource,
              at,
            ),
          );
        });
      });
    });
    return { ok: true, value: spans };
  } catch (err) {
    if (err instanceof InvalidInput) return { ok: false, error: err.message };
    throw err;
  }
}
