/** The sidecar's resolved settings: config file (optional) + flags + the environment KServe/Knative set. */
import { randomBytes } from 'node:crypto';
import type { CaptureSettings, Config, Model, SidecarSettings } from '../model/types.js';
import { durationSeconds } from '../slo/burn-windows.js';

/** Capture settings of one model (sampling and redaction). */
export interface ModelCapture {
  sampleRate: number;
  redact: CaptureSettings['redact'];
}

/** Everything the sidecar needs, resolved once at start. */
export interface SidecarOptions {
  /** Base URL of the predictor, e.g. http://127.0.0.1:8080. */
  upstream: string;
  host: string;
  port: number;
  /** Base URL of the daemon (events go to `{daemon}/v1/events`). */
  daemon: string;
  /** OTLP/HTTP traces endpoint; default `{daemon}/v1/traces`. */
  otlpEndpoint: string;
  /** Head-sampling ratio of request spans (root spans; a sampled parent is always followed). */
  traceSampleRatio: number;
  token: string | undefined;
  /** The model of paths that name none (and of metrics on them); from --model or K_SERVICE. */
  defaultModel: string;
  namespace: string;
  revision: string;
  /** "default" or "canary". */
  endpoint: string;
  /** One deadline from arrival to the last byte, waiting for a pooled connection included. */
  upstreamTimeoutMs: number;
  /** Pooled keep-alive connections to the predictor. */
  upstreamConnections: number;
  /** Requests that may wait for a pooled connection beyond those; past it 503 at once. */
  upstreamQueue: number;
  /** How long a client may take to send a request's headers (slowloris guard). */
  clientHeadersTimeoutMs: number;
  /** The whole shutdown: drain in-flight requests, then deliver or spool captures, then stop. */
  shutdownBudgetMs: number;
  /** Path probed on the predictor by /readyz and the readiness watcher (`{model}` already replaced). */
  readyPath: string;
  /** Readiness polling: every intervalMs, each probe cut at timeoutMs; requests within warmupMs of readiness are cold starts. */
  readiness: { intervalMs: number; timeoutMs: number; warmupMs: number };
  /** Histogram bounds in seconds: every configured bucket and latency threshold. */
  bucketsSeconds: number[];
  models: Map<string, ModelCapture>;
  /** Used for models the config does not list. */
  fallbackCapture: ModelCapture;
  capture: {
    bodyLimitBytes: number;
    queueEvents: number;
    batchEvents: number;
    batchBytes: number;
    batchIntervalMs: number;
    spoolDir: string;
    spoolBytes: number;
  };
  /** HMAC key of `hash` redactions. */
  redactKey: Buffer;
  /** Shipping: timeout of one POST, retries before spooling, replay backoff bounds. */
  ship: { timeoutMs: number; retries: number; backoffBaseMs: number; backoffMaxMs: number };
}

/** Defaults of the `sidecar` config section (the schema's defaults). */
export const DEFAULT_SIDECAR_SETTINGS: SidecarSettings = {
  upstreamTimeout: '60s',
  upstreamConnections: 256,
  upstreamQueue: 256,
  shutdownTimeout: '25s',
  traceSampleRatio: 0.1,
  readiness: { path: '/v2/health/ready', interval: '1s', timeout: '1s', warmup: '60s' },
  capture: { bodyLimitBytes: 64 * 1024, queueEvents: 10_000, batchEvents: 500, batchBytes: 8 * 1024 * 1024, batchInterval: '1s', spoolDir: './.modelslo/spool', spoolBytes: 256 * 1024 * 1024 },
};

/** Default histogram bounds (ms) when no config is given (same as the spec's defaults). */
export const DEFAULT_BUCKETS_MS = [5, 10, 25, 50, 100, 200, 250, 500, 1000, 2500, 5000, 10000];

/** Flags and environment, as given on the command line. */
export interface SidecarInputs {
  upstream: string;
  listen: { host: string; port: number };
  daemon: string;
  otlpEndpoint?: string;
  traceSampleRatio?: number;
  model?: string;
  namespace?: string;
  revision?: string;
  endpoint?: string;
  token?: string;
  readyPath?: string;
  /** Durations such as 1s or 500ms (flags --ready-interval, --ready-timeout, --warmup). */
  readyInterval?: string;
  readyTimeout?: string;
  warmup?: string;
  redactKey?: Buffer;
}

function baseUrl(text: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${flag} must be an http(s) URL such as http://127.0.0.1:8080, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${flag} must be http or https, got "${url.protocol}"`);
  return url.href.replace(/\/+$/, '');
}

function sampleRatio(r: number): number {
  if (!(r >= 0 && r <= 1)) throw new Error(`--trace-sample-ratio must be a number in [0, 1], got "${r}"`);
  return r;
}

/** Milliseconds of a duration flag or setting; `positive`: 0 is refused. */
function durationMs(text: string, flag: string, positive: boolean): number {
  let s: number;
  try {
    s = durationSeconds(text);
  } catch {
    throw new Error(`${flag} must be a duration such as 1s or 500ms, got "${text}"`);
  }
  if (positive && s <= 0) throw new Error(`${flag} must be more than 0, got "${text}"`);
  return s * 1000;
}

/** The readiness path with `{model}` replaced (V1: /v1/models/{model}). */
function readyPathFor(path: string, model: string): string {
  if (!path.startsWith('/')) throw new Error(`--ready-path must be a path such as /v2/health/ready or /v1/models/{model}, got "${path}"`);
  if (path.includes('{model}') && model === '') throw new Error(`--ready-path "${path}" names {model} but no model is known: give --model (or K_SERVICE, or a config with a model)`);
  return path.replaceAll('{model}', encodeURIComponent(model));
}

/** Model name from Knative's K_SERVICE (`<isvc>-predictor` or older `<isvc>-predictor-default`). */
export function modelFromService(service: string | undefined): string | undefined {
  if (service === undefined || service === '') return undefined;
  return service.replace(/-predictor(-default)?$/, '');
}

/** The histogram bounds (seconds) covering every model's buckets and latency thresholds. */
export function bucketsFor(models: readonly Model[]): number[] {
  const ms = new Set<number>(models.length === 0 ? DEFAULT_BUCKETS_MS : []);
  for (const m of models) {
    for (const b of m.latencyBucketsMs) ms.add(b);
    for (const s of m.slos) if (s.sli.kind === 'latency') ms.add(s.sli.thresholdMs);
  }
  // ms/1000 is exactly how leSeconds() (the rules) writes the le label.
  return [...ms].sort((a, b) => a - b).map((b) => b / 1000);
}

/** Resolves flags, env and config (optional) into options. Precedence: flag, env, config, default. */
export function resolveOptions(inputs: SidecarInputs, config: Config | undefined, env: NodeJS.ProcessEnv = process.env): SidecarOptions {
  const daemon = baseUrl(inputs.daemon, '--daemon');
  const settings = config?.sidecar ?? DEFAULT_SIDECAR_SETTINGS;
  const defaultModel = inputs.model ?? modelFromService(env.K_SERVICE) ?? config?.models[0]?.name ?? '';
  const configured = config?.models.find((m) => m.name === defaultModel);
  const namespace = inputs.namespace ?? env.POD_NAMESPACE ?? configured?.namespace ?? 'default';
  const models = new Map<string, ModelCapture>();
  for (const m of config?.models ?? []) if (m.namespace === namespace || !models.has(m.name)) models.set(m.name, m.capture);
  const endpoint = inputs.endpoint ?? env.MODELSLO_ENDPOINT ?? 'default';
  if (endpoint !== 'default' && endpoint !== 'canary') throw new Error(`--endpoint must be default or canary, got "${endpoint}"`);
  const c = settings.capture;
  const r = settings.readiness;
  return {
    upstream: baseUrl(inputs.upstream, '--upstream'),
    host: inputs.listen.host,
    port: inputs.listen.port,
    daemon,
    otlpEndpoint: inputs.otlpEndpoint === undefined ? `${daemon}/v1/traces` : baseUrl(inputs.otlpEndpoint, '--otlp-endpoint'),
    traceSampleRatio: sampleRatio(inputs.traceSampleRatio ?? settings.traceSampleRatio),
    token: inputs.token,
    defaultModel,
    namespace,
    revision: inputs.revision ?? env.K_REVISION ?? '',
    endpoint,
    upstreamTimeoutMs: durationSeconds(settings.upstreamTimeout) * 1000,
    upstreamConnections: settings.upstreamConnections,
    upstreamQueue: settings.upstreamQueue,
    clientHeadersTimeoutMs: 10_000,
    shutdownBudgetMs: durationSeconds(settings.shutdownTimeout) * 1000,
    readyPath: readyPathFor(inputs.readyPath ?? r.path, defaultModel),
    readiness: {
      intervalMs: durationMs(inputs.readyInterval ?? r.interval, inputs.readyInterval === undefined ? 'sidecar.readiness.interval' : '--ready-interval', true),
      timeoutMs: durationMs(inputs.readyTimeout ?? r.timeout, inputs.readyTimeout === undefined ? 'sidecar.readiness.timeout' : '--ready-timeout', true),
      warmupMs: durationMs(inputs.warmup ?? r.warmup, inputs.warmup === undefined ? 'sidecar.readiness.warmup' : '--warmup', false),
    },
    bucketsSeconds: bucketsFor(config?.models ?? []),
    models,
    fallbackCapture: { sampleRate: 1, redact: [] },
    capture: {
      bodyLimitBytes: c.bodyLimitBytes,
      queueEvents: c.queueEvents,
      batchEvents: c.batchEvents,
      batchBytes: c.batchBytes,
      batchIntervalMs: durationSeconds(c.batchInterval) * 1000,
      spoolDir: c.spoolDir,
      spoolBytes: c.spoolBytes,
    },
    // Unset: a random key per process (hashes then differ across restarts and pods, but cannot be brute-forced).
    redactKey: inputs.redactKey ?? (env.MODELSLO_REDACT_KEY ? Buffer.from(env.MODELSLO_REDACT_KEY, 'utf8') : randomBytes(32)),
    ship: { timeoutMs: 30_000, retries: 2, backoffBaseMs: 200, backoffMaxMs: 5_000 },
  };
}
