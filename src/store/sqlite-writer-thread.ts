/**
 * The writer thread (worker_threads entry): owns the store's only write connection and commits the
 * requests queued while the previous group was committing as one group (group-commit.ts), so the
 * fsync of synchronous=FULL runs here, never on the daemon's event loop.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createGroupCommitter } from './group-commit.js';
import { SCHEMA_VERSION } from './migrations.js';
import { applyPragmas } from './pragmas.js';
import { EVENT_FIELDS, SPAN_FIELDS, unwire, type FromWriter, type ToWriter, type WriteReply, type WriteRequest } from './write-messages.js';

/** At most this many rows (events, spans…) per group, so one group's commit stays short. */
const GROUP_ROWS = 10_000;

if (parentPort === null) throw new Error('sqlite-writer-thread runs as a worker thread');
const port: MessagePort = parentPort;
const { file } = workerData as { file: string };

const db = new Database(file);
applyPragmas(db);
const version = db.pragma('user_version', { simple: true }) as number;
if (version !== SCHEMA_VERSION) throw new Error(`database "${file}" is at schema version ${version}, the writer needs ${SCHEMA_VERSION} (migrations run before the writer starts)`);
const commitGroup = createGroupCommitter(db);

const queue: WriteRequest[] = [];
let closing = false;
let scheduled = false;

const send = (m: FromWriter): void => port.postMessage(m);
const rowsOf = (r: WriteRequest): number => (r.op === 'events' ? r.rows.length / EVENT_FIELDS : r.op === 'spans' ? r.rows.length / SPAN_FIELDS : r.op === 'drift' || r.op === 'alerts' || r.op === 'labels' || r.op === 'judgements' ? r.records.length : 1);

function accept(m: ToWriter): void {
  if (m.op === 'close') closing = true;
  else queue.push(unwire(m));
}

/** Commits one group; if the transaction itself cannot start or end, every request of it fails (nothing of it committed). */
function commitSafely(group: WriteRequest[]): WriteReply[] {
  try {
    return commitGroup(group);
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    return group.map((r) => ({ seq: r.seq, ok: false, message, code: typeof code === 'string' ? code : null }));
  }
}

/** Takes everything already queued on the port, then commits groups until the queue is empty. */
function flush(): void {
  scheduled = false;
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) accept(m.message as ToWriter);
  while (queue.length > 0) {
    let n = 0;
    let take = 0;
    while (take < queue.length && (take === 0 || n < GROUP_ROWS)) n += rowsOf(queue[take++]!);
    send({ type: 'group', replies: commitSafely(queue.splice(0, take)) });
    // Requests that arrived during that commit join the next group.
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) accept(m.message as ToWriter);
  }
  if (closing) {
    db.close();
    send({ type: 'closed' });
    port.close();
  }
}

port.on('message', (m: ToWriter) => {
  accept(m);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
send({ type: 'ready' });
