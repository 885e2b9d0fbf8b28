/**
 * The report API: GET /api/v1/models/{ns}/{model}/report?from&to&format (drafted now; format
 * json (default), md, html, or files: every file of md+html+json as one JSON object, what
 * `modelslo report --daemon` writes), GET …/reports (the automatic ones) and GET …/reports/{id}?format.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request, Response } from 'express';
import type { Config } from '../model/types.js';
import { reportFiles } from '../report/files.js';
import { renderReport } from '../report/render.js';
import type { Store } from '../store/port.js';
import { draftFor, type AutoReports } from './auto-reports.js';
import { configuredModel, timeParam } from './route-params.js';

const TYPES: Record<string, string> = { json: 'application/json', md: 'text/markdown; charset=utf-8', html: 'text/html; charset=utf-8' };

function format(req: Request, res: Response, allowed: string[]): string | undefined {
  const f = req.query.format ?? 'json';
  if (typeof f === 'string' && allowed.includes(f)) return f;
  res.status(400).json({ error: `query.format: must be one of ${allowed.join(', ')}` });
  return undefined;
}

/** GET …/report: drafts the report of the range (or the latest incident). */
export function reportHandler(config: Config, store: Store) {
  return async (req: Request, res: Response): Promise<void> => {
    const model = configuredModel(config, req, res);
    if (model === undefined) return;
    const fmt = format(req, res, ['json', 'md', 'html', 'files']);
    if (fmt === undefined) return;
    const from = timeParam(req, 'from');
    const to = timeParam(req, 'to');
    for (const t of [from, to]) {
      if (typeof t === 'string') {
        res.status(400).json({ error: t });
        return;
      }
    }
    const drafted = await draftFor(config, store, model, { ...(from !== undefined ? { fromMs: from as number } : {}), ...(to !== undefined ? { toMs: to as number } : {}) });
    if (!drafted.ok) {
      res.status(400).json({ error: drafted.error });
      return;
    }
    const rendered = await renderReport(drafted.built);
    if (fmt === 'files') res.json({ files: Object.fromEntries(reportFiles(rendered, ['md', 'html', 'json'])) });
    else res.type(TYPES[fmt] ?? 'text/plain').send(fmt === 'md' ? rendered.markdown : fmt === 'html' ? rendered.html : rendered.json);
  };
}

/** GET …/reports: the reports the daemon drafted (report.auto), newest first. */
export function reportsHandler(config: Config, auto: AutoReports) {
  return async (req: Request, res: Response): Promise<void> => {
    const model = configuredModel(config, req, res);
    if (model === undefined) return;
    const base = `/api/v1/models/${model.namespace}/${model.name}/reports`;
    const list = await auto.list(model.namespace, model.name);
    res.json({ auto: config.report.auto, reports: list.map((r) => ({ ...r, links: Object.fromEntries(['md', 'html', 'json'].map((f) => [f, `${base}/${r.id}?format=${f}`])) })) });
  };
}

/** GET …/reports/{id}?format: one drafted report. */
export function storedReportHandler(config: Config, auto: AutoReports) {
  return async (req: Request, res: Response): Promise<void> => {
    const model = configuredModel(config, req, res);
    if (model === undefined) return;
    const fmt = format(req, res, ['json', 'md', 'html']);
    if (fmt === undefined) return;
    const id = String(req.params.id);
    if (!/^[0-9TZ]+$/.test(id)) {
      res.status(400).json({ error: `path.id: not a report id ("${id}")` });
      return;
    }
    try {
      const text = await readFile(join(auto.dirOf(model.namespace, model.name), id, `report.${fmt}`), 'utf8');
      res.type(TYPES[fmt] ?? 'text/plain').send(text);
    } catch {
      res.status(404).json({ error: `no report ${id} of ${model.namespace}/${model.name}` });
    }
  };
}
