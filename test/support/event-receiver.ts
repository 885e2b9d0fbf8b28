/**
 * A test receiver of the sidecar's capture batches and OTLP traces. It is NOT the daemon: it records
 * what arrives (the daemon accepts the same format) and can be up, down (not listening), slow
 * (answers after `slowMs`) or restarting, always on the same port.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CAPTURE_BATCH_TYPE, captureRecords } from '../../src/ingest/capture-batch.js';

const LIMITS = { eventPayloadBytes: 16 * 1024 * 1024, jsonDepth: 64 };

/**
 * The CloudEvents of one received batch: a JSON batch as it is; a compact capture batch read by the
 * daemon's own decoder (ingest/capture-batch.ts) into the structured-mode events it stands for.
 */
export function batchEvents(x: Received): Array<Record<string, unknown>> {
  if (x.headers['content-type'] !== CAPTURE_BATCH_TYPE) return JSON.parse(x.body.toString('utf8')) as Array<Record<string, unknown>>;
  const got = captureRecords(x.body, LIMITS);
  if (!got.ok) throw new Error(`the receiver got a bad compact capture batch: ${got.error}`);
  return got.value.records.map((r) => ({
    ...r.attrs,
    ...(r.body.json !== undefined ? { data: r.body.json } : {}),
    ...(r.body.bytes !== undefined ? { data_base64: r.body.bytes.toString('base64') } : {}),
  }));
}

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
  /** The CloudEvents of every `/v1/events` batch, in arrival order (compact batches expanded). */
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
        .flatMap(batchEvents),
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
