/** The bounded in-memory queue between the request path and the capture worker. */

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

/**
 * A ring buffer of exchanges. `push` is O(1) and never blocks: when full it overwrites the oldest
 * and reports it, so the request path never waits on capture.
 */
export class CaptureQueue {
  private readonly items: Array<RawExchange | undefined>;
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`capture queue capacity must be ≥ 1, got ${capacity}`);
    this.items = new Array<RawExchange | undefined>(capacity);
  }

  /** Adds an exchange; returns the exchange it evicted (oldest) when the queue was full. */
  push(x: RawExchange): RawExchange | undefined {
    let evicted: RawExchange | undefined;
    if (this.size === this.capacity) {
      evicted = this.items[this.head];
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size -= 1;
    }
    this.items[(this.head + this.size) % this.capacity] = x;
    this.size += 1;
    return evicted;
  }

  /** Removes and returns up to `n` of the oldest exchanges. */
  take(n: number): RawExchange[] {
    const out: RawExchange[] = [];
    while (out.length < n && this.size > 0) {
      const x = this.items[this.head];
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size -= 1;
      if (x !== undefined) out.push(x);
    }
    return out;
  }

  get length(): number {
    return this.size;
  }
}
