/**
 * The demo's webhook receivers: the URLs the demo config gives Alertmanager for the on-call and
 * each owner (`/<receiver>`). Every notification is kept with the time it arrived and told to
 * `onNotification` (the demo prints it).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One alert of an Alertmanager webhook notification (the fields the demo reads). */
export interface NotifiedAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

/** One notification as received. */
export interface Notification {
  /** The receiver, from the path the notification was posted to. */
  path: string;
  receivedMs: number;
  status: 'firing' | 'resolved';
  receiver: string;
  alerts: NotifiedAlert[];
}

/** A running inbox. */
export interface Inbox {
  url: string;
  received: Notification[];
  stop(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;

/** Starts the inbox on 127.0.0.1 (a free port). */
export async function startInbox(onNotification: (n: Notification) => void = () => undefined): Promise<Inbox> {
  const received: Notification[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= BODY_LIMIT) chunks.push(c);
    });
    req.on('end', () => {
      if (req.method !== 'POST' || size > BODY_LIMIT) return void res.writeHead(size > BODY_LIMIT ? 413 : 405).end();
      try {
        const n = { ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Notification, 'path' | 'receivedMs'>), path: (req.url ?? '/').slice(1), receivedMs: Date.now() };
        received.push(n);
        onNotification(n);
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
