/**
 * The daemon's handle on its decode thread (decode-worker.ts): batches go there by transfer of their
 * body and come back as packed events (store/write-messages.ts), so the event loop that answers
 * /healthz, /readyz and the API only moves buffers. A thread that dies is replaced at the next batch;
 * the batches it held fail (503: the client retries).
 */
import type { Worker } from 'node:worker_threads';
import type { Refusal } from '../ingest/cloudevents.js';
import type { DecodeLimits } from '../ingest/types.js';
import { startWorkerBeside } from '../ops/worker-entry.js';
import type { PackedEvents } from '../store/write-messages.js';

/** Batch formats: CloudEvents JSON batches, or the sidecar's compact capture batches (ingest/capture-batch.ts). */
export type BatchFormat = 'cloudevents' | 'capture';

/** To the decode thread: one batch body (moved), its format, limits and receive time. */
export interface ToDecoder {
  seq: number;
  format: BatchFormat;
  body: ArrayBuffer;
  limits: DecodeLimits;
  nowMs: number;
}

/** From the decode thread: the batch decoded (refusals by index, the rest packed), or why it is not a batch. */
export type FromDecoder =
  | { seq: number; ok: true; accepted: number; refused: Refusal[]; packed: PackedEvents | null }
  | { seq: number; ok: false; error: string; internal?: boolean };

/** A decoded batch as the ingest route sees it. */
export type DecodedBatch = { ok: true; accepted: number; refused: Refusal[]; packed: PackedEvents | null } | { ok: false; error: string };

/** Decodes batches in a worker thread, one at a time in order. */
export class BatchDecoder {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (d: DecodedBatch) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    const w = startWorkerBeside(import.meta.url, 'decode-worker');
    w.on('message', (m: FromDecoder) => {
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (p === undefined) return;
      if (!m.ok && m.internal === true) p.reject(new Error(`the decode thread failed: ${m.error}`));
      else p.resolve(m.ok ? { ok: true, accepted: m.accepted, refused: m.refused, packed: m.packed } : { ok: false, error: m.error });
    });
    const fail = (err: Error): void => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new Error('the decode thread stopped; the batch was not stored', { cause: err }));
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    w.unref();
    return w;
  }

  /** Decodes one batch body; the body's memory is moved to the thread (do not use it after). */
  decode(body: Buffer, limits: DecodeLimits, nowMs = Date.now(), format: BatchFormat = 'cloudevents'): Promise<DecodedBatch> {
    this.worker ??= this.start();
    const worker = this.worker;
    const seq = ++this.seq;
    // A body that does not own its whole ArrayBuffer (a slice of Node's pool) is copied first.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? (body.buffer as ArrayBuffer) : (body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
    return new Promise<DecodedBatch>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.postMessage({ seq, format, body: own, limits, nowMs } satisfies ToDecoder, [own]);
    });
  }

  /** Stops the thread (pending batches fail). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) await w.terminate();
  }
}
