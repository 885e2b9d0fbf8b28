/**
 * The messages between the store (main thread) and its writer thread. They are structured-cloned,
 * so they stay flat: events and spans travel as one array of column values each (no per-row keys
 * to serialize), replies as one message per committed group.
 */
import { deserialize, serialize } from 'node:v8';
import type { InferenceEvent, SpanRecord } from '../ingest/types.js';
import type { AlertRecord, CanaryDecisionRecord, DriftResultRecord, LabelJudgement, LabelRecord } from './port.js';

/** Column values per event in `WriteRequest.rows` (op `events`), in the order of `flattenEvents`. */
export const EVENT_FIELDS = 21;
/** Column values per span in `WriteRequest.rows` (op `spans`), in the order of `flattenSpans`. */
export const SPAN_FIELDS = 13;

/** One write, run in its own SAVEPOINT inside the writer's group transaction. */
export type WriteRequest =
  | { seq: number; op: 'events'; rows: unknown[] }
  | { seq: number; op: 'spans'; rows: unknown[] }
  | { seq: number; op: 'drift'; records: readonly DriftResultRecord[] }
  | { seq: number; op: 'canary'; record: CanaryDecisionRecord }
  | { seq: number; op: 'alerts'; records: readonly AlertRecord[] }
  | { seq: number; op: 'labels'; records: readonly LabelRecord[] }
  | { seq: number; op: 'judgements'; records: readonly LabelJudgement[] }
  | { seq: number; op: 'expire'; beforeMs: number }
  | { seq: number; op: 'retention'; payloadBeforeMs: number; aggregateBeforeMs: number }
  /** Rewrites the schema version (one page): does the disk take a write again? */
  | { seq: number; op: 'probe' };

/** The outcome of one request: two counts (inserted/duplicates, payloads/records, changes/0), or an error. */
export type WriteReply = { seq: number; ok: true; a: number; b: number } | { seq: number; ok: false; message: string; code: string | null };

/**
 * Events flattened and serialized into one buffer (`packEvents`), so they can be handed from thread
 * to thread by transfer: a decode thread packs them, the daemon's main thread only moves the buffer.
 */
export type PackedEvents = ArrayBuffer;

/** A request as sent to the writer: a WriteRequest, or packed events (unpacked in the writer thread). */
export type WireRequest = WriteRequest | { seq: number; op: 'packed-events'; packed: PackedEvents };

/** Main → writer: a request, or the instruction to drain, close the connection and exit. */
export type ToWriter = WireRequest | { op: 'close' };

/** Events as one transferable buffer: their flat rows, serialized with v8 (Buffers stay Buffers). */
export function packEvents(events: readonly InferenceEvent[]): PackedEvents {
  const b = serialize(flattenEvents(events));
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer) : (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** The WriteRequest of a wire request (packed events back to flat rows). */
export function unwire(m: WireRequest): WriteRequest {
  return m.op === 'packed-events' ? { seq: m.seq, op: 'events', rows: deserialize(Buffer.from(m.packed)) as unknown[] } : m;
}

/** Writer → main: ready after open, the replies of one committed (or failed) group, or closed. */
export type FromWriter = { type: 'ready' } | { type: 'group'; replies: WriteReply[] } | { type: 'closed' };

/** Events as one flat array of EVENT_FIELDS values each. */
export function flattenEvents(events: readonly InferenceEvent[]): unknown[] {
  const rows: unknown[] = new Array(events.length * EVENT_FIELDS);
  let i = 0;
  for (const e of events) {
    rows[i++] = e.source;
    rows[i++] = e.id;
    rows[i++] = e.type;
    rows[i++] = e.kind === 'request' ? 0 : 1;
    rows[i++] = e.namespace;
    rows[i++] = e.model;
    rows[i++] = e.endpoint;
    rows[i++] = e.component;
    rows[i++] = e.revision;
    rows[i++] = e.protocol;
    rows[i++] = e.path;
    rows[i++] = e.timeMs;
    rows[i++] = e.payload;
    rows[i++] = e.contentType;
    rows[i++] = e.decoded;
    rows[i++] = e.truncated ? 1 : 0;
    rows[i++] = e.redacted;
    rows[i++] = e.metadata;
    rows[i++] = e.status;
    rows[i++] = e.latencyMs;
    rows[i++] = e.decodeError;
  }
  return rows;
}

/** Spans as one flat array of SPAN_FIELDS values each, in INSERT_SPAN's parameter order. */
export function flattenSpans(spans: readonly SpanRecord[]): unknown[] {
  const rows: unknown[] = new Array(spans.length * SPAN_FIELDS);
  let i = 0;
  for (const s of spans) {
    rows[i++] = s.traceId;
    rows[i++] = s.spanId;
    rows[i++] = s.parentSpanId;
    rows[i++] = s.name;
    rows[i++] = s.startMs;
    rows[i++] = s.durationMs;
    rows[i++] = s.statusCode;
    rows[i++] = s.httpStatus;
    rows[i++] = s.model;
    rows[i++] = s.namespace;
    rows[i++] = s.requestId;
    rows[i++] = s.serviceName;
    rows[i++] = s.attributes;
  }
  return rows;
}
