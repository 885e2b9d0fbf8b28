/** What the demo's acts share: the running stack, the clock, the traffic counts, and how to tell the user. */
import type { Notification } from './inbox.js';
import { DEMO_MODEL, DEMO_NS } from './demo-config.js';
import type { Stack } from './stack.js';
import type { TrafficStats } from './traffic.js';
import { sleep, waitFor } from './wait.js';

/** One thing the demo set out to show, and whether it happened. */
export interface Outcome {
  what: string;
  ok: boolean;
  detail: string;
}

/** The state of a run. */
export interface DemoContext {
  stack: Stack;
  startMs: number;
  rnd: () => number;
  stats: TrafficStats;
  /** Requests sent per act, for the summary. */
  acts: Array<{ name: string; fromMs: number; toMs: number; sent: number }>;
  outcomes: Outcome[];
  /** Seconds from the canary's rollout to its rollback (null until it happened). */
  canaryToRollbackMs: number | null;
  /** From the incident's start to the page at the on-call's webhook (null until it arrived). */
  pageDelayMs: number | null;
  signal: AbortSignal | undefined;
  /** Timeouts are multiplied by this (slow machines). */
  patience: number;
  /** Shorter acts (the test): durations are multiplied by this. */
  scale: number;
  progress(s: string): void;
  print(s: string): void;
  /** The live status line's current act. */
  status: { act: string; waiting: string };
}

/** Seconds since the demo started, as "+12.3s". */
export const since = (ctx: DemoContext, ms: number): string => `+${((ms - ctx.startMs) / 1000).toFixed(1)}s`;

/** The traffic split of the InferenceService as the stand-in (playing KServe's controller) reports it: revision → percent. */
export function split(ctx: DemoContext): Map<string, number> {
  const o = ctx.stack.standin.isvc(DEMO_NS, DEMO_MODEL) as { status?: { components?: { predictor?: { traffic?: Array<{ revisionName: string; percent: number }> } } } } | undefined;
  const traffic = o?.status?.components?.predictor?.traffic ?? [];
  return new Map(traffic.filter((t) => t.percent > 0).map((t) => [t.revisionName, t.percent]));
}

/** The sidecars' URLs by revision. */
export const sidecarUrls = (ctx: DemoContext): Map<string, string> => new Map([...ctx.stack.sidecars].map(([r, s]) => [r, s.url]));

/** A call of the daemon's API with the demo's token; the parsed JSON. */
export async function daemonApi<T>(ctx: DemoContext, path: string, method = 'GET'): Promise<T> {
  const res = await fetch(`${ctx.stack.daemon.url}${path}`, { method, headers: { authorization: `Bearer ${ctx.stack.token}` } });
  if (!res.ok) throw new Error(`daemon ${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Whether `n` is a firing notification to `receiver` holding an alert with these labels. */
export const notifies = (n: Notification, receiver: string, labels: Record<string, string>): boolean =>
  n.path === receiver && n.status === 'firing' && n.alerts.some((a) => a.status === 'firing' && Object.entries(labels).every(([k, v]) => a.labels[k] === v));

/** The first firing notification to `receiver` with these labels, waiting up to `timeoutMs`. */
export function awaitNotification(ctx: DemoContext, receiver: string, labels: Record<string, string>, timeoutMs: number): Promise<Notification | undefined> {
  return waitFor(() => ctx.stack.inbox.received.find((n) => notifies(n, receiver, labels)), timeoutMs * ctx.patience, ctx.signal);
}

/** Posts every queued capture and waits until the daemon holds a joined prediction for every request sent. */
export async function flushAndWaitStored(ctx: DemoContext): Promise<number> {
  for (const s of ctx.stack.sidecars.values()) s.flushQueue();
  const joined = async (): Promise<number> => {
    const { models } = await daemonApi<{ models: Array<{ model: string; predictions: { joined: number } }> }>(ctx, '/api/v1/models');
    return models.find((m) => m.model === DEMO_MODEL)?.predictions.joined ?? 0;
  };
  const done = await waitFor(async () => ((await joined()) >= ctx.stats.sent ? true : undefined), 30_000 * ctx.patience, ctx.signal);
  if (done === undefined) throw new Error(`only ${await joined()} of ${ctx.stats.sent} predictions reached the daemon in ${30 * ctx.patience} s`);
  await sleep(0, ctx.signal);
  return joined();
}

/** Records an outcome and says it. */
export function outcome(ctx: DemoContext, what: string, ok: boolean, detail: string): void {
  ctx.outcomes.push({ what, ok, detail });
  ctx.print(`  ${ok ? '✔' : '✘'} ${what}: ${detail}`);
}
