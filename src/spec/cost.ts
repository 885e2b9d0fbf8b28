/**
 * Serving prices of the config (`defaults.cost`, `models[].cost`): one currency for every
 * dashboard, and each model's price per ready replica-hour or per GPU-hour.
 */
import type { ServingCost } from '../model/types.js';
import type { FieldPath } from './positions.js';
import type { ConfigFile, ModelFile } from './schema.js';

/** The dashboards' currency: the default cost's, else the first model's, else USD. */
export function dashboardCurrency(cfg: ConfigFile): string {
  return cfg.defaults.cost?.currency ?? cfg.models.find((m) => m.cost?.currency !== undefined)?.cost?.currency ?? 'USD';
}

/** Every price must be in the dashboards' currency: a cost panel shows one unit. */
export function checkCurrencies(cfg: ConfigFile): Array<[FieldPath, string]> {
  const currency = dashboardCurrency(cfg);
  const out: Array<[FieldPath, string]> = [];
  cfg.models.forEach((m, mi) => {
    const own = m.cost?.currency;
    if (own !== undefined && own !== currency) out.push([['models', mi, 'cost', 'currency'], `must be ${currency}, the currency of the other prices (one currency for all dashboards)`]);
  });
  return out;
}

/** A model's price: its own, else the default, else none. */
export function servingCost(m: ModelFile, cfg: ConfigFile): ServingCost | undefined {
  const c = m.cost ?? cfg.defaults.cost;
  if (c === undefined) return undefined;
  return c.gpu_hour !== undefined ? { per: 'gpu', hourly: c.gpu_hour } : { per: 'replica', hourly: c.replica_hour ?? 0 };
}
