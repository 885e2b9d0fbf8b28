/**
 * A real Prometheus (the Debian package's /usr/bin/prometheus, 2.42) for tests: started on
 * 127.0.0.1 with a free port and a temp dir, optionally over TSDB blocks backfilled with promtool,
 * queried through its HTTP API, and stopped with its temp dir removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';

/** How to start Prometheus. */
export interface PrometheusOptions {
  /**
   * The prometheus.yml text (global, rule_files, scrape_configs …). Relative paths in it resolve
   * against the temp dir, where `files` are written.
   */
  config: string;
  /** Extra files (rule files …) written into the temp dir before start: relative path → content. */
  files?: Record<string, string>;
  /** A dir of TSDB blocks (e.g. from backfillOpenMetrics) copied into the storage dir before start. */
  blocksDir?: string;
  /** OpenMetrics text backfilled into the storage dir before start (see backfillOpenMetrics). */
  openMetrics?: string;
  /** More command-line flags. */
  extraArgs?: string[];
  /** How long to wait for /-/ready; default 30 s. */
  readyTimeoutMs?: number;
}

/** One element of an instant vector. */
export interface VectorSample {
  metric: Record<string, string>;
  /** Timestamp in milliseconds (the query's evaluation time). */
  t: number;
  value: number;
}

/** One series of a range query. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: Array<{ t: number; value: number }>;
}

/** A running Prometheus. */
export interface PrometheusServer {
  url: string;
  /** The temp dir: config, rule files and `data/` (the TSDB). */
  dir: string;
  /** Instant query (`/api/v1/query`) at `timeSeconds` (default: now); the vector result. */
  query(expr: string, timeSeconds?: number): Promise<VectorSample[]>;
  /** Range query (`/api/v1/query_range`), times in seconds. */
  queryRange(expr: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<MatrixSeries[]>;
  /** GET of another API path (e.g. `/api/v1/rules`); the parsed `data` field. */
  api(path: string): Promise<unknown>;
  /** What Prometheus wrote to stderr so far (its log). */
  log(): string;
  /** SIGTERM, wait for the exit, remove the temp dir. */
  stop(): Promise<void>;
}

const LOG_LIMIT = 256 * 1024;

/** Keeps the tail of a child's output, for error messages. */
function captureTail(child: ChildProcess): () => string {
  let text = '';
  const add = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    if (text.length > LOG_LIMIT) text = text.slice(-LOG_LIMIT);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = captureTail(child);
    child.once('error', (err) => reject(new Error(`could not run ${cmd}`, { cause: err })));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(output());
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}:\n${output()}`));
    });
  });
}

/**
 * Writes OpenMetrics text to a temp file and turns it into TSDB blocks in `tsdbDir` with
 * `promtool tsdb create-blocks-from openmetrics`. The text needs `# TYPE` lines, timestamps in
 * seconds (whole seconds or milliseconds: promtool truncates ts×1000 to an integer), each series'
 * samples in increasing time order, and a final `# EOF`. promtool parses the whole file once per
 * block, so `maxBlockDuration` (a hidden promtool flag, default here 744h = 31d) keeps the block
 * count, and the time, small; promtool rounds it down to a compatible range (2h × 3^n).
 */
export async function backfillOpenMetrics(text: string, tsdbDir: string, maxBlockDuration = '744h'): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'modelslo-backfill-'));
  try {
    const file = join(tmp, 'input.om');
    await writeFile(file, text.endsWith('# EOF\n') || text.endsWith('# EOF') ? text : `${text}# EOF\n`);
    await mkdir(tsdbDir, { recursive: true });
    await run(PROMTOOL_BIN, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', `--max-block-duration=${maxBlockDuration}`, file, tsdbDir]);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Prometheus's JSON float ("1.5", "NaN", "+Inf"): exact, it prints the shortest round-trip text. */
function promFloat(text: unknown): number {
  if (typeof text !== 'string') throw new Error(`expected a sample value string, got ${JSON.stringify(text)}`);
  return Number(text);
}

interface ApiResponse {
  status: 'success' | 'error';
  data?: unknown;
  errorType?: string;
  error?: string;
}

/** Starts Prometheus and waits until it is ready; rejects (with its log) when it exits or hangs. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'modelslo-prometheus-'));
  const dataDir = join(dir, 'data');
  let child: ChildProcess | undefined;
  try {
    await mkdir(dataDir, { recursive: true });
    for (const [name, content] of Object.entries(options.files ?? {})) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    const configFile = join(dir, 'prometheus.yml');
    await writeFile(configFile, options.config);
    if (options.blocksDir !== undefined) {
      for (const entry of await readdir(options.blocksDir)) {
        await cp(join(options.blocksDir, entry), join(dataDir, entry), { recursive: true });
      }
    }
    if (options.openMetrics !== undefined) await backfillOpenMetrics(options.openMetrics, dataDir);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // The default 15d retention would delete backfilled blocks older than 15 days at start.
      '--storage.tsdb.retention.time=400d',
      '--web.enable-lifecycle',
      '--log.level=info',
      ...(options.extraArgs ?? []),
    ];
    const proc = spawn(PROMETHEUS_BIN, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const log = captureTail(proc);
    let exited: string | undefined;
    const exit = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        exited = `exited with ${code ?? signal}`;
        resolve();
      });
      proc.once('error', (err) => {
        exited = `could not start: ${err.message}`;
        resolve();
      });
    });

    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (exited !== undefined) throw new Error(`prometheus ${exited} before it was ready:\n${log()}`);
      try {
        const res = await fetch(`${url}/-/ready`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`prometheus not ready after ${options.readyTimeoutMs ?? 30_000} ms:\n${log()}`);
      await sleep(100);
    }

    const call = async (path: string, params?: Record<string, string>): Promise<unknown> => {
      const res = await fetch(`${url}${path}`, params === undefined ? undefined : { method: 'POST', body: new URLSearchParams(params) });
      const body = (await res.json()) as ApiResponse;
      if (body.status !== 'success') throw new Error(`prometheus ${path} ${JSON.stringify(params ?? {})}: ${body.errorType ?? ''} ${body.error ?? res.status}`);
      return body.data;
    };

    const server: PrometheusServer = {
      url,
      dir,
      async query(expr, timeSeconds) {
        const params: Record<string, string> = { query: expr };
        if (timeSeconds !== undefined) params.time = timeSeconds.toFixed(3);
        const data = (await call('/api/v1/query', params)) as { resultType: string; result: unknown };
        if (data.resultType === 'scalar') {
          const [t, v] = data.result as [number, string];
          return [{ metric: {}, t: Math.round(t * 1000), value: promFloat(v) }];
        }
        if (data.resultType !== 'vector') throw new Error(`query ${expr}: expected a vector, got ${data.resultType}`);
        return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({
          metric: r.metric,
          t: Math.round(r.value[0] * 1000),
          value: promFloat(r.value[1]),
        }));
      },
      async queryRange(expr, startSeconds, endSeconds, stepSeconds) {
        const data = (await call('/api/v1/query_range', {
          query: expr,
          start: startSeconds.toFixed(3),
          end: endSeconds.toFixed(3),
          step: String(stepSeconds),
        })) as { resultType: string; result: unknown };
        if (data.resultType !== 'matrix') throw new Error(`query_range ${expr}: expected a matrix, got ${data.resultType}`);
        return (data.result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>).map((r) => ({
          metric: r.metric,
          values: r.values.map(([t, v]) => ({ t: Math.round(t * 1000), value: promFloat(v) })),
        }));
      },
      api: (path) => call(path),
      log,
      async stop() {
        if (exited === undefined) {
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
          await exit;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
    return server;
  } catch (err) {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const proc = child;
      const gone = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
