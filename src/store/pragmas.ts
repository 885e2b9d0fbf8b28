/**
 * The connection settings of every store connection.
 *
 * Durability: "acknowledged means durable". WAL with `synchronous = FULL` syncs the WAL on every
 * commit, so a committed transaction survives a process kill and a power loss; `NORMAL` in WAL mode
 * survives a process crash but may lose the last commits on power loss, which would break the
 * promise behind a 2xx. The writer thread commits many requests per transaction (group commit), so
 * FULL costs one fsync per group, not per request.
 */
import type Database from 'better-sqlite3';

/** Applies WAL, synchronous=FULL, the busy timeout and the cache settings. */
export function applyPragmas(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // A 64 MiB page cache keeps the unique and time indexes hot under batch inserts.
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
}
