/** Serving prices and the dashboards' settings in the config: defaults, per-model prices, one currency. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/spec/parse.js';
import { formatIssue } from '../../src/spec/positions.js';
import { exampleConfig, mustParse, oneModelText } from '../support/fixtures.js';

const SLO = '      - { name: a, objective: 99, sli: { availability: {} } }';
const withCost = (model: string | undefined, defaults?: string): string =>
  `${defaults !== undefined ? `defaults:\n  cost: ${defaults}\n` : ''}${oneModelText({ ...(model !== undefined ? { extra: `    cost: ${model}` } : {}), slos: SLO })}`;

function issuesOf(text: string): string[] {
  const r = parseConfig(text, 'bad.yaml');
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.issues.map(formatIssue);
}

describe('serving cost config', () => {
  it('maps the example: a default replica-hour price, a model with its own GPU-hour price, the daemon URL', () => {
    const cfg = exampleConfig();
    expect(cfg.models.map((m) => m.cost)).toEqual([{ per: 'replica', hourly: 0.9 }, { per: 'gpu', hourly: 2.5 }, { per: 'replica', hourly: 0.9 }]);
    expect(cfg.dashboards).toEqual({ currency: 'USD', daemonUrl: 'https://modelslo.example.com' });
  });

  it('leaves cost unset without a price, in USD, linking the daemon on its default address', () => {
    const cfg = mustParse(oneModelText({ slos: SLO }));
    expect(cfg.models[0]?.cost).toBeUndefined();
    expect(cfg.dashboards).toEqual({ currency: 'USD', daemonUrl: 'http://127.0.0.1:9464' });
  });

  it('takes the currency of a model price when no default sets one', () => {
    expect(mustParse(withCost('{ gpu_hour: 3, currency: EUR }')).dashboards.currency).toBe('EUR');
  });

  it.each([
    ['both prices', withCost('{ replica_hour: 1, gpu_hour: 2 }'), 'models[0].cost', 'needs exactly one of replica_hour or gpu_hour'],
    ['no price', withCost('{ currency: USD }'), 'models[0].cost', 'needs exactly one of replica_hour or gpu_hour'],
    ['a negative price', withCost('{ replica_hour: -1 }'), 'models[0].cost.replica_hour', 'must be a positive price'],
    ['a currency that is no ISO code', withCost(undefined, '{ replica_hour: 1, currency: dollars }'), 'defaults.cost.currency', 'must be an ISO 4217 code'],
    ['two currencies', withCost('{ gpu_hour: 2, currency: EUR }', '{ replica_hour: 1, currency: USD }'), 'models[0].cost.currency', 'must be USD, the currency of the other prices'],
  ])('rejects %s, naming the field', (_name, text, path, message) => {
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^bad\.yaml:\d+:\d+: /);
    expect(issues[0]).toContain(path);
    expect(issues[0]).toContain(message);
  });
});
