/** `modelslo daemon`: CloudEvents and OTLP ingest into the store, and the status API. */
import type { Command } from 'commander';
import { startDaemon } from '../daemon/daemon.js';
import { createLogger } from '../ops/logger.js';
import { readSecret } from '../ops/secrets.js';
import { onShutdown } from '../ops/shutdown.js';
import { durationSeconds } from '../slo/burn-windows.js';
import { UsageError } from './errors.js';
import { loadConfig } from './load-config.js';

interface DaemonFlags {
  config: string;
  listen?: string;
  db?: string;
  tokenFile?: string;
  insecureNoAuth?: boolean;
}

/** Registers the command. */
export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('run the daemon: KServe/sidecar CloudEvents and OTLP trace ingest into SQLite, and the status API')
    .option('-c, --config <file>', 'config file', 'modelslo.yaml')
    .option('--listen <host:port>', 'listen address (default: daemon.listen, 127.0.0.1:9464)')
    .option('--db <file>', 'SQLite database file (default: daemon.db, ./.modelslo/modelslo.db)')
    .option('--token-file <file>', 'file holding the bearer token clients must send (else env MODELSLO_TOKEN)')
    .option('--insecure-no-auth', 'accept requests without a token (logs a warning; for local trials only)')
    .addHelpText('after', '\nRuns until SIGTERM or SIGINT, then finishes in-flight requests and closes the store.\nExit codes: 0 stopped cleanly, 1 invalid config or failed shutdown, 2 usage or start-up error (no token, unreadable files, port in use, newer database schema).')
    .action(async (opts: DaemonFlags) => {
      const config = await loadConfig(opts.config);
      let token: string | undefined;
      try {
        token = readSecret(opts.tokenFile, 'MODELSLO_TOKEN');
      } catch (err) {
        throw new UsageError(err instanceof Error ? err.message : String(err));
      }
      const log = createLogger('daemon');
      if (token === undefined && opts.insecureNoAuth !== true) {
        throw new UsageError('no token: pass --token-file FILE or set MODELSLO_TOKEN (or --insecure-no-auth for a local trial)');
      }
      if (token === undefined) log.warn('running WITHOUT authentication (--insecure-no-auth): anyone who can reach the port can write and read data');
      let daemon;
      try {
        daemon = await startDaemon({ config, token: token ?? null, log, ...(opts.listen ? { listen: opts.listen } : {}), ...(opts.db ? { db: opts.db } : {}) });
      } catch (err) {
        throw new UsageError(`${err instanceof Error ? err.message : String(err)}${err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : ''}`);
      }
      process.stderr.write(`modelslo daemon listening on ${daemon.url}\n`);
      // The hard stop: the shutdown budget and 2 s more, still under Kubernetes' 30 s grace period.
      onShutdown(log, () => daemon.close(), durationSeconds(config.daemon.shutdownTimeout) * 1000 + 2_000);
      // Keep the command pending until a signal ends the process.
      await new Promise<never>(() => {});
    });
}
