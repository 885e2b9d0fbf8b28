/**
 * The sidecar's compact capture batch (`application/x-modelslo-capture-batch`), encoded and decoded
 * (pure). It carries the raw bodies of many exchanges with no per-event JSON: one header line of
 * JSON, a newline, then every exchange's request bytes followed by its response bytes, in header
 * order. The sidecar sends it for models without redaction rules (so it never parses their bodies);
 * the daemon turns each exchange into the same request and response InferenceEvents a pair of the
 * sidecar's CloudEvents would give (docs/daemon.md, "Compact capture batches"). KServe's logger is
 * unaffected: it sends CloudEvents, decoded by cloudevents.ts.
 */
import { decoding, toEvent, type Attr, type BatchDecode, type Body, type Refusal } from './cloudevents.js';
import { isObject, parseJsonLimited } from './json-limits.js';
import { CE_REQUEST, CE_RESPONSE, InvalidInput, type DecodeLimits, type Decoded } from './types.js';

/** Media type of a compact capture batch. */
export const CAPTURE_BATCH_TYPE = 'application/x-modelslo-capture-batch';
/** The header's `format` and `version`. */
const FORMAT = 'modelslo-capture';
const VERSION = 1;
const NEWLINE = 0x0a;
/** Longest header line the daemon reads (the exchanges' metadata; bodies are outside it). */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** One exchange's metadata in the header; its bodies follow in the byte section. */
export interface CaptureExchange {
  id: string;
  /** Epoch ms when the request arrived at the sidecar. */
  start: number;
  model: string;
  protocol: 'v1' | 'v2' | 'other';
  path: string;
  status: number;
  latencyMs: number;
  requestType: string | undefined;
  responseType: string | undefined;
  requestBytes: number;
  responseBytes: number;
  requestTruncated: boolean;
  responseTruncated: boolean;
}

/** What every exchange of a batch shares. */
export interface CaptureHeader {
  namespace: string;
  revision: string;
  endpoint: string;
}

/** The CloudEvents `source` of a sidecar's events for a model. */
export function captureSource(model: string, namespace: string): string {
  return `http://${model === '' ? 'unknown' : model}-predictor.${namespace}/modelslo-sidecar`;
}

/** Encodes a batch: `bodies` holds every exchange's request then response bytes, in order. */
export function encodeCaptureBatch(header: CaptureHeader, exchanges: readonly CaptureExchange[], bodies: Uint8Array): Buffer {
  return encodeCaptureBatchText(header, JSON.stringify(exchanges), bodies);
}

/** The same, from the exchanges already serialized as the text of a JSON array (the sidecar builds it as they finish). */
export function encodeCaptureBatchText(header: CaptureHeader, exchanges: string, bodies: Uint8Array): Buffer {
  const head = JSON.stringify({ format: FORMAT, version: VERSION, ...header });
  const line = Buffer.from(`${head.slice(0, -1)},"exchanges":${exchanges}}\n`);
  return Buffer.concat([line, bodies], line.length + bodies.length);
}

/** One event of a batch before validation: its CloudEvents attributes and body. */
export interface CaptureRecord {
  index: number;
  attrs: Record<string, string | number | boolean>;
  body: Body;
}

const isJsonType = (type: string | undefined): boolean => type !== undefined && /^application\/([\w.+-]*\+)?json\b/i.test(type.trim());

function field<T>(x: Record<string, unknown>, name: string, at: string, ok: (v: unknown) => v is T, expect: string): T {
  const v = x[name];
  if (!ok(v)) throw new InvalidInput(`${at}${name}: ${v === undefined ? 'missing' : `must be ${expect}, got ${JSON.stringify(v)?.slice(0, 64)}`}`);
  return v;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isOptString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isStatus = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599;
const isProtocol = (v: unknown): v is CaptureExchange['protocol'] => v === 'v1' || v === 'v2' || v === 'other';

/** A body as the sidecar's CloudEvent would have carried it: parsed JSON when complete and valid, else raw bytes. */
function bodyOf(bytes: Buffer, truncated: boolean, type: string | undefined, limits: DecodeLimits): Body {
  if (bytes.length === 0) return {};
  if (!truncated && isJsonType(type)) {
    try {
      return { json: parseJsonLimited(bytes, limits.jsonDepth, 'data') };
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
    }
  }
  return { bytes };
}

/** The two events of one exchange; throws InvalidInput naming `exchanges[i].field`. */
function exchangeRecords(x: Record<string, unknown>, i: number, head: CaptureHeader, request: Buffer, response: Buffer, limits: DecodeLimits): [CaptureRecord, CaptureRecord] {
  const at = `exchanges[${i}].`;
  const id = field(x, 'id', at, isString, 'a string');
  const start = field(x, 'start', at, isMs, 'epoch milliseconds');
  const model = field(x, 'model', at, isString, 'a string');
  const protocol = field(x, 'protocol', at, isProtocol, 'v1, v2 or other');
  const path = field(x, 'path', at, isString, 'a string');
  const status = field(x, 'status', at, isStatus, 'an HTTP status (integer 100–599)');
  const latencyMs = field(x, 'latencyMs', at, isMs, 'a non-negative number of milliseconds');
  const requestType = field(x, 'requestType', at, isOptString, 'a string');
  const responseType = field(x, 'responseType', at, isOptString, 'a string');
  const requestTruncated = field(x, 'requestTruncated', at, isBool, 'true or false');
  const responseTruncated = field(x, 'responseTruncated', at, isBool, 'true or false');
  const common = { specversion: '1.0', id, source: captureSource(model, head.namespace), inferenceservicename: model, namespace: head.namespace, component: 'predictor', endpoint: head.endpoint, modelslorevision: head.revision, modelsloprotocol: protocol, modelslopath: path };
  const req: CaptureRecord['attrs'] = { ...common, type: CE_REQUEST, time: new Date(start).toISOString() };
  const res: CaptureRecord['attrs'] = { ...common, type: CE_RESPONSE, time: new Date(start + latencyMs).toISOString(), modelslostatus: status, modelslolatencyms: Math.round(latencyMs * 1000) / 1000 };
  if (requestType !== undefined) req.datacontenttype = requestType;
  if (responseType !== undefined) res.datacontenttype = responseType;
  if (requestTruncated) req.modelslotruncated = true;
  if (responseTruncated) res.modelslotruncated = true;
  return [
    { index: 2 * i, attrs: req, body: bodyOf(request, requestTruncated, requestType, limits) },
    { index: 2 * i + 1, attrs: res, body: bodyOf(response, responseTruncated, responseType, limits) },
  ];
}

/** The header line and the byte section, with every exchange's body lengths checked against it. */
function frame(body: Buffer, limits: DecodeLimits): { head: CaptureHeader; exchanges: unknown[]; bytes: Buffer } {
  const nl = body.indexOf(NEWLINE);
  if (nl < 0 || nl > MAX_HEADER_BYTES) throw new InvalidInput(`header: no newline within the first ${Math.min(body.length, MAX_HEADER_BYTES)} bytes (a compact capture batch starts with one line of JSON)`);
  const h = parseJsonLimited(body.subarray(0, nl), limits.jsonDepth + 2, 'header');
  if (!isObject(h)) throw new InvalidInput('header: must be a JSON object');
  if (h.format !== FORMAT) throw new InvalidInput(`header.format: must be "${FORMAT}", got ${JSON.stringify(h.format)}`);
  if (h.version !== VERSION) throw new InvalidInput(`header.version: must be ${VERSION}, got ${JSON.stringify(h.version)}`);
  const head: CaptureHeader = {
    namespace: field(h, 'namespace', 'header.', isString, 'a string'),
    revision: field(h, 'revision', 'header.', isString, 'a string'),
    endpoint: field(h, 'endpoint', 'header.', isString, 'a string'),
  };
  const exchanges = h.exchanges;
  if (!Array.isArray(exchanges) || exchanges.length === 0) throw new InvalidInput('header.exchanges: must be a non-empty array');
  const bytes = body.subarray(nl + 1);
  let total = 0;
  exchanges.forEach((x, i) => {
    if (!isObject(x)) throw new InvalidInput(`exchanges[${i}]: must be a JSON object`);
    total += field(x, 'requestBytes', `exchanges[${i}].`, isCount, 'a byte count') + field(x, 'responseBytes', `exchanges[${i}].`, isCount, 'a byte count');
  });
  if (total !== bytes.length) throw new InvalidInput(`exchanges: the bodies' byte counts add up to ${total}, but ${bytes.length} bytes follow the header`);
  return { head, exchanges, bytes };
}

/** The events of a batch as CloudEvents attributes and bodies, and the exchanges refused (both of their events, by index). */
export function captureRecords(body: Buffer, limits: DecodeLimits): Decoded<{ records: CaptureRecord[]; refused: Refusal[] }> {
  const framed = decoding(() => frame(body, limits));
  if (!framed.ok) return framed;
  const { head, exchanges, bytes } = framed.value;
  const records: CaptureRecord[] = [];
  const refused: Refusal[] = [];
  let at = 0;
  exchanges.forEach((raw, i) => {
    const x = raw as Record<string, unknown>;
    const request = bytes.subarray(at, (at += x.requestBytes as number));
    const response = bytes.subarray(at, (at += x.responseBytes as number));
    const pair = decoding(() => exchangeRecords(x, i, head, request, response, limits));
    if (pair.ok) records.push(...pair.value);
    else refused.push({ index: 2 * i, error: pair.error }, { index: 2 * i + 1, error: pair.error });
  });
  return { ok: true, value: { records, refused } };
}

/** Decodes a compact batch into InferenceEvents; an exchange that is not valid is refused (both events), the others taken. */
export function decodeCaptureBatch(body: Buffer, limits: DecodeLimits, nowMs = Date.now()): Decoded<BatchDecode> {
  const got = captureRecords(body, limits);
  if (!got.ok) return got;
  const out: BatchDecode = { events: [], refused: [...got.value.refused] };
  for (const r of got.value.records) {
    const get: Attr = (name) => r.attrs[name];
    const one = decoding(() => toEvent(get, r.body, `exchanges[${r.index >> 1}].${r.index % 2 === 0 ? 'request' : 'response'}.`, limits, nowMs));
    if (one.ok) out.events.push(one.value);
    else out.refused.push({ index: r.index, error: one.error });
  }
  out.refused.sort((a, b) => a.index - b.index);
  return { ok: true, value: out };
}
