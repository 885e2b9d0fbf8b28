/**
 * `modelslo demo`, the whole run: starts the stack, plays the acts (healthy traffic, an incident
 * paged through Prometheus and Alertmanager, input drift ticketed to the owners, a bad canary
 * rolled back through the Kubernetes API, the postmortem report), prints the summary and stops
 * every part, also on failure and on interruption. Without the Prometheus or Alertmanager binary it
 * runs the rest, with the daemon's own SLO evaluation in their place, and says what is missing.
 */
import { resolve, join } from 'node:path';
import type { Logger } from 'pino';
import { silentLogger } from '../ops/logger.js';
import { driftAct, healthyAct, incidentAct } from './acts-alerts.js';
import { accountingCheck, canaryAct, reportAct, type ReportFacts } from './acts-rollback.js';
import { outcome, type DemoContext, type Outcome } from './context.js';
import { DEMO_MODEL, DEMO_NS } from './demo-config.js';
import type { Notification } from './inbox.js';
import { mulberry32 } from './prng.js';
import { findBinary, INSTALL_COMMAND } from './real-servers.js';
import { ACCELERATION, startStack, type Stack } from './stack.js';
import { notificationPrinter, summaryLines } from './summary.js';
import { DemoInterrupted } from './wait.js';

/** Exit codes of `modelslo demo`. */
export const DEMO_EXIT = { ok: 0, failed: 3, partial: 4, interrupted: 130 } as const;

/** How to run the demo. */
export interface DemoOptions {
  /** Where everything is written (default ./.modelslo/demo). */
  out: string;
  progress?: (s: string) => void;
  print?: (s: string) => void;
  /** The live status line (elapsed time, act, requests), about once a second. */
  status?: (s: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Multiplies the acts' durations (the test uses less than 1). */
  scale?: number;
  /** Multiplies the timeouts. */
  patience?: number;
}

/** What happened, for the CLI's exit code and for tests to check on the real parts. */
export interface DemoResult {
  exitCode: number;
  outcomes: Outcome[];
  missing: string[];
  /** Child process ids (Prometheus, Alertmanager); all stopped when runDemo returns. */
  pids: number[];
  notifications: Notification[];
  /** spec.predictor.canaryTrafficPercent of the InferenceService at the end, as the stand-in holds it. */
  canaryTrafficPercent: unknown;
  accounting: { shipped: number; stored: number; sent: number } | undefined;
  report: ReportFacts | undefined;
  wallMs: number;
  summary: string[];
}

/** Runs the demo; resolves once every part is stopped. Rejects only when the stack cannot start. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const startMs = Date.now();
  const progress = o.progress ?? (() => undefined);
  const print = o.print ?? (() => undefined);
  const env = o.env ?? process.env;
  const prometheusBin = findBinary('prometheus', env);
  const alertmanagerBin = findBinary('alertmanager', env);
  const missing = [...(prometheusBin === undefined ? ['prometheus (or PROMETHEUS_BIN)'] : []), ...(alertmanagerBin === undefined ? ['alertmanager (prometheus-alertmanager, or ALERTMANAGER_BIN)'] : [])];
  if (missing.length > 0) {
    progress(`missing: ${missing.join(', ')}; install them with: ${INSTALL_COMMAND}`);
    progress('running what can run without them: the daemon evaluates the SLOs itself, and no alert is delivered');
  }
  const out = resolve(o.out);
  const stack: Stack = await startStack({ out, ...(missing.length === 0 ? { prometheusBin, alertmanagerBin } : {}), log: o.log ?? silentLogger(), progress, onNotification: notificationPrinter(print, startMs) });
  const ctx: DemoContext = { stack, startMs, rnd: mulberry32(20261125), stats: { sent: 0, failed: 0, byRevision: {} }, acts: [], outcomes: [], canaryToRollbackMs: null, pageDelayMs: null, signal: o.signal, patience: o.patience ?? 1, scale: o.scale ?? 1, progress, print, status: { act: 'starting', waiting: '' } };
  const ticker = setInterval(() => o.status?.(`[${((Date.now() - startMs) / 1000).toFixed(0)}s] ${ctx.status.act}: ${ctx.stats.sent} requests, ${ctx.stats.failed} 5xx${ctx.status.waiting === '' ? '' : `; waiting for ${ctx.status.waiting}`}`), 1_000);
  let interrupted = false;
  let report: ReportFacts | undefined;
  let accounting: DemoResult['accounting'];
  let summary: string[] = [];
  let canaryTrafficPercent: unknown;
  try {
    progress(`accelerated: scrape and rule evaluation every ${ACCELERATION.scrapeInterval}; burn alerts' for: ${stack.replacedFor.join('/')} → ${ACCELERATION.burnFor}; Alertmanager group_wait/group_interval/repeat_interval → ${ACCELERATION.alertmanagerTimers}; canary interval 1m → ${ACCELERATION.canaryInterval}; drift checked on request instead of every 5 min. The rules' windows, thresholds and routes are as generated.`);
    await healthyAct(ctx);
    const incident = await incidentAct(ctx, missing.length === 0);
    await driftAct(ctx, missing.length === 0);
    await canaryAct(ctx, missing.length === 0);
    report = await reportAct(ctx, incident, join(out, 'report'));
    const a = await accountingCheck(ctx);
    accounting = { ...a, sent: ctx.stats.sent };
    canaryTrafficPercent = (stack.standin.isvc(DEMO_NS, DEMO_MODEL) as { spec: { predictor: { canaryTrafficPercent?: number } } }).spec.predictor.canaryTrafficPercent;
  } catch (err) {
    if (err instanceof DemoInterrupted) interrupted = true;
    else outcome(ctx, 'the demo ran to its end', false, err instanceof Error ? err.message : String(err));
  } finally {
    clearInterval(ticker);
    if (!interrupted) summary = await summaryLines(ctx, report, Date.now() - startMs).catch((err: unknown) => [`(no summary: ${String(err)})`]);
    progress('stopping every part');
    await stack.stop();
  }
  const wallMs = Date.now() - startMs;
  if (summary.length > 0) summary[0] = summary[0]?.replace(/wall time [\d.]+ s/, `wall time ${(wallMs / 1000).toFixed(1)} s`) ?? '';
  for (const line of summary) print(line);
  const ok = ctx.outcomes.every((x) => x.ok) && ctx.outcomes.length > 0;
  const exitCode = interrupted ? DEMO_EXIT.interrupted : !ok ? DEMO_EXIT.failed : missing.length > 0 ? DEMO_EXIT.partial : DEMO_EXIT.ok;
  return { exitCode, outcomes: ctx.outcomes, missing, pids: stack.pids, notifications: [...stack.inbox.received], canaryTrafficPercent, accounting, report, wallMs, summary };
}
