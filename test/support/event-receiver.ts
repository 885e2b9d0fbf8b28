/**
 * A test receiver of the sidecar's capture batches and OTLP traces. It is NOT the daemon: it records
 * what arrives (the daemon accepts the same format) and can be up, down (not listening), slow
 * (answers after `slowMs`) or restarting, always on the same port.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One received POST. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** A receiver on a fixed port. */
export interface EventReceiver {
  url: string;
  port: number;
  received: Received[];
  /** The CloudEvents of every `/v1/events` batch, in arrival order. */
  events(): Array<Record<string, unknown>>;
  /** Delay before answering (0: answer at once). */
  slowMs: number;
  /** Status to answer with. */
  status: number;
  up(): Promise<void>;
  down(): Promise<void>;
  isUp(): boolean;
}

/** Starts a receiver (up) on 127.0.0.1. */
export async function startEventReceiver(): Promise<EventReceiver> {
  let server: Server | undefined;
  let port = 0;
  const r: EventReceiver = {
    url: '',
    port: 0,
    received: [],
    slowMs: 0,
    status: 200,
    events: () =>
      r.received
        .filter((x) => x.path === '/v1/events')
        .flatMap((x) => JSON.parse(x.body.toString('utf8')) as Array<Record<string, unknown>>),
    async up() {
      if (server !== undefined) return;
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const answer = (): void => {
            if (res.destroyed || req.socket.destroyed) return;
            // Recorded only when the answer is sent, as a real server commits after processing.
            if (r.status < 300) r.received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
            res.writeHead(r.status, { 'content-type': 'application/json' }).end('{}');
          };
          if (r.slowMs > 0) setTimeout(answer, r.slowMs);
          else answer();
        });
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', resolve);
      });
      port = (s.address() as AddressInfo).port;
      r.port = port;
      r.url = `http://127.0.0.1:${port}`;
      server = s;
    },
    async down() {
      const s = server;
      if (s === undefined) return;
      server = undefined;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    isUp: () => server !== undefined,
  };
  await r.up();
  return r;
}
