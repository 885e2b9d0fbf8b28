/**
 * `report.auto`: when a page of a model resolves, the daemon drafts the report of that incident
 * (the latest, found automatically) into `report.dir/<ns>/<model>/<id>/`, one directory per
 * incident (id: the first page's start, UTC). Failures are logged and counted; nothing stops.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { prometheusAlertHistory } from '../alerting/prometheus-alerts.js';
import type { Config, Model } from '../model/types.js';
import { draftReport, type Drafted } from '../report/draft.js';
import { reportFiles } from '../report/files.js';
import { renderReport } from '../report/render.js';
import type { AlertRecord, Store } from '../store/port.js';
import type { DaemonMetrics } from './metrics.js';

/** One stored report, as the list shows it. */
export interface ReportEntry {
  id: string;
  from: string;
  to: string;
  summary: string;
  ttdSeconds: number | null;
  budgetSpent: number | null;
}

/** Drafts a report of `model` over the ports (the range given, or the latest incident). */
export function draftFor(config: Config, store: Store, model: Model, range: { fromMs?: number; toMs?: number }): Promise<Drafted> {
  const url = config.daemon.prometheusUrl;
  return draftReport(store, { config, model, ...range, nowMs: Date.now(), ...(url !== undefined ? { history: prometheusAlertHistory(url) } : {}) });
}

const safe = (s: string): string => s.replace(/[^-a-z0-9]/g, '_');

/** The automatic reports of the daemon. */
export class AutoReports {
  private running: Promise<void> = Promise.resolve();
  private readonly done = new Set<string>();

  constructor(private readonly deps: { config: Config; store: Store; log: Logger; metrics: DaemonMetrics }) {}

  /** Where a model's reports live. */
  dirOf(ns: string, model: string): string {
    return join(this.deps.config.report.dir, safe(ns), safe(model));
  }

  /** Called with every journaled notification: a resolved page of a configured model drafts its incident's report (once per page start). */
  onNotification(records: readonly AlertRecord[]): void {
    if (!this.deps.config.report.auto) return;
    for (const r of records) {
      if (r.status !== 'resolved' || r.labels.severity !== 'page') continue;
      const model = this.deps.config.models.find((m) => m.namespace === r.labels.namespace && m.name === r.labels.model);
      const key = `${r.labels.namespace ?? ''}/${r.labels.model ?? ''}@${r.startsAtMs}`;
      if (model === undefined || this.done.has(key)) continue;
      this.done.add(key);
      this.running = this.running.then(() => this.draft(model, r.startsAtMs));
    }
  }

  private async draft(model: Model, pageStartMs: number): Promise<void> {
    try {
      const drafted = await draftFor(this.deps.config, this.deps.store, model, {});
      if (!drafted.ok) {
        this.deps.log.warn({ model: model.name, namespace: model.namespace, error: drafted.error }, 'automatic report not drafted');
        return;
      }
      const id = new Date(pageStartMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      const dir = join(this.dirOf(model.namespace, model.name), id);
      // Written beside, then renamed: a listed report is always whole.
      const tmp = `${dir}.tmp`;
      await rm(tmp, { recursive: true, force: true });
      await mkdir(join(tmp, 'charts'), { recursive: true });
      for (const [path, text] of reportFiles(await renderReport(drafted.built), ['md', 'html', 'json'])) await writeFile(join(tmp, path), text);
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
      this.deps.log.info({ model: model.name, namespace: model.namespace, dir }, 'automatic postmortem report drafted');
    } catch (err) {
      this.deps.metrics.jobFailures.inc({ job: 'report' });
      this.deps.log.error({ err, model: model.name }, 'automatic report failed');
    }
  }

  /** The stored reports of a model, newest first. */
  async list(ns: string, model: string): Promise<ReportEntry[]> {
    const base = this.dirOf(ns, model);
    const ids = await readdir(base).catch(() => [] as string[]);
    const out: ReportEntry[] = [];
    for (const id of ids.filter((d) => !d.endsWith('.tmp')).sort().reverse()) {
      try {
        const r = JSON.parse(await readFile(join(base, id, 'report.json'), 'utf8')) as { range: { from: string; to: string }; summary: string; detection: { ttdSeconds: number | null }; impact: { budgetSpent: number | null } };
        out.push({ id, from: r.range.from, to: r.range.to, summary: r.summary, ttdSeconds: r.detection.ttdSeconds, budgetSpent: r.impact.budgetSpent });
      } catch {
        // not a report directory: skipped
      }
    }
    return out;
  }

  /** Waits for the drafts under way. */
  idle(): Promise<void> {
    return this.running;
  }
}
