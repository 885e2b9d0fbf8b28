/**
 * CloudEvents 1.0 over HTTP (binary mode, structured mode and JSON batches) decoded into
 * InferenceEvents (pure). Wire-compatible with KServe's payload logger (pkg/logger/worker.go:
 * `ce-type` org.kubeflow.serving.inference.request|response and the extensions
 * inferenceservicename, namespace, component, endpoint, metadata) and with modelslo's sidecar
 * (modelslo* extensions). Error messages name the event and attribute: `events[3].ce-id: missing`.
 */
import type { CloudEventV1 } from 'cloudevents';
import { isObject, parseJsonLimited } from './json-limits.js';
import { detectProtocol, requestFeatures, responsePredictions } from './kserve-payload.js';
import { CE_REQUEST, CE_RESPONSE, InvalidInput, type DecodeLimits, type Decoded, type InferenceEvent, type Protocol } from './types.js';

/** Attribute lookup: a header (binary mode) or a JSON member (structured mode). */
export type Attr = (name: string) => unknown;

const MAX_ATTRIBUTE_CHARS = 1024;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/**
 * How far ahead of the daemon's clock a `ce-time` may be. Later times are clamped to the time of
 * receipt: retention ages records by time, and a far-future one would never age out.
 */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

function str(get: Attr, name: string, at: string, required: boolean): string | null {
  const v = get(name);
  if (v === undefined || v === null) {
    if (required) throw new InvalidInput(`${at}ce-${name}: missing`);
    return null;
  }
  if (typeof v !== 'string') throw new InvalidInput(`${at}ce-${name}: must be a string, got ${typeof v}`);
  if (required && v === '') throw new InvalidInput(`${at}ce-${name}: must not be empty`);
  if (v.length > MAX_ATTRIBUTE_CHARS) throw new InvalidInput(`${at}ce-${name}: longer than ${MAX_ATTRIBUTE_CHARS} characters`);
  return v;
}

/** A number attribute: a JSON number (structured) or its text (binary headers). */
function num(get: Attr, name: string, at: string, check: (n: number) => boolean, expect: string): number | null {
  const v = get(name);
  if (v === undefined || v === null) return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || !check(n)) throw new InvalidInput(`${at}ce-${name}: must be ${expect}, got ${JSON.stringify(v)}`);
  return n;
}

function bool(get: Attr, name: string, at: string): boolean {
  const v = get(name);
  if (v === undefined || v === null || v === false || v === 'false') return false;
  if (v === true || v === 'true') return true;
  throw new InvalidInput(`${at}ce-${name}: must be true or false, got ${JSON.stringify(v)}`);
}

/** The body of one event, before decoding. */
export interface Body {
  json?: unknown;
  bytes?: Buffer;
}

function payloadOf(body: Body, at: string, limits: DecodeLimits): { payload: string | Buffer | null; json: unknown } {
  if (body.bytes !== undefined) {
    if (body.bytes.length > limits.eventPayloadBytes) throw new InvalidInput(`${at}data: ${body.bytes.length} bytes, over the per-event limit of ${limits.eventPayloadBytes}`);
    return { payload: body.bytes, json: undefined };
  }
  if (body.json === undefined) return { payload: null, json: undefined };
  const text = JSON.stringify(body.json);
  if (text.length > limits.eventPayloadBytes) throw new InvalidInput(`${at}data: ${text.length} bytes, over the per-event limit of ${limits.eventPayloadBytes}`);
  return { payload: text, json: body.json };
}

/** Builds an InferenceEvent from attributes and body; throws InvalidInput naming `at` + the field. */
export function toEvent(get: Attr, body: Body, at: string, limits: DecodeLimits, nowMs: number): InferenceEvent {
  const specversion = get('specversion');
  if (specversion === undefined) throw new InvalidInput(`${at}ce-specversion: missing`);
  if (specversion !== '1.0') throw new InvalidInput(`${at}ce-specversion: must be "1.0", got ${JSON.stringify(specversion)}`);
  const id = str(get, 'id', at, true) ?? '';
  const source = str(get, 'source', at, true) ?? '';
  const type = str(get, 'type', at, true) ?? '';
  if (type !== CE_REQUEST && type !== CE_RESPONSE) throw new InvalidInput(`${at}ce-type: must be ${CE_REQUEST} or ${CE_RESPONSE}, got "${type}"`);
  const time = str(get, 'time', at, false);
  let timeMs = nowMs;
  if (time !== null) {
    timeMs = RFC3339.test(time) ? Date.parse(time) : Number.NaN;
    if (!Number.isFinite(timeMs)) throw new InvalidInput(`${at}ce-time: must be an RFC 3339 timestamp, got "${time}"`);
    if (timeMs > nowMs + MAX_FUTURE_SKEW_MS) timeMs = nowMs;
  }
  const model = str(get, 'inferenceservicename', at, true) ?? '';
  const namespace = str(get, 'namespace', at, true) ?? '';
  const hint = str(get, 'modelsloprotocol', at, false);
  if (hint !== null && hint !== 'v1' && hint !== 'v2' && hint !== 'other') throw new InvalidInput(`${at}ce-modelsloprotocol: must be v1, v2 or other, got "${hint}"`);
  const status = num(get, 'modelslostatus', at, (n) => Number.isInteger(n) && n >= 100 && n <= 599, 'an HTTP status (integer 100–599)');
  const latencyMs = num(get, 'modelslolatencyms', at, (n) => n >= 0, 'a non-negative number of milliseconds');
  const truncated = bool(get, 'modelslotruncated', at);
  const kind = type === CE_REQUEST ? 'request' : 'response';
  const { payload, json } = payloadOf(body, at, limits);
  const protocol: Protocol = json === undefined ? hint ?? 'other' : detectProtocol(json, hint);
  let rows: unknown[] | null = null;
  let decodeError: string | null = null;
  if (json !== undefined && !truncated) {
    // A body that is not the protocol's shape is still the exchange: stored raw, with the reason.
    try {
      if (kind === 'request') rows = requestFeatures(json, protocol, 'data');
      else if (status === null || (status >= 200 && status < 300)) rows = responsePredictions(json, protocol, 'data');
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      decodeError = err.message;
    }
  }
  return {
    source,
    id,
    type,
    kind,
    timeMs,
    model,
    namespace,
    component: str(get, 'component', at, false) ?? 'predictor',
    endpoint: str(get, 'endpoint', at, false) ?? 'default',
    revision: str(get, 'modelslorevision', at, false),
    protocol,
    path: str(get, 'modelslopath', at, false),
    status,
    latencyMs,
    truncated,
    redacted: str(get, 'modelsloredacted', at, false),
    contentType: str(get, 'datacontenttype', at, false),
    payload,
    decoded: rows === null ? null : JSON.stringify(rows),
    decodeError,
    metadata: str(get, 'metadata', at, false),
  };
}

function isJsonType(contentType: string | null): boolean {
  return contentType === null || /^application\/([a-z0-9.+-]*\+)?json\b/i.test(contentType);
}

/** Runs a decoder, turning its InvalidInput into a `Decoded` failure. */
export function decoding<T>(fn: () => T): Decoded<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof InvalidInput) return { ok: false, error: err.message };
    throw err;
  }
}

/** Binary mode: attributes in `ce-*` headers (lower-cased keys), the body is the payload. */
export function decodeBinary(headers: Record<string, string | string[] | undefined>, body: Buffer, limits: DecodeLimits, nowMs = Date.now()): Decoded<InferenceEvent[]> {
  return decoding(() => {
    const get: Attr = (name) => {
      const v = headers[`ce-${name}`];
      return Array.isArray(v) ? v.join(',') : v;
    };
    const contentType = (headers['content-type'] as string | undefined) ?? null;
    const withType: Attr = (name) => (name === 'datacontenttype' ? contentType : get(name));
    let parsed: Body = {};
    if (body.length > 0) parsed = isJsonType(contentType) ? { json: parseJsonLimited(body, limits.jsonDepth, 'body') } : { bytes: body };
    return [toEvent(withType, parsed, '', limits, nowMs)];
  });
}

function structured(obj: unknown, at: string, limits: DecodeLimits, nowMs: number): InferenceEvent {
  if (!isObject(obj)) throw new InvalidInput(`${at.replace(/\.$/, '') || 'event'}: must be a JSON object`);
  const ev = obj as Partial<CloudEventV1<unknown>> & Record<string, unknown>;
  if (ev.data !== undefined && ev.data_base64 !== undefined) throw new InvalidInput(`${at}data: both data and data_base64 are set`);
  let body: Body = {};
  if (ev.data_base64 !== undefined) {
    if (typeof ev.data_base64 !== 'string' || !BASE64.test(ev.data_base64) || ev.data_base64.length % 4 === 1) throw new InvalidInput(`${at}data_base64: not valid base64`);
    body = { bytes: Buffer.from(ev.data_base64, 'base64') };
  } else if (ev.data !== undefined && ev.data !== null) body = { json: ev.data };
  return toEvent((name) => ev[name], body, at, limits, nowMs);
}

/** Structured mode: one JSON CloudEvent (`application/cloudevents+json`). */
export function decodeStructured(body: Buffer, limits: DecodeLimits, nowMs = Date.now()): Decoded<InferenceEvent[]> {
  return decoding(() => [structured(parseJsonLimited(body, limits.jsonDepth + 1, 'body'), 'event.', limits, nowMs)]);
}

/** One event of a batch that was not taken, by its index in the batch, and why. */
export interface Refusal {
  index: number;
  error: string;
}

/** A decoded batch: the events taken, and the refused ones by index. */
export interface BatchDecode {
  events: InferenceEvent[];
  refused: Refusal[];
}

/**
 * A batch (`application/cloudevents-batch+json`): a JSON array of structured events, each taken or
 * refused on its own (one bad event never refuses its neighbours). Fails whole only when the body
 * is not a non-empty JSON array. A generator: it yields after every `slice` events so that a caller
 * can let other work run between slices of a large batch; `decodeBatch` runs it to the end.
 */
export function* decodeBatchSteps(body: Buffer, limits: DecodeLimits, nowMs = Date.now(), slice = 16): Generator<void, Decoded<BatchDecode>> {
  const list = decoding(() => {
    const parsed = parseJsonLimited(body, limits.jsonDepth + 2, 'body');
    if (!Array.isArray(parsed) || parsed.length === 0) throw new InvalidInput('events: must be a non-empty JSON array of CloudEvents');
    return parsed as unknown[];
  });
  if (!list.ok) return list;
  const out: BatchDecode = { events: [], refused: [] };
  for (let index = 0; index < list.value.length; index++) {
    if (index > 0 && index % slice === 0) yield;
    const e = list.value[index];
    const one = decoding(() => structured(e, `events[${index}].`, limits, nowMs));
    if (one.ok) out.events.push(one.value);
    else out.refused.push({ index, error: one.error });
  }
  return { ok: true, value: out };
}

/** A whole batch decoded at once (see decodeBatchSteps). */
export function decodeBatch(body: Buffer, limits: DecodeLimits, nowMs = Date.now()): Decoded<BatchDecode> {
  const steps = decodeBatchSteps(body, limits, nowMs);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}
