/**
 * A predictor that takes a known time to load: `GET /v2/health/ready` and `GET /v1/models/<m>`
 * answer 503 / `{"ready": false}` until `loadMs` after each start, then 200 / `{"ready": true}`;
 * inference answers 503 while loading, 200 after; `/v2/models/slow/infer` is held until released.
 * It can be stopped and started again on the same port (a restarted model server).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { freePort } from './free-port.js';

/** A loading predictor under test control. */
export interface LoadingPredictor {
  url: string;
  /** Listens and starts loading; ready `loadMs` later. */
  start(loadMs: number): Promise<void>;
  /** Stops listening and closes every connection (held requests too). */
  stop(): Promise<void>;
  /** performance.now() of the last start plus its load time: when it answers ready. */
  readyAt: number;
  /** performance.now() of the last stop. */
  stoppedAt: number;
  /** Slow requests held now. */
  held(): number;
  /** Answers every held slow request. */
  release(): void;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Creates the predictor on a free port of 127.0.0.1 (not yet listening). */
export async function loadingPredictor(): Promise<LoadingPredictor> {
  const port = await freePort();
  let server: Server | undefined;
  let held: ServerResponse[] = [];
  const p: LoadingPredictor = {
    url: `http://127.0.0.1:${port}`,
    readyAt: Number.POSITIVE_INFINITY,
    stoppedAt: Number.NaN,
    async start(loadMs) {
      const s = createServer((req, res) => {
        req.resume();
        const ready = performance.now() >= p.readyAt;
        const path = req.url ?? '/';
        if (path === '/v2/health/ready') reply(res, ready ? 200 : 503, { ready });
        else if (path.startsWith('/v1/models/') && !path.includes(':')) reply(res, 200, { name: path.slice('/v1/models/'.length), ready });
        else if (!ready) reply(res, 503, { error: 'model is loading' });
        else if (path === '/v2/models/slow/infer') req.on('end', () => held.push(res));
        else reply(res, 200, { model_name: 'm', outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: [0.5] }] });
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', resolve);
      });
      server = s;
      p.readyAt = performance.now() + loadMs;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s === undefined) return;
      p.stoppedAt = performance.now();
      p.readyAt = Number.POSITIVE_INFINITY;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections();
      held = [];
      await closed;
    },
    held: () => held.length,
    release() {
      for (const res of held) reply(res, 200, { model_name: 'slow', outputs: [] });
      held = [];
    },
  };
  return p;
}
