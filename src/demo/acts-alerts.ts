/**
 * The demo's first acts: healthy traffic; an incident whose page must reach the on-call through
 * Prometheus (the generated rules) and Alertmanager (the generated routing); input drift whose
 * ModelDrift ticket must reach the owners and not the on-call.
 */
import { DEMO_MODEL, DEMO_NS, DEMO_OWNER } from './demo-config.js';
import { awaitNotification, daemonApi, flushAndWaitStored, notifies, outcome, sidecarUrls, since, split, type DemoContext } from './context.js';
import { drive, DRIFTED, HEALTHY, INCIDENT, type TrafficShape } from './traffic.js';
import { describeAlert } from './summary.js';
import { sleep } from './wait.js';

const PAGE = { alertname: 'ModelSLOErrorBudgetBurn', severity: 'page', slo: 'availability' };

/** Sends one act's traffic and keeps its counts. */
export async function sendAct(ctx: DemoContext, name: string, shape: TrafficShape, rps: number, durationMs: number, until?: () => boolean): Promise<void> {
  const fromMs = Date.now();
  const before = ctx.stats.sent;
  ctx.status.act = name;
  await drive({ sidecars: sidecarUrls(ctx), split: () => split(ctx), shape, rps, durationMs, rnd: ctx.rnd, stats: ctx.stats, ...(until ? { until } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
  ctx.acts.push({ name, fromMs, toMs: Date.now(), sent: ctx.stats.sent - before });
}

/** Act 1: healthy traffic through the primary's sidecar. */
export async function healthyAct(ctx: DemoContext): Promise<void> {
  ctx.progress(`act 1/5 healthy traffic: ${Math.round(12 * ctx.scale)} s at 80 requests/s through the sidecar`);
  await sendAct(ctx, 'healthy', HEALTHY, 80, 12_000 * ctx.scale);
}

/** Act 2: 10% 5xx and 10% answers over 200 ms until the page reaches the on-call receiver (at most 90 s). */
export async function incidentAct(ctx: DemoContext, alerting: boolean): Promise<{ fromMs: number; toMs: number }> {
  const fromMs = Date.now();
  if (!alerting) return daemonOnlyIncident(ctx, fromMs);
  ctx.progress('act 2/5 incident: 10% 5xx answers and 10% answers after 300 ms, until Prometheus fires the page and Alertmanager delivers it to the on-call');
  const paged = (): boolean => ctx.stack.inbox.received.some((n) => notifies(n, 'oncall', PAGE));
  ctx.status.waiting = 'the page at the on-call';
  await sendAct(ctx, 'incident', INCIDENT, 80, 90_000 * ctx.patience, paged);
  const toMs = Date.now();
  ctx.status.waiting = '';
  const page = ctx.stack.inbox.received.find((n) => notifies(n, 'oncall', PAGE));
  const alert = page?.alerts.find((a) => a.labels.severity === 'page');
  if (page !== undefined) ctx.pageDelayMs = page.receivedMs - fromMs;
  outcome(
    ctx,
    'page at the on-call',
    page !== undefined,
    page === undefined ? `no page reached the on-call receiver within ${90 * ctx.patience} s of the incident` : `ModelSLOErrorBudgetBurn ${alert === undefined ? '' : describeAlert(alert.labels)} fired by Prometheus at ${alert ? since(ctx, Date.parse(alert.startsAt)) : '?'}, delivered by Alertmanager at ${since(ctx, page.receivedMs)} (${((page.receivedMs - fromMs) / 1000).toFixed(1)} s after the incident began)`,
  );
  ctx.progress('the incident ends: traffic is healthy again');
  return { fromMs, toMs };
}

interface SloStatus {
  slos: Array<{ slo: string; objective: number; budgetRemaining: number | null; burnRates: Array<{ severity: string; long: string; short: string; firing: boolean }> }>;
}

/** The incident without Prometheus and Alertmanager: 20 s of it, then the daemon's own evaluation of the burn alerts. */
async function daemonOnlyIncident(ctx: DemoContext, fromMs: number): Promise<{ fromMs: number; toMs: number }> {
  ctx.progress(`act 2/5 incident: ${Math.round(20 * ctx.scale)} s of 10% 5xx answers and 10% answers after 300 ms; the daemon evaluates the burn alerts (no Prometheus here)`);
  await sendAct(ctx, 'incident', INCIDENT, 80, 20_000 * ctx.scale);
  await flushAndWaitStored(ctx);
  const status = await daemonApi<SloStatus>(ctx, `/api/v1/models/${DEMO_NS}/${DEMO_MODEL}/slo`);
  for (const s of status.slos) {
    const firing = s.burnRates.filter((b) => b.firing).map((b) => `${b.severity} ${b.long}/${b.short}`);
    ctx.print(`    ${s.slo}: objective ${s.objective}%, ${firing.length > 0 ? `would fire: ${firing.join(', ')}` : 'no burn alert'} (the daemon's evaluation of its stored records)`);
  }
  const page = status.slos.some((s) => s.burnRates.some((b) => b.firing && b.severity === 'page'));
  outcome(ctx, 'page condition (daemon only)', page, page ? 'the daemon evaluates a page burn alert as firing; no Prometheus or Alertmanager delivers it' : 'no page burn alert would fire');
  return { fromMs, toMs: Date.now() };
}

interface DriftRun {
  runs: Array<{ endpoint: string; level: string; features: Array<{ feature: string; test: string; score: number | null; threshold: number | null; level: string; referenceSize: number; currentSize: number }> }>;
}

/** Act 3: shifted inputs, then a drift check run now (POST …/drift/run instead of the 5-minute cron); the ticket must reach the owners only. */
export async function driftAct(ctx: DemoContext, alerting: boolean): Promise<void> {
  ctx.progress(`act 3/5 input drift: ${Math.round(10 * ctx.scale)} s of larger amounts, mostly from the US, then the daemon's drift check (POST …/drift/run, not the */5 cron)`);
  await sendAct(ctx, 'drift', DRIFTED, 80, 10_000 * ctx.scale);
  await flushAndWaitStored(ctx);
  const run = await daemonApi<DriftRun>(ctx, `/api/v1/models/${DEMO_NS}/${DEMO_MODEL}/drift/run`, 'POST');
  for (const r of run.runs) {
    for (const f of r.features) ctx.print(`    drift of ${r.endpoint} traffic: ${f.feature} ${f.test} ${f.score === null ? '—' : f.score.toFixed(4)} (threshold ${f.threshold ?? '—'}, n ${f.referenceSize}/${f.currentSize}) ${f.level}`);
  }
  if (!alerting) {
    const drifting = run.runs.some((r) => r.level === 'drift');
    return outcome(ctx, 'drift detected (daemon only)', drifting, drifting ? 'the daemon found drift; its ModelDrift alert has no Alertmanager to go to' : 'no drift found');
  }
  ctx.status.waiting = `ModelDrift at ${DEMO_OWNER}`;
  const ticket = await awaitNotification(ctx, DEMO_OWNER, { alertname: 'ModelDrift' }, 30_000);
  // Alertmanager's group_interval is 1s here: 3 s more is ample for a wrong route to show.
  await sleep(3_000, ctx.signal);
  ctx.status.waiting = '';
  const atOncall = ctx.stack.inbox.received.filter((n) => n.path === 'oncall' && n.alerts.some((a) => a.labels.alertname === 'ModelDrift'));
  const features = [...new Set(ticket?.alerts.filter((a) => a.labels.alertname === 'ModelDrift').map((a) => a.labels.feature ?? '?') ?? [])];
  outcome(
    ctx,
    'drift ticket at the owners only',
    ticket !== undefined && atOncall.length === 0,
    ticket === undefined ? `no ModelDrift reached ${DEMO_OWNER} within ${30 * ctx.patience} s of the drift check`
    : atOncall.length > 0 ? `ModelDrift also reached the on-call (${atOncall.length} notifications)`
    : `ModelDrift severity=ticket (${features.join(', ')}) delivered to ${DEMO_OWNER} at ${since(ctx, ticket.receivedMs)}; none to the on-call`,
  );
}
