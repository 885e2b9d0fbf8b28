/**
 * The batch the request thread posts to the capture worker, built as each exchange finishes: its
 * bodies are copied at once into one buffer of the batch (so the request's own chunks die young,
 * never reaching the old generation) and its metadata is written as one JSON line, the text the
 * compact capture batch carries (ingest/capture-batch.ts). Posting is one postMessage of a string and
 * a transferred (moved, not copied) ArrayBuffer: no object graph to clone, and for models without
 * redaction rules nothing for the worker to parse.
 */
import type { CaptureExchange } from '../ingest/capture-batch.js';

/** One request/response exchange as the request path saw it: raw bytes, nothing parsed. */
export interface RawExchange {
  id: string;
  /** Epoch ms when the request arrived. */
  start: number;
  model: string;
  protocol: 'v1' | 'v2' | 'other';
  path: string;
  requestType: string | undefined;
  requestChunks: Buffer[];
  requestTruncated: boolean;
  status: number;
  latencyMs: number;
  responseType: string | undefined;
  responseChunks: Buffer[];
  responseTruncated: boolean;
}

/** An exchange without its bodies; the bodies follow each other in the batch buffer (request, then response). */
export type ExchangeMeta = CaptureExchange;

/** Exchanges and their bodies, ready to transfer. */
export interface PackedBatch {
  /** The exchanges' metadata (`ExchangeMeta`), as the text of a JSON array. */
  exchanges: string;
  count: number;
  /** Whether some exchange's model has redaction rules (then the worker parses the metadata and redacts those). */
  redact: boolean;
  /** Every exchange's request then response bytes, in order, in the first `length` bytes. */
  bytes: ArrayBuffer;
  length: number;
  /** Captured body bytes and bodies cut at the capture limit, by direction (for the payload metrics). */
  requestBytes: number;
  responseBytes: number;
  requestTruncated: number;
  responseTruncated: number;
}

const FIRST_BUFFER = 64 * 1024;

const sum = (chunks: readonly Buffer[]): number => {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
};

/**
 * Builds batches of at most `maxExchanges` exchanges and `maxBytes` bytes (bodies plus metadata; an
 * exchange larger than that goes alone). The buffer grows by doubling up to the limit;
 * `allocUnsafeSlow` gives buffers that own their whole ArrayBuffer (never a slice of Node's shared
 * pool), so transferring one cannot detach memory anyone else uses.
 */
export class BatchBuilder {
  private buf: Buffer = Buffer.allocUnsafeSlow(FIRST_BUFFER);
  private used = 0;
  private metas: string[] = [];
  private metaBytes = 0;
  private redact = false;
  private requestBytes = 0;
  private responseBytes = 0;
  private requestTruncated = 0;
  private responseTruncated = 0;

  constructor(
    private readonly maxExchanges: number,
    private readonly maxBytes: number,
    /** Called with each batch that is full. */
    private readonly full: (batch: PackedBatch) => void,
  ) {
    if (!(maxExchanges >= 1)) throw new Error(`a capture batch holds at least one exchange, got ${maxExchanges}`);
  }

  /** Exchanges waiting in the batch being built. */
  get length(): number {
    return this.metas.length;
  }

  /** Adds a finished exchange (copying its bodies); `redact`: its model has redaction rules. */
  add(x: RawExchange, redact: boolean): void {
    const requestBytes = sum(x.requestChunks);
    const responseBytes = sum(x.responseChunks);
    // Spelled out (no rest/spread): one object of a fixed shape, stringified at once.
    const meta = JSON.stringify({
      id: x.id, start: x.start, model: x.model, protocol: x.protocol, path: x.path, status: x.status, latencyMs: x.latencyMs,
      requestType: x.requestType, responseType: x.responseType, requestTruncated: x.requestTruncated, responseTruncated: x.responseTruncated, requestBytes, responseBytes,
    } satisfies ExchangeMeta);
    const bodies = requestBytes + responseBytes;
    if (this.metas.length > 0 && this.used + bodies + this.metaBytes + meta.length > this.maxBytes) this.emit();
    this.reserve(bodies);
    for (const c of x.requestChunks) this.used += c.copy(this.buf, this.used);
    for (const c of x.responseChunks) this.used += c.copy(this.buf, this.used);
    this.metas.push(meta);
    this.metaBytes += meta.length + 1;
    if (redact) this.redact = true;
    this.requestBytes += requestBytes;
    this.responseBytes += responseBytes;
    if (x.requestTruncated) this.requestTruncated += 1;
    if (x.responseTruncated) this.responseTruncated += 1;
    if (this.metas.length >= this.maxExchanges || this.used + this.metaBytes >= this.maxBytes) this.emit();
  }

  /** The batch built so far (undefined when empty); the next one starts empty. */
  take(): PackedBatch | undefined {
    if (this.metas.length === 0) return undefined;
    const batch: PackedBatch = {
      exchanges: `[${this.metas.join(',')}]`,
      count: this.metas.length,
      redact: this.redact,
      bytes: this.buf.buffer as ArrayBuffer,
      length: this.used,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
      requestTruncated: this.requestTruncated,
      responseTruncated: this.responseTruncated,
    };
    this.buf = Buffer.allocUnsafeSlow(FIRST_BUFFER);
    this.used = 0;
    this.metas = [];
    this.metaBytes = 0;
    this.redact = false;
    this.requestBytes = this.responseBytes = this.requestTruncated = this.responseTruncated = 0;
    return batch;
  }

  private emit(): void {
    const batch = this.take();
    if (batch !== undefined) this.full(batch);
  }

  /** Room for `n` more bytes: the buffer doubles (copying what it holds) until they fit. */
  private reserve(n: number): void {
    if (this.used + n <= this.buf.length) return;
    let size = this.buf.length;
    while (size < this.used + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.used);
    this.buf = next;
  }
}

/** One exchange of a batch whose bodies start at byte `at`, as views of the batch buffer (no copy). */
export function unpackOne(bytes: ArrayBuffer, at: number, m: ExchangeMeta): RawExchange {
  const { requestBytes, responseBytes, ...meta } = m;
  const request = Buffer.from(bytes, at, requestBytes);
  const response = Buffer.from(bytes, at + requestBytes, responseBytes);
  return {
    ...meta,
    requestChunks: requestBytes === 0 ? [] : [request],
    responseChunks: responseBytes === 0 ? [] : [response],
  };
}

/** The exchanges of a batch with their metadata parsed, bodies as views of the batch buffer (no copy). */
export function unpack(batch: PackedBatch): Array<{ meta: ExchangeMeta; at: number; exchange: RawExchange }> {
  const out: Array<{ meta: ExchangeMeta; at: number; exchange: RawExchange }> = [];
  let at = 0;
  for (const meta of JSON.parse(batch.exchanges) as ExchangeMeta[]) {
    out.push({ meta, at, exchange: unpackOne(batch.bytes, at, meta) });
    at += meta.requestBytes + meta.responseBytes;
  }
  return out;
}
