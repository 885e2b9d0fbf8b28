/** A webhook receiver for Alertmanager notifications, run by a test on 127.0.0.1 (free port). */
import { createServer, type Server } from 'node:http';

/** One notification (Alertmanager's webhook payload, the fields tests read). */
export interface Notification {
  path: string;
  status: 'firing' | 'resolved';
  receiver: string;
  alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; endsAt: string }>;
}

/** A running webhook server: every POST body is recorded with its path. */
export interface WebhookServer {
  url: string;
  received: Notification[];
  /** Resolves with the first notification matching `pred`, or rejects after timeoutMs. */
  waitFor(pred: (n: Notification) => boolean, timeoutMs?: number): Promise<Notification>;
  stop(): Promise<void>;
}

/** Starts the receiver. */
export async function startWebhook(): Promise<WebhookServer> {
  const received: Notification[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push({ ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Notification, 'path'>), path: req.url ?? '/' });
      } catch {
        // not a notification: ignored
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('webhook server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    async waitFor(pred, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(pred);
        if (hit !== undefined) return hit;
        if (Date.now() > deadline) throw new Error(`no matching notification in ${timeoutMs} ms; got ${JSON.stringify(received)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
