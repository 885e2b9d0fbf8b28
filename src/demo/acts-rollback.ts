/**
 * The demo's last acts: a bad canary rolled back by the daemon through the Kubernetes API (the
 * stand-in), the incident's postmortem report drafted by the daemon (GET …/report), and the
 * accounting of captures: every event the sidecars shipped is stored by the daemon.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEMO_MODEL, DEMO_NS, DEMO_OWNER } from './demo-config.js';
import { awaitNotification, daemonApi, flushAndWaitStored, outcome, since, type DemoContext } from './context.js';
import { sendAct } from './acts-alerts.js';
import { revision } from './stack.js';
import { HEALTHY } from './traffic.js';
import { waitFor } from './wait.js';

const percentOf = (ctx: DemoContext): unknown => (ctx.stack.standin.isvc(DEMO_NS, DEMO_MODEL) as { spec: { predictor: { canaryTrafficPercent?: number } } }).spec.predictor.canaryTrafficPercent;

/** Act 4: revision 2 (every 8th answer a 500, 4× slower) rolled out as a 20% canary; the daemon must patch it to 0%. */
export async function canaryAct(ctx: DemoContext, alerting: boolean): Promise<void> {
  const canary = revision(2);
  ctx.progress(`act 4/5 bad canary: ${canary} (every 8th answer a 500, 4× slower) rolled out with canaryTrafficPercent: 20; the daemon judges it every second`);
  ctx.stack.standin.rolloutRevision(DEMO_NS, DEMO_MODEL, 20);
  const t0 = Date.now();
  ctx.status.waiting = 'the rollback (canaryTrafficPercent: 0)';
  await sendAct(ctx, 'canary', HEALTHY, 150, 90_000 * ctx.patience, () => percentOf(ctx) === 0);
  ctx.status.waiting = '';
  // The audit record is stored after the patch is answered: the stand-in may show 0% a moment earlier.
  const rollback = await waitFor(
    async () => (await ctx.stack.daemon.store.canaryDecisions({ namespace: DEMO_NS, model: DEMO_MODEL, limit: 1000 })).find((d) => d.revision === canary && d.verdict === 'rollback' && d.action === 'patched'),
    percentOf(ctx) === 0 ? 10_000 * ctx.patience : 0,
    ctx.signal,
  );
  if (rollback !== undefined) ctx.canaryToRollbackMs = rollback.timeMs - t0;
  const failed = (rollback?.checks as Array<{ name: string; pass: boolean }> | undefined)?.filter((c) => !c.pass).map((c) => c.name) ?? [];
  outcome(
    ctx,
    'bad canary rolled back',
    percentOf(ctx) === 0 && rollback !== undefined,
    rollback === undefined ? `the canary was not rolled back within ${90 * ctx.patience} s (canaryTrafficPercent ${String(percentOf(ctx))})`
    : `merge patch canaryTrafficPercent: 0 accepted by the Kubernetes stand-in ${((ctx.canaryToRollbackMs ?? 0) / 1000).toFixed(1)} s after the rollout, failed checks: ${failed.join(', ')}; traffic back on ${revision(1)}`,
  );
  if (!alerting) return;
  ctx.status.waiting = `ModelCanaryRolledBack at ${DEMO_OWNER}`;
  const n = await awaitNotification(ctx, DEMO_OWNER, { alertname: 'ModelCanaryRolledBack' }, 30_000);
  ctx.status.waiting = '';
  outcome(ctx, 'rollback alert at the owners', n !== undefined, n === undefined ? `no ModelCanaryRolledBack reached ${DEMO_OWNER}` : `ModelCanaryRolledBack revision=${canary} delivered to ${DEMO_OWNER} at ${since(ctx, n.receivedMs)}`);
}

/** What the summary reads of the report. */
export interface ReportFacts {
  dir: string;
  files: string[];
  budgets: Array<{ slo: string; spent: number | null; remainingAfter: number | null }>;
  ttdSeconds: number | null;
}

/** Act 5: the daemon drafts the incident's postmortem (Markdown, HTML, charts), written under `dir`. */
export async function reportAct(ctx: DemoContext, incident: { fromMs: number; toMs: number }, dir: string): Promise<ReportFacts | undefined> {
  ctx.progress('act 5/5 postmortem report: the daemon drafts it from its store, the alert journal and Prometheus (GET …/report?format=files)');
  ctx.status.act = 'report';
  await flushAndWaitStored(ctx);
  const q = new URLSearchParams({ format: 'files', from: new Date(ctx.startMs).toISOString(), to: new Date().toISOString() });
  const { files } = await daemonApi<{ files: Record<string, string> }>(ctx, `/api/v1/models/${DEMO_NS}/${DEMO_MODEL}/report?${q.toString()}`);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const charts = Object.entries(files).filter(([p, t]) => p.startsWith('charts/') && p.endsWith('.svg') && /<svg[\s>]/.test(t) && /<path|<rect|<line/.test(t));
  const json = files['report.json'] === undefined ? undefined : (JSON.parse(files['report.json']) as { impact: { budgets: ReportFacts['budgets'] }; detection: { ttdSeconds: number | null } });
  const ok = files['report.md'] !== undefined && files['report.html'] !== undefined && charts.length > 0 && json !== undefined;
  outcome(ctx, 'postmortem report written', ok, ok ? `${join(dir, 'report.md')}, report.html and ${charts.length} charts (incident ${since(ctx, incident.fromMs)} … ${since(ctx, incident.toMs)})` : `incomplete: ${Object.keys(files).join(', ')}`);
  return json === undefined ? undefined : { dir, files: Object.keys(files), budgets: json.impact.budgets, ttdSeconds: json.detection.ttdSeconds };
}

/** The sum of a counter's samples whose labels include `labels`, from Prometheus text. */
export function counterSum(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Every capture event the sidecars counted as shipped is one the daemon stored, two per request sent. */
export async function accountingCheck(ctx: DemoContext): Promise<{ shipped: number; stored: number }> {
  const joined = await flushAndWaitStored(ctx);
  let shipped = 0;
  for (const s of ctx.stack.sidecars.values()) shipped += counterSum(await (await fetch(`${s.url}/metrics`)).text(), 'modelslo_capture_events_total', { outcome: 'shipped' });
  const daemonText = await (await fetch(`${ctx.stack.daemon.url}/metrics`, { headers: { authorization: `Bearer ${ctx.stack.token}` } })).text();
  const stored = counterSum(daemonText, 'modelslo_ingest_events_total', { kind: 'event', outcome: 'stored' });
  const ok = shipped === stored && stored === 2 * ctx.stats.sent && joined === ctx.stats.sent;
  outcome(ctx, 'no capture lost', ok, `${ctx.stats.sent} requests; sidecars shipped ${shipped} events, the daemon stored ${stored} (a request and a response each) and joined ${joined} predictions`);
  return { shipped, stored };
}
