/** `modelslo sidecar`: the proxy beside a KServe predictor (metrics, traces, payload capture). */
import type { Command } from 'commander';
import type { Config } from '../model/types.js';
import { createLogger } from '../ops/logger.js';
import { parseListen } from '../ops/listen.js';
import { readSecret } from '../ops/secrets.js';
import { onShutdown } from '../ops/shutdown.js';
import { resolveOptions, type SidecarOptions } from '../sidecar/options.js';
import { startSidecar } from '../sidecar/sidecar.js';
import { UsageError } from './generate.js';
import { loadConfig } from './load-config.js';

interface SidecarFlags {
  upstream?: string;
  listen: string;
  daemon?: string;
  model?: string;
  namespace?: string;
  revision?: string;
  endpoint?: string;
  config?: string;
  tokenFile?: string;
  otlpEndpoint?: string;
  traceSampleRatio?: string;
  readyPath?: string;
  readyInterval?: string;
  readyTimeout?: string;
  warmup?: string;
  tracing: boolean;
}

const ENV_HELP = `
Environment:
  MODELSLO_TOKEN        bearer token for the daemon (when --token-file is not given)
  MODELSLO_REDACT_KEY   key of "hash" redactions (HMAC-SHA-256); unset: a random per-process key
  K_SERVICE             Knative service (<isvc>-predictor): the model name when --model is not given
  K_REVISION            Knative revision: the "revision" label and event attribute when --revision is not given
  POD_NAMESPACE         namespace (set it from the downward API, fieldRef metadata.namespace) when --namespace is not given
  MODELSLO_ENDPOINT     "default" or "canary" when --endpoint is not given
  MODELSLO_LOG_LEVEL    log level (default info); logs are JSON lines on stderr
Metrics on /metrics (docs/sidecar.md): requests, latency, capture health, requests in flight, and the
predictor's readiness polled at --ready-path: modelslo_predictor_ready, modelslo_predictor_load_seconds
(model load time), readiness transitions, and cold-start requests (not ready or within --warmup).
Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 invalid config, 2 usage error or cannot start.`;

/** Turns flags (and env, config) into options; throws UsageError naming the bad flag. */
export async function sidecarOptions(flags: SidecarFlags): Promise<SidecarOptions> {
  if (flags.upstream === undefined) throw new UsageError('--upstream URL is required (the predictor, e.g. http://127.0.0.1:8080)');
  if (flags.daemon === undefined) throw new UsageError('--daemon URL is required (where captures and traces go)');
  let listen: { host: string; port: number };
  try {
    listen = parseListen(flags.listen);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config: Config | undefined = flags.config === undefined ? undefined : await loadConfig(flags.config);
  let token: string | undefined;
  try {
    token = readSecret(flags.tokenFile, 'MODELSLO_TOKEN');
    return resolveOptions(
      { upstream: flags.upstream, listen, daemon: flags.daemon, otlpEndpoint: flags.otlpEndpoint, traceSampleRatio: flags.traceSampleRatio === undefined ? undefined : flags.traceSampleRatio.trim() === '' ? Number.NaN : Number(flags.traceSampleRatio), model: flags.model, namespace: flags.namespace, revision: flags.revision, endpoint: flags.endpoint, token, readyPath: flags.readyPath, readyInterval: flags.readyInterval, readyTimeout: flags.readyTimeout, warmup: flags.warmup },
      config,
    );
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Registers the command. */
export function registerSidecar(program: Command): void {
  program
    .command('sidecar')
    .description('proxy a KServe predictor: measure every request, capture payloads to the daemon, trace')
    .option('--upstream <url>', 'the predictor (model server) base URL')
    .option('--listen <host:port>', 'address to listen on', '0.0.0.0:8081')
    .option('--daemon <url>', 'the modelslo daemon base URL (events: {daemon}/v1/events)')
    .option('--model <name>', 'model of paths that name none (default: from K_SERVICE, else the first model of the config)')
    .option('--namespace <ns>', 'namespace (default: POD_NAMESPACE, else the config, else "default")')
    .option('--revision <rev>', 'revision label (default: K_REVISION)')
    .option('--endpoint <name>', 'default | canary (default: MODELSLO_ENDPOINT, else default)')
    .option('-c, --config <file>', 'config file (optional: without it, defaults)')
    .option('--token-file <file>', 'file holding the daemon bearer token (else MODELSLO_TOKEN)')
    .option('--otlp-endpoint <url>', 'OTLP/HTTP traces URL (default {daemon}/v1/traces)')
    .option('--trace-sample-ratio <r>', 'share of request spans recorded, 0..1 (default: sidecar.trace_sample_ratio, else 0.1); a sampled incoming traceparent is always followed')
    .option('--ready-path <path>', 'predictor readiness path, polled for load time and cold starts and probed by /readyz; {model} is the model (default: sidecar.readiness.path, else /v2/health/ready; V1-only servers: /v1/models/{model})')
    .option('--ready-interval <duration>', 'how often the readiness path is polled (default: sidecar.readiness.interval, else 1s)')
    .option('--ready-timeout <duration>', 'a readiness probe not answered within this is not ready (default: sidecar.readiness.timeout, else 1s)')
    .option('--warmup <duration>', 'requests within this after the predictor became ready count as cold starts (default: sidecar.readiness.warmup, else 60s)')
    .option('--no-tracing', 'do not export spans')
    .addHelpText('after', ENV_HELP)
    .action(async (flags: SidecarFlags) => {
      const opts = await sidecarOptions(flags);
      const log = createLogger('sidecar');
      let sidecar;
      try {
        sidecar = await startSidecar(opts, { log, tracing: flags.tracing });
      } catch (err) {
        throw new UsageError(`sidecar could not start: ${(err as Error).message}${(err as Error).cause instanceof Error ? ` (${((err as Error).cause as Error).message})` : ''}`);
      }
      const running = sidecar;
      process.stderr.write(`modelslo sidecar: ${running.url} → ${opts.upstream}; captures → ${opts.daemon}/v1/events\n`);
      // The hard stop: the shutdown budget and 2 s more, still under Kubernetes' 30 s grace period.
      onShutdown(log, () => running.close(), opts.shutdownBudgetMs + 2_000);
      // Runs until a signal: onShutdown exits the process.
      await new Promise<never>(() => undefined);
    });
}
