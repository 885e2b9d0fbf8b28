/** What the status routes share: the model named by the path, and time query parameters. */
import type { Request, Response } from 'express';
import type { Config, Model } from '../model/types.js';

/** The configured model of `/api/v1/models/{ns}/{model}/…`; answers 404 and returns undefined when there is none. */
export function configuredModel(config: Config, req: Request, res: Response): Model | undefined {
  const model = config.models.find((m) => m.namespace === req.params.ns && m.name === req.params.model);
  if (model === undefined) res.status(404).json({ error: `model ${String(req.params.ns)}/${String(req.params.model)} is not in the config` });
  return model;
}

/** A time query parameter: RFC 3339 or epoch milliseconds; a string is the error naming the parameter. */
export function timeParam(req: Request, name: string): number | undefined | string {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return `query.${name}: must be given once`;
  const n = /^[0-9]{1,15}$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(n) ? n : `query.${name}: must be an RFC 3339 time or epoch milliseconds, got "${v}"`;
}
