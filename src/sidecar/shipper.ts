/**
 * Ships capture batches to the daemon (`POST {daemon}/v1/events`, bearer token): compact capture
 * batches (a Buffer; its first byte `{`) or CloudEvents JSON batches (`[`), told apart by that byte,
 * so a spooled batch keeps its media type across a restart. One batch in flight at a time; a batch that fails after retries (backoff with full jitter),
 * and every batch made while one is in flight or the spool is non-empty, goes to the spool, which is
 * replayed oldest first when the daemon answers again. A batch lives either in flight or in the spool,
 * never both, so each is delivered once (the daemon also dedupes on (source, id)).
 */
import { Pool } from 'undici';
import { CAPTURE_BATCH_TYPE } from '../ingest/capture-batch.js';
import type { Logger } from '../ops/logger.js';
import type { CaptureOutcome } from './metrics.js';
import type { Spool, SpoolEntry } from './spool.js';

/** How the shipper reaches the daemon and how it retries. */
export interface ShipperConfig {
  daemon: string;
  token: string | undefined;
  spool: Spool;
  /** Where outcome counts go (the sidecar's metrics, through the capture worker's messages). */
  metrics: { capture(outcome: CaptureOutcome, n?: number): void };
  log: Logger;
  timeoutMs: number;
  retries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/** A POST's outcome: delivered (with the events the daemon refused one by one), to retry, or refused whole. */
type Sent = { kind: 'ok'; refused: number } | { kind: 'retry' } | { kind: 'reject' };
const RETRY: Sent = { kind: 'retry' };

/** A serialized batch: CloudEvents JSON (`[…]`) or a compact capture batch (`{header}\n…`). */
export type Body = string | Buffer;

/** The media type of a serialized batch, from its first byte. */
export function batchType(body: Body): string {
  const first = typeof body === 'string' ? body.charCodeAt(0) : body[0];
  return first === 0x7b ? CAPTURE_BATCH_TYPE : 'application/cloudevents-batch+json';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/** The daemon client with its spool. */
export class Shipper {
  private readonly pool: Pool;
  private readonly path: string;
  private sending = false;
  private spooling = 0;
  private replayFailures = 0;
  private replayTimer: NodeJS.Timeout | undefined;
  private current: { body: Body; events: number } | undefined;
  private closed = false;

  constructor(private readonly cfg: ShipperConfig) {
    const url = new URL(cfg.daemon);
    this.path = `${url.pathname.replace(/\/+$/, '')}/v1/events`;
    this.pool = new Pool(url.origin, { connections: 2, headersTimeout: cfg.timeoutMs, bodyTimeout: cfg.timeoutMs, connectTimeout: Math.min(cfg.timeoutMs, 5_000) });
  }

  /** Starts replaying batches an earlier run left in the spool. */
  resume(): void {
    this.kick(0);
  }

  /** Takes a serialized batch; never throws, never waits for the network. */
  submit(body: Body, events: number): void {
    if (!this.sending && this.spooling === 0 && this.cfg.spool.length === 0 && !this.closed) {
      void this.sendFresh(body, events);
    } else {
      void this.toSpool(body, events);
    }
  }

  private async toSpool(body: Body, events: number): Promise<void> {
    this.spooling += 1;
    try {
      const dropped = await this.cfg.spool.write(body, events);
      this.cfg.metrics.capture('dropped', dropped);
      if (dropped < events) this.cfg.metrics.capture('spooled', events);
      if (dropped > 0) this.cfg.log.warn({ dropped, spoolBytes: this.cfg.spool.bytes }, 'capture spool full: dropped the oldest events');
    } catch (err) {
      this.cfg.metrics.capture('dropped', events);
      this.cfg.log.error({ err, events }, 'could not spool a capture batch: dropped');
    } finally {
      this.spooling -= 1;
    }
    this.kick(0);
  }

  private async post(body: Body): Promise<Sent> {
    try {
      const headers: Record<string, string> = { 'content-type': batchType(body) };
      if (this.cfg.token !== undefined) headers.authorization = `Bearer ${this.cfg.token}`;
      const res = await this.pool.request({ path: this.path, method: 'POST', headers, body });
      if (res.statusCode < 300) return { kind: 'ok', refused: this.refusedOf(await res.body.text()) };
      await res.body.dump();
      if (res.statusCode === 408 || res.statusCode === 429 || res.statusCode >= 500) return RETRY;
      this.cfg.log.error({ status: res.statusCode }, 'the daemon rejected a capture batch: dropped (check the token and format)');
      return { kind: 'reject' };
    } catch (err) {
      this.cfg.log.debug({ err }, 'capture batch not delivered');
      return RETRY;
    }
  }

  /** Events of a delivered batch the daemon refused one by one (`refused: [{index, error}]`); they would be refused again. */
  private refusedOf(text: string): number {
    let refused: unknown;
    try {
      refused = (JSON.parse(text) as { refused?: unknown }).refused;
    } catch {
      return 0;
    }
    if (!Array.isArray(refused) || refused.length === 0) return 0;
    this.cfg.log.error({ refused: refused.length, first: (refused[0] as { error?: unknown }).error }, 'the daemon refused events of a capture batch: those are dropped, the others stored');
    return refused.length;
  }

  private async sendFresh(body: Body, events: number): Promise<void> {
    this.sending = true;
    this.current = { body, events };
    let result: Sent = RETRY;
    for (let attempt = 0; attempt <= this.cfg.retries && !this.closed; attempt++) {
      if (attempt > 0) await sleep(backoffMs(attempt, this.cfg.backoffBaseMs, this.cfg.backoffMaxMs));
      result = await this.post(body);
      if (result.kind !== 'retry') break;
    }
    // Taken over by close(): it spooled (and counted) this batch already.
    if (this.current === undefined) {
      this.sending = false;
      return;
    }
    this.current = undefined;
    this.count(result, events);
    this.sending = false;
    if (result.kind === 'retry') await this.toSpool(body, events);
    else this.kick(0);
  }

  /** Counts a final outcome: shipped, less the events refused one by one (dropped); or all dropped. */
  private count(result: Sent, events: number): void {
    if (result.kind === 'ok') {
      this.cfg.metrics.capture('shipped', events - result.refused);
      this.cfg.metrics.capture('dropped', result.refused);
    } else if (result.kind === 'reject') this.cfg.metrics.capture('dropped', events);
  }

  /** Schedules a replay of the spool after `delayMs`. */
  private kick(delayMs: number): void {
    if (this.replayTimer !== undefined || this.sending || this.cfg.spool.length === 0) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.replay();
    }, delayMs);
    if (!this.closed) this.replayTimer.unref();
  }

  private async replay(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    let entry: SpoolEntry | undefined;
    try {
      const taken = await this.cfg.spool.takeOldest();
      if (taken === undefined) return;
      entry = taken.entry;
      const result = await this.post(taken.body);
      if (result.kind === 'retry') {
        this.cfg.spool.release();
        this.replayFailures += 1;
        return;
      }
      await this.cfg.spool.remove(entry);
      this.count(result, entry.events);
      this.replayFailures = 0;
    } catch (err) {
      this.cfg.spool.release();
      this.replayFailures += 1;
      this.cfg.log.error({ err }, 'spool replay failed');
    } finally {
      this.sending = false;
      this.kick(this.replayFailures === 0 ? 0 : backoffMs(this.replayFailures, this.cfg.backoffBaseMs, this.cfg.backoffMaxMs) + this.cfg.backoffBaseMs);
    }
  }

  /** True when nothing is in flight, being spooled or spooled. */
  get drained(): boolean {
    return !this.sending && this.spooling === 0 && this.cfg.spool.length === 0;
  }

  /**
   * Tries to deliver everything for up to `deadlineMs`; then a batch still in flight is spooled too
   * (it may arrive twice; the daemon dedupes), so nothing captured is lost across a restart.
   */
  async close(deadlineMs: number): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (!this.drained && Date.now() < end) {
      this.kick(0);
      await sleep(20);
    }
    this.closed = true;
    const inflight = this.current;
    this.current = undefined;
    if (inflight !== undefined) {
      // Still in flight at the deadline: spooled too (it may arrive twice; the daemon dedupes), and counted once, as spooled.
      const dropped = await this.cfg.spool.write(inflight.body, inflight.events).catch(() => inflight.events);
      this.cfg.metrics.capture('dropped', dropped);
      if (dropped < inflight.events) this.cfg.metrics.capture('spooled', inflight.events);
    }
    await this.cfg.spool.idle();
    if (this.replayTimer !== undefined) clearTimeout(this.replayTimer);
    await this.pool.destroy();
  }
}
