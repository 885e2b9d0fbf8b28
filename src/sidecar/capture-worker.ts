/**
 * The capture worker thread: everything capture does after the request path, off the proxy's event
 * loop. It takes packed batches of raw exchanges and hands serialized batches to the shipper (daemon,
 * else spool): for a model without redaction rules, the raw bodies as they are in a compact capture
 * batch (ingest/capture-batch.ts: nothing parsed, no per-event JSON); for a model with rules, parsed
 * and redacted CloudEvents, so nothing unredacted leaves the pod. It posts metric increments back to the sidecar
 * thread, which owns the Prometheus registry, and answers flush and close requests.
 * Started by sidecar.ts with `CaptureWorkerInit` as workerData; the protocol is `ToWorker`/`FromWorker`.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Redaction } from '../model/types.js';
import { createLogger, silentLogger } from '../ops/logger.js';
import { encodeCaptureBatch, encodeCaptureBatchText } from '../ingest/capture-batch.js';
import { unpack, type ExchangeMeta, type PackedBatch, type RawExchange } from './capture-batch.js';
import { toEvents, type CaptureEvent, type EventContext } from './events.js';
import type { CaptureOutcome } from './metrics.js';
import { compileRedactions } from './redact.js';
import { Shipper, type ShipperConfig } from './shipper.js';
import { Spool } from './spool.js';

/** What the worker is started with (structured-cloned). */
export interface CaptureWorkerInit {
  namespace: string;
  revision: string;
  endpoint: string;
  redactKey: Uint8Array;
  rules: Array<[string, Redaction[]]>;
  fallbackRules: Redaction[];
  daemon: string;
  token: string | undefined;
  ship: Pick<ShipperConfig, 'timeoutMs' | 'retries' | 'backoffBaseMs' | 'backoffMaxMs'>;
  spoolDir: string;
  spoolBytes: number;
  /** Serialized bytes per shipped batch at most. */
  batchBytes: number;
  logLevel: string;
}

/** Messages to the worker, handled in order (so `close` comes after every batch posted before it); `seq` is echoed by `done`. */
export type ToWorker = ({ kind: 'batch' } & PackedBatch) | { kind: 'close'; seq: number; deadlineMs: number };

/** Messages from the worker. */
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string; cause: string | undefined }
  | { kind: 'count'; outcome: CaptureOutcome; n: number }
  | { kind: 'done'; seq: number };

async function run(port: MessagePort, init: CaptureWorkerInit): Promise<void> {
  const post = (m: FromWorker): void => port.postMessage(m);
  const log = init.logLevel === 'silent' ? silentLogger() : createLogger('sidecar', init.logLevel);
  const counts = { capture: (outcome: CaptureOutcome, n = 1): void => (n > 0 ? post({ kind: 'count', outcome, n }) : undefined) };
  let spool: Spool;
  try {
    spool = await Spool.open(init.spoolDir, init.spoolBytes);
  } catch (err) {
    post({ kind: 'failed', message: (err as Error).message, cause: (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : undefined });
    port.close();
    return;
  }
  if (spool.length > 0) log.info({ batches: spool.length, bytes: spool.bytes }, 'capture spool holds batches from an earlier run: replaying');
  const shipper = new Shipper({ daemon: init.daemon, token: init.token, spool, metrics: counts, log, ...init.ship });
  shipper.resume();

  const rules = new Map(init.rules.map(([name, r]) => [name, compileRedactions(r)]));
  const fallback = compileRedactions(init.fallbackRules);
  const ctx: EventContext = {
    namespace: init.namespace,
    revision: init.revision,
    endpoint: init.endpoint,
    redactKey: Buffer.from(init.redactKey.buffer, init.redactKey.byteOffset, init.redactKey.byteLength),
    rulesOf: (m) => rules.get(m) ?? fallback,
  };

  const header = { namespace: init.namespace, revision: init.revision, endpoint: init.endpoint };
  /** Exchanges of models without redaction rules: raw bodies in compact batches of at most init.batchBytes (one over it goes alone). */
  const shipRaw = (plain: Array<{ meta: ExchangeMeta; bodies: Buffer }>): void => {
    let from = 0;
    let bytes = 0;
    for (let i = 0; i <= plain.length; i++) {
      const x = plain[i];
      const size = x === undefined ? 0 : x.bodies.length + 256;
      if (x === undefined || (i > from && bytes + size > init.batchBytes)) {
        if (i > from) {
          const part = plain.slice(from, i);
          shipper.submit(encodeCaptureBatch(header, part.map((p) => p.meta), Buffer.concat(part.map((p) => p.bodies))), 2 * part.length);
        }
        from = i;
        bytes = 0;
      }
      bytes += size;
    }
  };
  /** Exchanges of models with redaction rules: parsed, redacted CloudEvents, serialized in batches of at most init.batchBytes. */
  const shipRedacted = (xs: RawExchange[]): void => {
    const events: string[] = [];
    let redacted = 0;
    let dropped = 0;
    for (const x of xs) {
      try {
        for (const e of toEvents(x, ctx)) {
          if (e.modelsloredacted !== undefined) redacted += 1;
          events.push(JSON.stringify(e satisfies CaptureEvent));
        }
      } catch (err) {
        dropped += 2;
        log.error({ err, id: x.id }, 'could not build capture events: dropped');
      }
    }
    counts.capture('dropped', dropped);
    counts.capture('redacted', redacted);
    let from = 0;
    let bytes = 2;
    for (let i = 0; i <= events.length; i++) {
      const size = i < events.length ? Buffer.byteLength(events[i] ?? '') + 1 : 0;
      if (i === events.length || (i > from && bytes + size > init.batchBytes)) {
        if (i > from) shipper.submit(`[${events.slice(from, i).join(',')}]`, i - from);
        from = i;
        bytes = 2;
      }
      bytes += size;
    }
  };
  /**
   * A batch from the request thread. With no redaction rule among its models (the request thread
   * says so, from the same rules) it is shipped as it came: its metadata text and bodies become one
   * compact batch, nothing parsed. Otherwise it is split by whether each model's bodies must be
   * redacted (parsed) first.
   */
  const build = (batch: PackedBatch): void => {
    if (!batch.redact) {
      shipper.submit(encodeCaptureBatchText(header, batch.exchanges, new Uint8Array(batch.bytes, 0, batch.length)), 2 * batch.count);
      return;
    }
    const plain: Array<{ meta: ExchangeMeta; bodies: Buffer }> = [];
    const toRedact: RawExchange[] = [];
    for (const { meta, at, exchange } of unpack(batch)) {
      if (ctx.rulesOf(meta.model).length === 0) plain.push({ meta, bodies: Buffer.from(batch.bytes, at, meta.requestBytes + meta.responseBytes) });
      else toRedact.push(exchange);
    }
    if (plain.length > 0) shipRaw(plain);
    if (toRedact.length > 0) shipRedacted(toRedact);
  };

  port.on('message', (m: ToWorker) => {
    if (m.kind === 'batch') build(m);
    else {
      shipper.close(m.deadlineMs).then(
        () => post({ kind: 'done', seq: m.seq }),
        (err: unknown) => {
          log.error({ err }, 'capture shipper did not close cleanly');
          post({ kind: 'done', seq: m.seq });
        },
      );
    }
  });
  post({ kind: 'ready' });
}

if (parentPort === null) throw new Error('capture-worker.ts runs in a worker thread (started by the sidecar)');
await run(parentPort, workerData as CaptureWorkerInit);
