/** The demo's closing summary: every alert with when it fired and who got it, budget, rollback time, and where the files are. */
import { instantQuery } from '../alerting/prometheus-query.js';
import { BURN_WINDOWS } from '../slo/burn-windows.js';
import type { ReportFacts } from './acts-rollback.js';
import { since, type DemoContext } from './context.js';
import { DEMO_MODEL, DEMO_NS } from './demo-config.js';
import type { Notification } from './inbox.js';

const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(1)}%`);

/** Left-aligned columns. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** An alert's distinguishing labels: severity, SLO and windows, feature or revision. */
export function describeAlert(l: Record<string, string>): string {
  const row = BURN_WINDOWS.find((w) => w.severity === l.severity && w.short === l.short_window);
  return [l.severity, l.slo, row === undefined ? undefined : `${row.long}/${row.short}`, l.feature, l.revision].filter((x) => x !== undefined && x !== '').join(' ');
}

/** Prints each alert once per receiver and state (Alertmanager repeats a firing group every repeat_interval). */
export function notificationPrinter(print: (s: string) => void, startMs: number): (n: Notification) => void {
  const seen = new Set<string>();
  return (n) => {
    for (const a of n.alerts) {
      const key = `${n.path} ${a.status} ${JSON.stringify(Object.entries(a.labels).sort())}`;
      if (seen.has(key)) continue;
      seen.add(key);
      print(`  → ${n.path} received ${a.labels.alertname ?? '?'} ${describeAlert(a.labels)} (${a.status}) at +${((n.receivedMs - startMs) / 1000).toFixed(1)}s`);
    }
  };
}

/** One row per alert and receiver: the first firing notification of each. */
export function alertRows(ctx: DemoContext): string[][] {
  const rows: string[][] = [['alert', 'labels', 'fired', 'delivered', 'receiver']];
  const seen = new Set<string>();
  for (const n of ctx.stack.inbox.received) {
    if (n.status !== 'firing') continue;
    for (const a of n.alerts) {
      if (a.status !== 'firing') continue;
      const l = a.labels;
      const what = describeAlert(l);
      const key = `${n.path} ${l.alertname ?? ''} ${what}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push([l.alertname ?? '?', what, since(ctx, Date.parse(a.startsAt)), since(ctx, n.receivedMs), n.path]);
    }
  }
  return rows;
}

/** The summary lines. */
export async function summaryLines(ctx: DemoContext, report: ReportFacts | undefined, wallMs: number): Promise<string[]> {
  const s = ctx.stack;
  const lines = [`\nmodelslo demo — ${DEMO_NS}/${DEMO_MODEL}: ${ctx.stats.sent} requests (${ctx.stats.failed} answered 5xx), wall time ${(wallMs / 1000).toFixed(1)} s\n`];
  lines.push('Alerts (fired: startsAt set by Prometheus or the daemon; delivered: when the webhook got it from Alertmanager):');
  lines.push(...table(alertRows(ctx)).map((l) => `  ${l}`));
  const journal = await s.daemon.store.alertJournal({ namespace: DEMO_NS, model: DEMO_MODEL, fromMs: ctx.startMs, toMs: Date.now() });
  lines.push(`  and the daemon's alert journal (POST /v1/alertmanager, token from a credentials_file) stored ${journal.length} alert states\n`);
  const promUrl = s.config.daemon.prometheusUrl;
  const facts: string[][] = [];
  for (const b of report?.budgets ?? []) {
    const remaining = promUrl === undefined ? null : await instantQuery(promUrl, `modelslo:slo_error_budget_remaining:ratio{namespace="${DEMO_NS}",model="${DEMO_MODEL}",slo="${b.slo}"}`).catch(() => null);
    facts.push([`budget ${b.slo}`, `incident spent ${pct(b.spent)} of the 28d budget (report; over the requests the store holds), remaining ${pct(b.remainingAfter)}; Prometheus modelslo:slo_error_budget_remaining:ratio ${pct(remaining)}`]);
  }
  facts.push(['bad canary → rollback', ctx.canaryToRollbackMs === null ? 'did not happen' : `${(ctx.canaryToRollbackMs / 1000).toFixed(1)} s (rollout with canaryTrafficPercent: 20 → merge patch to 0 accepted)`]);
  if (ctx.pageDelayMs !== null) facts.push(['incident → page', `${(ctx.pageDelayMs / 1000).toFixed(1)} s from the first bad request to the on-call's webhook${report?.ttdSeconds !== undefined && report.ttdSeconds !== null ? ` (the report's time to detect, on its 60 s grid: ${report.ttdSeconds} s)` : ''}`]);
  facts.push(['report', report === undefined ? 'not written' : `${report.dir}/report.md, report.html, ${report.files.filter((f) => f.startsWith('charts/')).length} charts in charts/`]);
  facts.push(['generated files', `${s.files.generated} (${s.files.generatedCount} files, \`modelslo generate\` of ${s.files.config})`]);
  if (s.prometheus !== undefined) facts.push(['loaded by Prometheus', `${s.files.loadedRules} (the generated rules, burn alerts' for: shortened)`]);
  if (s.alertmanager !== undefined) facts.push(['loaded by Alertmanager', `${s.files.loadedRouting} (the generated routing, timers shortened)`]);
  facts.push(['daemon database', s.files.db]);
  lines.push(...table(facts));
  lines.push('', 'Outcomes:', ...ctx.outcomes.map((o) => `  ${o.ok ? '✔' : '✘'} ${o.what}`));
  return lines;
}
