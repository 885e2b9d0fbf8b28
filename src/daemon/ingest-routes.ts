/**
 * POST /, /v1/events (CloudEvents) and /v1/traces (OTLP/HTTP): decode, then one store write
 * (committed by the writer thread), then 2xx. A batch is answered per event: the refused ones by
 * index and why; every other one is stored (new or a duplicate). A request is refused whole only
 * when it is itself bad (not a CloudEvent, not a JSON array) or the store cannot take it (503).
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { decodeBatchSteps, decodeBinary, decodeStructured, type BatchDecode } from '../ingest/cloudevents.js';
import { decodeOtlpJson } from '../ingest/otlp-json.js';
import { decodeOtlpProto } from '../ingest/otlp-proto.js';
import type { DecodeLimits, Decoded, InferenceEvent, SpanRecord } from '../ingest/types.js';
import type { IngestStore } from '../store/port.js';
import { timed, type DaemonMetrics } from './metrics.js';

/** What the ingest handlers need. */
export interface IngestDeps {
  store: IngestStore;
  metrics: DaemonMetrics;
  log: Logger;
  limits: DecodeLimits;
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

const one = (d: Decoded<InferenceEvent[]>): Decoded<BatchDecode> => (d.ok ? { ok: true, value: { events: d.value, refused: [] } } : d);

/** Decodes the request's events; a batch in slices, with a turn of the event loop between them. */
async function decodeEvents(req: Request, limits: DecodeLimits): Promise<{ batch: boolean; decoded: Decoded<BatchDecode> } | null> {
  const type = mediaType(req);
  const body = bodyOf(req);
  if (type === 'application/cloudevents-batch+json') {
    const steps = decodeBatchSteps(body, limits);
    for (;;) {
      const r = steps.next();
      if (r.done === true) return { batch: true, decoded: r.value };
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  if (type === 'application/cloudevents+json') return { batch: false, decoded: one(decodeStructured(body, limits)) };
  if (req.headers['ce-specversion'] !== undefined) return { batch: false, decoded: one(decodeBinary(req.headers, body, limits)) };
  return null;
}

async function store<T>(deps: IngestDeps, res: Response, route: string, kind: string, op: string, items: T[], write: (items: T[]) => Promise<{ inserted: number; duplicates: number }>): Promise<boolean> {
  try {
    const r = await timed(deps.metrics, op, () => write(items));
    deps.metrics.batchSize.observe({ kind }, items.length);
    deps.metrics.ingested.inc({ kind, outcome: 'stored' }, r.inserted);
    deps.metrics.ingested.inc({ kind, outcome: 'duplicate' }, r.duplicates);
    res.locals.result = r;
    return true;
  } catch (err) {
    // Busy or full storage: the client retries later; nothing of the batch was committed.
    deps.log.error({ err, route, count: items.length }, 'store write failed');
    deps.metrics.requests.inc({ route, code: '503' });
    res.status(503).set('Retry-After', '1').json({ error: 'store unavailable: nothing of this request was stored; retry later' });
    return false;
  }
}

/** Handler of CloudEvents in binary, structured and batch mode. */
export function eventsHandler(deps: IngestDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const route = req.path;
    await ownTurn(req);
    const got = await decodeEvents(req, deps.limits);
    if (got === null) {
      reject(res, deps, route, 'event', 415, `content-type "${mediaType(req)}" is not a CloudEvent: send binary mode (ce-* headers), application/cloudevents+json or application/cloudevents-batch+json`);
      return;
    }
    const { decoded } = got;
    if (!decoded.ok) return reject(res, deps, route, 'event', 400, decoded.error);
    const { events, refused } = decoded.value;
    if (refused.length > 0) {
      deps.metrics.ingested.inc({ kind: 'event', outcome: 'rejected' }, refused.length);
      deps.log.info({ route, refused: refused.length, first: refused[0]?.error }, 'batch events refused (the others are stored)');
    }
    const r = events.length === 0 ? { inserted: 0, duplicates: 0 } : (await store(deps, res, route, 'event', 'insert_events', events, (e) => deps.store.insertEvents(e))) ? (res.locals.result as { inserted: number; duplicates: number }) : undefined;
    if (r === undefined) return;
    deps.metrics.requests.inc({ route, code: '200' });
    res.status(200).json({ accepted: events.length, stored: r.inserted, duplicates: r.duplicates, ...(got.batch ? { refused } : {}) });
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
    if (!(await store(deps, res, route, 'span', 'insert_spans', decoded.value, (s) => deps.store.insertSpans(s)))) return;
    deps.metrics.requests.inc({ route, code: '200' });
    // An empty ExportTraceServiceResponse: full success.
    if (proto) res.status(200).type('application/x-protobuf').send(Buffer.alloc(0));
    else res.status(200).json({});
  };
}
