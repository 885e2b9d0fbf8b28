/**
 * POST /, /v1/events (CloudEvents; the sidecar's compact capture batches) and /v1/traces (OTLP/HTTP): decode, then one store write
 * (committed by the writer thread), then 2xx. A batch is answered per event: the refused ones by
 * index and why; every other one is stored (new or a duplicate). A request is refused whole only
 * when it is itself bad (not a CloudEvent, not a JSON array) or the store cannot take it (503).
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { CAPTURE_BATCH_TYPE, decodeCaptureBatch } from '../ingest/capture-batch.js';
import { decodeBatch, decodeBinary, decodeStructured } from '../ingest/cloudevents.js';
import { decodeOtlpJson } from '../ingest/otlp-json.js';
import { decodeOtlpProto } from '../ingest/otlp-proto.js';
import type { DecodeLimits, Decoded, InferenceEvent, SpanRecord } from '../ingest/types.js';
import type { IngestStore, WriteResult } from '../store/port.js';
import type { BatchDecoder, DecodedBatch } from './decode-thread.js';
import { timed, type DaemonMetrics } from './metrics.js';

/** What the ingest handlers need; batches are decoded by `decoder` (a worker thread) when given, else inline. */
export interface IngestDeps {
  store: IngestStore;
  metrics: DaemonMetrics;
  log: Logger;
  limits: DecodeLimits;
  decoder?: BatchDecoder;
}

/** Bodies from this size on are decoded one per turn of the event loop (a 500-event batch takes milliseconds). */
const LARGE_BODY_BYTES = 64 * 1024;

let lastTurn: Promise<void> = Promise.resolve();

/**
 * Waits for this request's own turn of the event loop: large bodies are decoded one per turn, so
 * timers and I/O (other requests, commit acknowledgements) run between them instead of after a run
 * of back-to-back decodes of every batch that arrived together.
 */
function ownTurn(req: Request): Promise<void> {
  if (bodyOf(req).length < LARGE_BODY_BYTES) return Promise.resolve();
  const turn = lastTurn.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  lastTurn = turn;
  return turn;
}

function bodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function reject(res: Response, deps: IngestDeps, route: string, kind: string, code: number, error: string): void {
  deps.metrics.requests.inc({ route, code: String(code) });
  deps.metrics.ingested.inc({ kind, outcome: 'rejected' });
  deps.log.info({ route, code, error }, 'ingest request rejected');
  res.status(code).json({ error, stored: 0, note: 'nothing of this request was stored (all-or-nothing)' });
}

function unavailable(res: Response, deps: IngestDeps, route: string, err: unknown, what: string): void {
  // Busy or full storage: the client retries later; nothing of the request was committed.
  deps.log.error({ err, route }, `${what} failed`);
  deps.metrics.requests.inc({ route, code: '503' });
  res.status(503).set('Retry-After', '1').json({ error: `${what} unavailable: nothing of this request was stored; retry later` });
}

/** A decoded request: packed by the decode thread, or its events decoded inline. */
type Batch = DecodedBatch & { events?: InferenceEvent[] };

const one = (d: Decoded<InferenceEvent[]>): Batch => (d.ok ? { ok: true, accepted: d.value.length, refused: [], packed: null, events: d.value } : d);

/** Decodes the request's events (a batch in the decode thread when there is one); null when it is no CloudEvent. */
async function decodeEvents(req: Request, deps: IngestDeps): Promise<{ batch: boolean; decoded: Batch } | null> {
  const type = mediaType(req);
  const body = bodyOf(req);
  if (type === 'application/cloudevents-batch+json' || type === CAPTURE_BATCH_TYPE) {
    const capture = type === CAPTURE_BATCH_TYPE;
    if (deps.decoder !== undefined) return { batch: true, decoded: await deps.decoder.decode(body, deps.limits, Date.now(), capture ? 'capture' : 'cloudevents') };
    await ownTurn(req);
    const d = (capture ? decodeCaptureBatch : decodeBatch)(body, deps.limits);
    return { batch: true, decoded: d.ok ? { ok: true, accepted: d.value.events.length, refused: d.value.refused, packed: null, events: d.value.events } : d };
  }
  if (type === 'application/cloudevents+json') return { batch: false, decoded: one(decodeStructured(body, deps.limits)) };
  if (req.headers['ce-specversion'] !== undefined) return { batch: false, decoded: one(decodeBinary(req.headers, body, deps.limits)) };
  return null;
}

async function store(deps: IngestDeps, res: Response, route: string, kind: string, op: string, count: number, write: () => Promise<WriteResult>): Promise<WriteResult | undefined> {
  try {
    const r = await timed(deps.metrics, op, write);
    deps.metrics.batchSize.observe({ kind }, count);
    deps.metrics.ingested.inc({ kind, outcome: 'stored' }, r.inserted);
    deps.metrics.ingested.inc({ kind, outcome: 'duplicate' }, r.duplicates);
    return r;
  } catch (err) {
    deps.log.error({ count }, 'store write failed');
    unavailable(res, deps, route, err, 'store');
    return undefined;
  }
}

/** Handler of CloudEvents in binary, structured and batch mode. */
export function eventsHandler(deps: IngestDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const route = req.path;
    let got: Awaited<ReturnType<typeof decodeEvents>>;
    try {
      got = await decodeEvents(req, deps);
    } catch (err) {
      return unavailable(res, deps, route, err, 'decoding');
    }
    if (got === null) {
      reject(res, deps, route, 'event', 415, `content-type "${mediaType(req)}" is not a CloudEvent: send binary mode (ce-* headers), application/cloudevents+json, application/cloudevents-batch+json or ${CAPTURE_BATCH_TYPE}`);
      return;
    }
    const d = got.decoded;
    if (!d.ok) return reject(res, deps, route, 'event', 400, d.error);
    if (d.refused.length > 0) {
      deps.metrics.ingested.inc({ kind: 'event', outcome: 'rejected' }, d.refused.length);
      deps.log.info({ route, refused: d.refused.length, first: d.refused[0]?.error }, 'batch events refused (the others are stored)');
    }
    const { packed, events } = d;
    const r =
      d.accepted === 0 ? { inserted: 0, duplicates: 0 }
      : packed !== null ? await store(deps, res, route, 'event', 'insert_events', d.accepted, () => deps.store.insertPackedEvents(packed))
      : await store(deps, res, route, 'event', 'insert_events', d.accepted, () => deps.store.insertEvents(events ?? []));
    if (r === undefined) return;
    deps.metrics.requests.inc({ route, code: '200' });
    res.status(200).json({ accepted: d.accepted, stored: r.inserted, duplicates: r.duplicates, ...(got.batch ? { refused: d.refused } : {}) });
  };
}

/** Handler of OTLP/HTTP trace exports in JSON or protobuf. */
export function tracesHandler(deps: IngestDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const route = '/v1/traces';
    const type = mediaType(req);
    const proto = type === 'application/x-protobuf' || type === 'application/protobuf';
    if (!proto && type !== 'application/json') return reject(res, deps, route, 'span', 415, `content-type "${type}": OTLP/HTTP needs application/json or application/x-protobuf`);
    await ownTurn(req);
    const decoded: Decoded<SpanRecord[]> = proto ? decodeOtlpProto(bodyOf(req)) : decodeOtlpJson(bodyOf(req), deps.limits.jsonDepth);
    if (!decoded.ok) return reject(res, deps, route, 'span', 400, decoded.error);
    if (decoded.value.length === 0) return reject(res, deps, route, 'span', 400, 'resourceSpans: the request holds no spans');
    const spans = decoded.value;
    if ((await store(deps, res, route, 'span', 'insert_spans', spans.length, () => deps.store.insertSpans(spans))) === undefined) return;
    deps.metrics.requests.inc({ route, code: '200' });
    // An empty ExportTraceServiceResponse: full success.
    if (proto) res.status(200).type('application/x-protobuf').send(Buffer.alloc(0));
    else res.status(200).json({});
  };
}
