/**
 * `modelslo demo`: the three jobs and the rollback, seen happening on this machine through the
 * real parts (src/demo/run-demo.ts). This file is the command: flags, the live status line,
 * Ctrl-C, exit codes.
 */
import type { Command } from 'commander';
import { DEMO_EXIT, runDemo } from '../demo/run-demo.js';
import { INSTALL_COMMAND } from '../demo/real-servers.js';
import { createLogger } from '../ops/logger.js';
import { ExitError, UsageError } from './errors.js';

const HELP = `
Runs on 127.0.0.1, in about two minutes: the toy KServe predictor in two revisions with a sidecar
each, the daemon (SQLite under --out), a real Prometheus scraping them and evaluating the generated
rules, a real Alertmanager with the generated routing delivering to webhooks the demo prints from,
and a Kubernetes API STAND-IN holding the InferenceService. Acts: healthy traffic; an incident
(page to the on-call); input drift (ModelDrift ticket to the owners); a bad canary (rolled back
through the Kubernetes API); the postmortem report. Ends with a summary table.

Prometheus and Alertmanager are looked up in PROMETHEUS_BIN / ALERTMANAGER_BIN, then on PATH and
in /usr/bin; without them: ${INSTALL_COMMAND}
Logs of the parts: MODELSLO_LOG_LEVEL=info (default error). See docs/demo.md.

Exit codes:
  0    every act happened (page, drift ticket, rollback, report, no capture lost)
  2    a part could not start
  3    the demo ran but an act did not happen (the summary marks it ✘)
  4    ran partially: Prometheus or Alertmanager is missing (the daemon evaluated the SLOs itself)
  130  interrupted (SIGINT or SIGTERM); every part was stopped`;

/** Registers the command. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job end to end: paging, drift tickets, canary rollback and a postmortem, through a real Prometheus and Alertmanager')
    .option('-o, --out <dir>', 'where the config, generated files, database and report go', './.modelslo/demo')
    .addHelpText('after', HELP)
    .action(async (opts: { out: string }) => {
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals): void => {
        process.stderr.write(`\n${signal}: stopping every part of the demo\n`);
        controller.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const tty = process.stderr.isTTY;
      let statusShown = false;
      let ticks = 0;
      const clearStatus = (): void => {
        if (statusShown) process.stderr.write('\r\x1b[K');
        statusShown = false;
      };
      try {
        const result = await runDemo({
          out: opts.out,
          signal: controller.signal,
          log: createLogger('demo', process.env.MODELSLO_LOG_LEVEL ?? 'error'),
          progress: (s) => (clearStatus(), process.stderr.write(`${s}\n`)),
          print: (s) => (clearStatus(), process.stdout.write(`${s}\n`)),
          status: (s) => {
            if (tty) {
              process.stderr.write(`\r\x1b[K${s}`);
              statusShown = true;
            } else if (ticks++ % 10 === 0) process.stderr.write(`${s}\n`);
          },
        });
        clearStatus();
        if (result.exitCode === DEMO_EXIT.partial) throw new ExitError(`demo ran partially: missing ${result.missing.join(', ')}; install them with: ${INSTALL_COMMAND}`, DEMO_EXIT.partial);
        if (result.exitCode === DEMO_EXIT.interrupted) throw new ExitError('demo interrupted; every part was stopped', DEMO_EXIT.interrupted);
        if (result.exitCode !== DEMO_EXIT.ok) throw new ExitError(`demo: not everything happened: ${result.outcomes.filter((x) => !x.ok).map((x) => `${x.what} (${x.detail})`).join('; ')}`, DEMO_EXIT.failed);
      } catch (err) {
        clearStatus();
        if (err instanceof ExitError) throw err;
        throw new UsageError(`demo failed to start: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
