/**
 * A small real KServe model server over node:http, V1 and V2 (Open Inference Protocol): the
 * predictor of `modelslo demo` and of the tests.
 *   V1  GET /v1/models/{m}, POST /v1/models/{m}:predict (predictions = the sum of each instance's numbers)
 *   V2  GET /v2, /v2/health/live, /v2/health/ready, /v2/models/{m}, /v2/models/{m}/ready,
 *       POST /v2/models/{m}/infer (output "sum" = per-row sums of the first input)
 *   POST /echo  returns the request body and content type byte for byte.
 * Knobs: per request, headers `x-test-status` (answer with this status) and `x-test-delay-ms`;
 * per server, `knobs.delayMs`, `knobs.ready`, `knobs.offset` (added to every prediction: a model
 * revision that predicts differently) and `knobs.failEvery` (every n-th inference answers 500; 0
 * never). Every request's headers are recorded.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running model server. */
export interface ModelServer {
  url: string;
  port: number;
  knobs: Knobs;
  /** Headers of every request received, in order. */
  seen: Array<{ path: string; headers: IncomingHttpHeaders; body: Buffer }>;
  stop(): Promise<void>;
}

/** Per-server behaviour, changeable while it runs. */
export interface Knobs {
  delayMs: number;
  ready: boolean;
  offset: number;
  failEvery: number;
}

const sumOf = (v: unknown): number => (typeof v === 'number' ? v : Array.isArray(v) ? v.reduce((a: number, x) => a + sumOf(x), 0) : typeof v === 'object' && v !== null ? sumOf(Object.values(v)) : 0);

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

function route(req: IncomingMessage, body: Buffer, res: ServerResponse, knobs: Knobs, counts: { inferences: number }): void {
  const url = req.url ?? '/';
  const forced = Number(req.headers['x-test-status'] ?? 0);
  if (forced >= 400) return json(res, forced, { error: `injected ${forced}` });
  if (req.method === 'POST' && knobs.failEvery > 0 && /:predict$|\/infer$/.test(url) && ++counts.inferences % knobs.failEvery === 0) return json(res, 500, { error: 'injected failure (knobs.failEvery)' });
  if (url === '/echo') {
    res.writeHead(forced || 200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': body.length });
    return void res.end(body);
  }
  if (url === '/v2/health/live') return json(res, 200, { live: true });
  if (url === '/v2/health/ready') return json(res, knobs.ready ? 200 : 503, { ready: knobs.ready });
  if (url === '/v2') return json(res, 200, { name: 'test-model-server', version: '1', extensions: [] });
  let m = /^\/v1\/models\/([^/:]+)(:predict)?$/.exec(url);
  if (m !== null) {
    if (m[2] === undefined) return json(res, 200, { name: m[1], ready: knobs.ready });
    let parsed: { instances?: unknown[] };
    try {
      parsed = JSON.parse(body.toString('utf8')) as { instances?: unknown[] };
    } catch {
      return json(res, 400, { error: 'request body is not JSON' });
    }
    if (!Array.isArray(parsed.instances)) return json(res, 400, { error: 'instances must be a list' });
    return json(res, 200, { predictions: parsed.instances.map((i) => sumOf(i) + knobs.offset) });
  }
  m = /^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?(\/infer|\/ready)?$/.exec(url);
  if (m !== null) {
    if (m[2] === undefined) return json(res, 200, { name: m[1], versions: ['1'], platform: 'test', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }], outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1] }] });
    if (m[2] === '/ready') return json(res, knobs.ready ? 200 : 503, { name: m[1], ready: knobs.ready });
    let parsed: { id?: string; inputs?: Array<{ data?: unknown[]; shape?: number[] }> };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      return json(res, 400, { error: 'request body is not JSON' });
    }
    const first = parsed.inputs?.[0];
    if (first === undefined || !Array.isArray(first.data)) return json(res, 400, { error: 'inputs[0].data must be a list' });
    const rows = first.shape?.[0] ?? 1;
    const width = Math.max(1, Math.floor(first.data.length / rows));
    const sums = Array.from({ length: rows }, (_, r) => sumOf(first.data?.slice(r * width, (r + 1) * width)) + knobs.offset);
    return json(res, 200, { model_name: m[1], id: parsed.id ?? '', outputs: [{ name: 'sum', datatype: 'FP32', shape: [rows], data: sums }] });
  }
  json(res, 404, { error: `no route ${url}` });
}

/** Starts the server on 127.0.0.1 (port 0: a free one). `record` keeps request headers and bodies. */
export async function startModelServer(opts: { port?: number; record?: boolean } = {}): Promise<ModelServer> {
  const knobs: Knobs = { delayMs: 0, ready: true, offset: 0, failEvery: 0 };
  const counts = { inferences: 0 };
  const seen: ModelServer['seen'] = [];
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (opts.record !== false) seen.push({ path: req.url ?? '/', headers: req.headers, body });
      const delay = Number(req.headers['x-test-delay-ms'] ?? 0) + knobs.delayMs;
      if (delay > 0) setTimeout(() => route(req, body, res, knobs, counts), delay);
      else route(req, body, res, knobs, counts);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    knobs,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
