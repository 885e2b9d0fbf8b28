/**
 * The batch the request thread posts to the capture worker: the exchanges' metadata plus every
 * captured body copied into one fresh ArrayBuffer, which is transferred (moved, not copied) with the
 * message. One allocation, one copy and one postMessage per batch on the request thread.
 */
import type { RawExchange } from './capture-queue.js';

/** An exchange without its bodies; the bodies follow each other in the batch buffer (request, then response). */
export type ExchangeMeta = Omit<RawExchange, 'requestChunks' | 'responseChunks'> & { requestBytes: number; responseBytes: number };

/** Exchanges and their bodies, ready to transfer. */
export interface PackedBatch {
  exchanges: ExchangeMeta[];
  bytes: ArrayBuffer;
}

const sum = (chunks: readonly Buffer[]): number => {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
};

/**
 * Packs exchanges into one buffer. `allocUnsafeSlow` gives a buffer that owns its whole ArrayBuffer
 * (never a slice of Node's shared pool), so transferring it cannot detach memory anyone else uses.
 */
export function pack(xs: readonly RawExchange[]): PackedBatch {
  const exchanges: ExchangeMeta[] = [];
  let total = 0;
  for (const x of xs) {
    const requestBytes = sum(x.requestChunks);
    const responseBytes = sum(x.responseChunks);
    // Spelled out (no rest/spread): one object of a fixed shape per exchange.
    exchanges.push({
      id: x.id, start: x.start, model: x.model, protocol: x.protocol, path: x.path, status: x.status, latencyMs: x.latencyMs,
      requestType: x.requestType, responseType: x.responseType, requestTruncated: x.requestTruncated, responseTruncated: x.responseTruncated, requestBytes, responseBytes,
    });
    total += requestBytes + responseBytes;
  }
  const buf = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const x of xs) {
    for (const c of x.requestChunks) at += c.copy(buf, at);
    for (const c of x.responseChunks) at += c.copy(buf, at);
  }
  return { exchanges, bytes: buf.buffer };
}

/** One exchange of a packed batch whose bodies start at byte `at`, as views of the batch buffer (no copy). */
export function unpackOne(bytes: ArrayBuffer, at: number, m: ExchangeMeta): RawExchange {
  const { requestBytes, responseBytes, ...meta } = m;
  const request = Buffer.from(bytes, at, requestBytes);
  const response = Buffer.from(bytes, at + requestBytes, responseBytes);
  return { ...meta, requestChunks: requestBytes === 0 ? [] : [request], responseChunks: responseBytes === 0 ? [] : [response] };
}

/** The exchanges of a packed batch, their bodies as views of the batch buffer (no copy). */
export function unpack(batch: PackedBatch): RawExchange[] {
  const out: RawExchange[] = [];
  let at = 0;
  for (const m of batch.exchanges) {
    out.push(unpackOne(batch.bytes, at, m));
    at += m.requestBytes + m.responseBytes;
  }
  return out;
}
