/** GET /api/v1/models/{ns}/{model}/correctness?from&to: figures of the labelled predictions, per revision and for all. */
import type { Request, Response } from 'express';
import { correctnessFigures, correctnessOf, type LabelledPair } from '../correctness/figures.js';
import type { Config } from '../model/types.js';
import type { FeedbackStore } from '../store/port.js';
import { UNKNOWN_REVISION } from '../store/feedback-sql.js';
import { configuredModel, timeParam } from './route-params.js';

/** The window when `from` is not given: the day before `to`. */
const DEFAULT_WINDOW_MS = 86_400_000;

/** The handler; the window is by prediction time, `from` inclusive and `to` exclusive. */
export function correctnessHandler(config: Config, store: FeedbackStore) {
  return async (req: Request, res: Response): Promise<void> => {
    const model = configuredModel(config, req, res);
    if (model === undefined) return;
    const fromParam = timeParam(req, 'from');
    const toParam = timeParam(req, 'to');
    const bad = typeof fromParam === 'string' ? fromParam : typeof toParam === 'string' ? toParam : undefined;
    const toMs = typeof toParam === 'number' ? toParam : Date.now();
    const fromMs = typeof fromParam === 'number' ? fromParam : toMs - DEFAULT_WINDOW_MS;
    if (bad !== undefined || fromMs >= toMs) {
      res.status(400).json({ error: bad ?? `query.from: must be before to (${new Date(toMs).toISOString()})` });
      return;
    }
    const rows = await store.labelled({ namespace: model.namespace, model: model.name, fromMs, toMs });
    const byRevision = new Map<string, LabelledPair[]>();
    for (const r of rows) {
      const key = r.revision ?? UNKNOWN_REVISION;
      const list = byRevision.get(key) ?? [];
      list.push(r);
      byRevision.set(key, list);
    }
    const { kind, tolerance } = correctnessOf(model);
    res.json({
      namespace: model.namespace,
      model: model.name,
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      kind,
      ...(kind === 'numeric' ? { tolerance } : {}),
      all: correctnessFigures(rows, kind, tolerance),
      revisions: [...byRevision.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([revision, pairs]) => ({ revision, ...correctnessFigures(pairs, kind, tolerance) })),
    });
  };
}
