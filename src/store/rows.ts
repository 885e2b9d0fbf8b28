/** SQLite rows ↔ port values, and the opaque paging cursor. */
import type { JoinState, Prediction } from './port.js';

/** A row of `predictions` with the linked trace id. */
export interface PredictionRow {
  pid: number;
  namespace: string;
  model: string;
  request_id: string;
  endpoint: string;
  component: string;
  revision: string | null;
  protocol: string;
  path: string | null;
  time_ms: number;
  state: JoinState;
  status: number | null;
  latency_ms: number | null;
  request_payload: string | Buffer | null;
  response_payload: string | Buffer | null;
  features: string | null;
  outputs: string | null;
  truncated: number;
  redacted: string | null;
  decode_error: string | null;
  trace_id: string | null;
}

function parseList(text: string | null): unknown[] | null {
  return text === null ? null : (JSON.parse(text) as unknown[]);
}

/** Maps a row to the port's Prediction. */
export function predictionFromRow(r: PredictionRow): Prediction {
  return {
    requestId: r.request_id,
    namespace: r.namespace,
    model: r.model,
    endpoint: r.endpoint,
    component: r.component,
    revision: r.revision,
    protocol: r.protocol,
    path: r.path,
    timeMs: r.time_ms,
    state: r.state,
    status: r.status,
    latencyMs: r.latency_ms,
    features: parseList(r.features),
    predictions: parseList(r.outputs),
    request: r.request_payload,
    response: r.response_payload,
    truncated: r.truncated !== 0,
    redacted: r.redacted,
    decodeError: r.decode_error,
    traceId: r.trace_id,
  };
}

/** The cursor after a row: its time and id, base64url. */
export function encodeCursor(timeMs: number, pid: number): string {
  return Buffer.from(`${timeMs}:${pid}`).toString('base64url');
}

/** Reads a cursor; throws an Error naming `cursor` when it is not one this store wrote. */
export function decodeCursor(cursor: string): { timeMs: number; pid: number } {
  const m = /^(-?[0-9]{1,16}):([0-9]{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (m === null) throw new CursorError(`cursor: not a cursor returned by this API ("${cursor.slice(0, 40)}")`);
  return { timeMs: Number(m[1]), pid: Number(m[2]) };
}

/** A malformed paging cursor (a client error). */
export class CursorError extends Error {}
