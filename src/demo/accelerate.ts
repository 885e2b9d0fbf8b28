/**
 * What the demo (and the tests) shorten so that minutes of an incident happen in seconds, without
 * changing what is evaluated: the Alertmanager timers of the generated routing, and the `for:` of
 * the generated burn-rate alerts. The expressions, windows, thresholds and routes stay as
 * generated.
 */
import type { Artifact } from '../rules/generate.js';

/** Sets every group_wait, group_interval and repeat_interval of an Alertmanager config object to `value`, in place. */
export function shortenTimers(node: unknown, value: string): void {
  if (Array.isArray(node)) node.forEach((n) => shortenTimers(n, value));
  else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    for (const k of ['group_wait', 'group_interval', 'repeat_interval']) if (k in o) o[k] = value;
    Object.values(o).forEach((n) => shortenTimers(n, value));
  }
}

/** The generated Alertmanager config object of `artifacts`, copied, with its timers set to `value`. */
export function routingWithTimers(artifacts: readonly Artifact[], value: string): unknown {
  const artifact = artifacts.find((a) => a.path === 'alertmanager/alertmanager.yaml');
  if (artifact === undefined) throw new Error('generate wrote no alertmanager/alertmanager.yaml');
  const content = structuredClone(artifact.content);
  shortenTimers(content, value);
  return content;
}

/**
 * The generated rule files of `artifacts`, copied, with the `for:` of every ModelSLOErrorBudgetBurn
 * alert set to `value`; returns the files and the durations replaced (e.g. ["2m", "15m", "1h", "3h"]).
 */
export function burnAlertsWithFor(artifacts: readonly Artifact[], value: string): { files: Array<{ path: string; content: unknown }>; replaced: string[] } {
  const replaced = new Set<string>();
  const files = artifacts
    .filter((a) => a.path.startsWith('rules/') && a.path.endsWith('.rules.yaml'))
    .map((a) => {
      const content = structuredClone(a.content) as { groups?: Array<{ rules?: Array<Record<string, unknown>> }> };
      for (const g of content.groups ?? []) {
        for (const r of g.rules ?? []) {
          if (r.alert !== 'ModelSLOErrorBudgetBurn') continue;
          if (typeof r.for === 'string') replaced.add(r.for);
          r.for = value;
        }
      }
      return { path: a.path, content };
    });
  return { files, replaced: [...replaced] };
}
