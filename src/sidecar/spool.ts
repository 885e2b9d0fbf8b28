/**
 * The bounded on-disk spool of capture batches the daemon could not take. One file per batch, the
 * exact body to POST (CloudEvents JSON or a compact capture batch; bytes kept as they are), named `<seq>-<events>.batch.json` so order and event counts survive a
 * restart. Crash-safe: write to a `.tmp` file, fsync it, rename, fsync the directory; a `.tmp` left by a
 * crash is deleted at open. When a new batch would exceed the byte bound, the oldest batches are
 * deleted first (drop oldest) and their events reported as dropped.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A spooled batch. */
export interface SpoolEntry {
  name: string;
  events: number;
  bytes: number;
}

const NAME = /^(\d{16})-(\d+)\.batch\.json$/;

async function fsyncPath(path: string, flags: string): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The spool directory. All writes and deletions are serialized on one promise chain. */
export class Spool {
  private entries: SpoolEntry[] = [];
  private seq = 0;
  private total = 0;
  private chain: Promise<unknown> = Promise.resolve();
  /** A batch being sent right now: never evicted under the sender. */
  private busy: string | undefined;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** Opens (creating) the directory and indexes batches left by an earlier run. */
  static async open(dir: string, maxBytes: number): Promise<Spool> {
    const spool = new Spool(dir, maxBytes);
    try {
      await mkdir(dir, { recursive: true });
      for (const name of (await readdir(dir)).sort()) {
        if (name.endsWith('.tmp')) {
          await rm(join(dir, name), { force: true });
          continue;
        }
        const m = NAME.exec(name);
        if (m === null) continue;
        const bytes = (await stat(join(dir, name))).size;
        spool.entries.push({ name, events: Number(m[2]), bytes });
        spool.total += bytes;
        spool.seq = Math.max(spool.seq, Number(m[1]));
      }
    } catch (cause) {
      throw new Error(`cannot open the capture spool "${dir}"`, { cause });
    }
    return spool;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Writes a batch durably; resolves to the number of events dropped to make room (or this batch's, if it never fits). */
  write(body: string | Buffer, events: number): Promise<number> {
    return this.serial(async () => {
      const size = Buffer.byteLength(body);
      if (size > this.maxBytes) return events;
      let dropped = 0;
      while (this.total + size > this.maxBytes) {
        const victim = this.entries.findIndex((e) => e.name !== this.busy);
        if (victim < 0) return dropped + events;
        const [e] = this.entries.splice(victim, 1);
        if (e === undefined) break;
        await rm(join(this.dir, e.name), { force: true });
        this.total -= e.bytes;
        dropped += e.events;
      }
      this.seq += 1;
      const name = `${String(this.seq).padStart(16, '0')}-${events}.batch.json`;
      const tmp = join(this.dir, `${name}.tmp`);
      try {
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(body);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, join(this.dir, name));
      } catch (err) {
        // Disk full, I/O error: no partial file is left behind for the next start to find.
        await rm(tmp, { force: true }).catch(() => undefined);
        throw err;
      }
      await fsyncPath(this.dir, 'r');
      this.entries.push({ name, events, bytes: size });
      this.total += size;
      return dropped;
    });
  }

  /** The oldest batch, marked busy (not evicted) until `release` or `remove`. */
  async takeOldest(): Promise<{ entry: SpoolEntry; body: Buffer } | undefined> {
    return this.serial(async () => {
      for (;;) {
        const entry = this.entries[0];
        if (entry === undefined) return undefined;
        try {
          const body = await readFile(join(this.dir, entry.name));
          this.busy = entry.name;
          return { entry, body };
        } catch {
          // Unreadable (removed by hand, corrupt disk): forget it and go on.
          this.entries.shift();
          this.total -= entry.bytes;
        }
      }
    });
  }

  /** Deletes a delivered batch. */
  remove(entry: SpoolEntry): Promise<void> {
    return this.serial(async () => {
      await rm(join(this.dir, entry.name), { force: true });
      const i = this.entries.findIndex((e) => e.name === entry.name);
      if (i >= 0) {
        this.entries.splice(i, 1);
        this.total -= entry.bytes;
      }
      if (this.busy === entry.name) this.busy = undefined;
    });
  }

  /** Unmarks a batch that could not be delivered (it stays first in line). */
  release(): void {
    this.busy = undefined;
  }

  get length(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.total;
  }

  /** Waits for pending writes. */
  async idle(): Promise<void> {
    await this.chain;
  }
}
