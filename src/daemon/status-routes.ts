/** The status API: GET /api/v1/models, …/{ns}/{model}/slo and …/{ns}/{model}/predictions. */
import type { Request, Response } from 'express';
import type { Config } from '../model/types.js';
import { configuredModel, timeParam } from './route-params.js';
import type { Prediction, QueryStore } from '../store/port.js';
import { CursorError } from '../store/rows.js';
import { sloStatuses } from './slo-status.js';

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;

/** A stored payload as JSON: the parsed body when it was JSON text, else its bytes in base64. */
function payloadJson(p: string | Buffer | null): unknown {
  if (p === null) return null;
  if (Buffer.isBuffer(p)) return { dataBase64: p.toString('base64') };
  try {
    return JSON.parse(p) as unknown;
  } catch {
    return { text: p };
  }
}

function predictionJson(p: Prediction): Record<string, unknown> {
  return { ...p, time: new Date(p.timeMs).toISOString(), request: payloadJson(p.request), response: payloadJson(p.response) };
}

/** GET /api/v1/models: configured models with what is stored, then stored models not in the config. */
export function modelsHandler(config: Config, store: QueryStore) {
  return async (_req: Request, res: Response): Promise<void> => {
    const summaries = await store.modelSummaries();
    const stored = new Map(summaries.map((s) => [`${s.namespace}/${s.model}`, s]));
    const empty = { predictions: { total: 0, joined: 0, pending: 0, expired: 0, firstMs: null, lastMs: null }, spans: { total: 0, errors: 0, meanMs: null, p99Ms: null } };
    const models = config.models.map((m) => {
      const s = stored.get(`${m.namespace}/${m.name}`) ?? empty;
      stored.delete(`${m.namespace}/${m.name}`);
      return { namespace: m.namespace, model: m.name, configured: true, sliSource: m.sliSource, slos: m.slos.map((s) => s.name), predictions: s.predictions, spans: s.spans };
    });
    for (const s of stored.values()) models.push({ namespace: s.namespace, model: s.model, configured: false, sliSource: 'sidecar', slos: [], predictions: s.predictions, spans: s.spans });
    res.json({ models });
  };
}

/** GET /api/v1/models/{ns}/{model}/slo */
export function sloHandler(config: Config, store: QueryStore) {
  return async (req: Request, res: Response): Promise<void> => {
    const model = configuredModel(config, req, res);
    if (model === undefined) return;
    const slos = await sloStatuses(model, store, config.daemon.prometheusUrl);
    res.json({ namespace: model.namespace, model: model.name, time: new Date().toISOString(), slos });
  };
}

/** GET /api/v1/models/{ns}/{model}/predictions?from&to&limit&cursor — newest first. */
export function predictionsHandler(store: QueryStore) {
  return async (req: Request, res: Response): Promise<void> => {
    const from = timeParam(req, 'from');
    const to = timeParam(req, 'to');
    const limitText = req.query.limit;
    const limit = limitText === undefined ? DEFAULT_LIMIT : typeof limitText === 'string' && /^[0-9]{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN;
    const cursor = req.query.cursor;
    const bad =
      typeof from === 'string' ? from
      : typeof to === 'string' ? to
      : !(limit >= 1 && limit <= MAX_LIMIT) ? `query.limit: must be an integer from 1 to ${MAX_LIMIT}, got "${typeof limitText === 'string' ? limitText : '(repeated)'}"`
      : cursor !== undefined && typeof cursor !== 'string' ? 'query.cursor: must be given once'
      : undefined;
    if (bad !== undefined) {
      res.status(400).json({ error: bad });
      return;
    }
    try {
      const page = await store.predictions({
        namespace: String(req.params.ns),
        model: String(req.params.model),
        limit,
        ...(typeof from === 'number' ? { fromMs: from } : {}),
        ...(typeof to === 'number' ? { toMs: to } : {}),
        ...(typeof cursor === 'string' ? { cursor } : {}),
      });
      res.json({ order: 'newest first', items: page.items.map(predictionJson), cursor: page.cursor });
    } catch (err) {
      if (err instanceof CursorError) res.status(400).json({ error: err.message });
      else throw err;
    }
  };
}
