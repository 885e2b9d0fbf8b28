/**
 * The main thread's side of the store's writes: a Writer hands write requests to the writer thread
 * (sqlite-writer-thread.ts) and resolves each request's promise when its group has committed — so
 * a caller that answers 2xx after `await` answers only after the commit and its fsync.
 */
import { startWorkerBeside } from '../ops/worker-entry.js';
import type Database from 'better-sqlite3';
import { createGroupCommitter } from './group-commit.js';
import { unwire, type FromWriter, type ToWriter, type WireRequest, type WriteReply, type WriteRequest } from './write-messages.js';

/** A write request before the writer numbers it. */
export type WriteOp = WireRequest extends infer R ? (R extends unknown ? Omit<R, 'seq'> : never) : never;

/** Commits (transactions) and requests so far: requests / commits is the mean group size. */
export interface WriterStats {
  commits: number;
  requests: number;
}

/** Where the store's writes go. */
export interface Writer {
  /** Resolves with the request's two counts after its group committed; rejects when it rolled back. */
  write(op: WriteOp): Promise<[number, number]>;
  /** Whether writes are accepted (started, not failed, not closing). */
  alive(): boolean;
  stats(): WriterStats;
  /** Drains every accepted write (each commits or fails), then closes the write connection. */
  close(): Promise<void>;
}

/** An error of a write, rebuilt from the writer's reply (keeps SQLite's code, e.g. SQLITE_CONSTRAINT_NOTNULL). */
export class WriteError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

type Pending = { resolve: (v: [number, number]) => void; reject: (e: Error) => void };

/** Settles the pending requests of one group's replies and counts the group. */
function settle(pending: Map<number, Pending>, stats: WriterStats, replies: readonly WriteReply[]): void {
  stats.commits++;
  stats.requests += replies.length;
  for (const r of replies) {
    const p = pending.get(r.seq);
    if (p === undefined) continue;
    pending.delete(r.seq);
    if (r.ok) p.resolve([r.a, r.b]);
    else p.reject(new WriteError(r.message, r.code));
  }
}

/**
 * Starts the writer thread on `file` (already migrated) and resolves once its connection is open
 * (sqlite-writer-thread.js from dist/, the .ts file from the sources: see ops/worker-entry.ts).
 */
export function startWriterThread(file: string): Promise<Writer> {
  const worker = startWorkerBeside(import.meta.url, 'sqlite-writer-thread', { workerData: { file } });
  const pending = new Map<number, Pending>();
  const stats: WriterStats = { commits: 0, requests: 0 };
  let state: 'starting' | 'ready' | 'closing' | 'closed' | 'failed' = 'starting';
  let failure: Error | null = null;
  let seq = 0;
  let closed: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  return new Promise<Writer>((resolveStart, rejectStart) => {
    const fail = (err: Error): void => {
      if (state === 'closed' || state === 'failed') return;
      const starting = state === 'starting';
      state = 'failed';
      failure = err;
      for (const p of pending.values()) p.reject(new Error('the store writer thread failed; the write was not committed', { cause: err }));
      pending.clear();
      if (starting) rejectStart(new Error(`cannot start the store writer for "${file}"`, { cause: err }));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the store writer thread exited (code ${code})`)));
    worker.on('message', (m: FromWriter) => {
      if (m.type === 'group') settle(pending, stats, m.replies);
      else if (m.type === 'ready' && state === 'starting') {
        state = 'ready';
        resolveStart(writer);
      } else if (m.type === 'closed') state = 'closed';
    });
    const writer: Writer = {
      write(op) {
        if (state !== 'ready') return Promise.reject(new Error(state === 'failed' ? 'the store writer thread failed' : 'the store is closed', failure === null ? undefined : { cause: failure }));
        const id = ++seq;
        return new Promise<[number, number]>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          // Packed events are moved, not copied, to the writer thread.
          worker.postMessage({ ...op, seq: id }, op.op === 'packed-events' ? [op.packed] : []);
        });
      },
      alive: () => state === 'ready',
      stats: () => ({ ...stats }),
      close: () =>
        (closed ??= (async () => {
          if (state === 'ready') {
            state = 'closing';
            worker.postMessage({ op: 'close' } satisfies ToWriter);
          } else if (state !== 'closed') await worker.terminate();
          await exited;
        })()),
    };
  });
}

/**
 * A writer on the caller's own connection (for `:memory:`, which a thread cannot share): the same
 * group commit, grouping the requests made in one turn of the event loop.
 */
export function inlineWriter(db: Database.Database): Writer {
  const commitGroup = createGroupCommitter(db);
  const pending = new Map<number, Pending>();
  const stats: WriterStats = { commits: 0, requests: 0 };
  let queue: WriteRequest[] = [];
  let seq = 0;
  let open = true;
  const flush = (): void => {
    const group = queue;
    queue = [];
    if (group.length > 0) settle(pending, stats, commitGroup(group));
  };
  return {
    write(op) {
      if (!open) return Promise.reject(new Error('the store is closed'));
      const id = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        if (queue.push(unwire({ ...op, seq: id })) === 1) setImmediate(flush);
      });
    },
    alive: () => open,
    stats: () => ({ ...stats }),
    close() {
      open = false;
      flush();
      return Promise.resolve();
    },
  };
}
