/**
 * zod schema of Sloth's `prometheus/v1` spec (https://sloth.dev/specs/prometheus/, the Go types in
 * slok/sloth pkg/prometheus/api/v1). Events queries of the shape `sum(rate(SELECTOR[{{.window}}]))`
 * become counter selectors; any other query is kept as a PromQL template, checked for every window.
 */
import { z } from 'zod';
import { K8S_NAME, SLO_NAME, unsupported } from './yaml-source.js';
import { parseSelector } from './promql.js';
import { templateError } from './promql-template.js';

/** The query shape read as counter selectors; modelslo re-wraps the selector in its own rate windows. */
export const SELECTOR_QUERY = 'sum(rate(SELECTOR[{{.window}}]))';

/** `sum(<fn>(SELECTOR[{{.window}}]))`, spaces allowed; group 1 is the function, group 2 the selector. */
const WINDOWED_SUM = /^\s*sum\s*\(\s*([a-z_]+)\s*\(\s*([\s\S]+?)\s*\[\s*\{\{\s*\.window\s*\}\}\s*\]\s*\)\s*\)\s*$/;

/** Extracts the counter selector of a Sloth events query, or says why the query is not of that shape. */
export function slothQuerySelector(query: string): { selector: string } | { error: string } {
  const windows = query.match(/\{\{\s*\.window\s*\}\}/g)?.length ?? 0;
  if (windows === 0) return { error: `must use the {{.window}} placeholder, as in ${SELECTOR_QUERY}` };
  const m = windows === 1 ? WINDOWED_SUM.exec(query) : null;
  if (m === null) return { error: `is not of the shape ${SELECTOR_QUERY} (the sum of the rate of one counter selector)` };
  const fn = m[1] ?? '';
  const selector = m[2] ?? '';
  if (fn !== 'rate') return { error: `uses ${fn}(), not the shape ${SELECTOR_QUERY}` };
  const parsed = parseSelector(selector);
  if (typeof parsed === 'string') return { error: `selector ${selector}: ${parsed}` };
  return { selector };
}

/** A query read: a counter selector, or else a PromQL template (checked). */
export type SlothQuery = { selector: string; template: string } | { template: string };

const labelMap = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name'), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const annotationMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const query = z.string({ error: 'must be a PromQL query string' }).transform((text, ctx): SlothQuery => {
  const out = slothQuerySelector(text);
  if ('selector' in out) return { selector: out.selector, template: text };
  const error = templateError(text);
  if (error !== undefined) {
    ctx.addIssue({ code: 'custom', message: error });
    return z.NEVER;
  }
  return { template: text };
});

const templateOnly = z.string({ error: 'must be a PromQL query string' }).superRefine((text, ctx) => {
  const error = templateError(text);
  if (error !== undefined) ctx.addIssue({ code: 'custom', message: error });
});

const alert = z.strictObject({
  disable: z.boolean({ error: 'must be true or false' }).default(false),
  labels: labelMap.optional(),
  annotations: annotationMap.optional(),
});

const sli = z
  .strictObject({
    events: z.strictObject({ error_query: query, total_query: query }).optional(),
    raw: z.strictObject({ error_ratio_query: templateOnly }).optional(),
    plugin: unsupported('SLI plugins are not supported (they are Go code run by Sloth); write the SLI as events or raw PromQL queries'),
  })
  .superRefine((s, ctx) => {
    const kinds = ['events', 'raw', 'plugin'].filter((k) => s[k as keyof typeof s] !== undefined).length;
    if (kinds === 0) ctx.addIssue({ code: 'custom', path: ['events'], message: 'is required (error_query and total_query), or raw (error_ratio_query)' });
    if (kinds > 1) ctx.addIssue({ code: 'custom', message: 'must have exactly one of events, raw or plugin' });
  });

const slo = z.strictObject({
  name: z.string().regex(SLO_NAME, 'must be lowercase letters, digits, "-" or "_" (at most 63), as modelslo SLO names are'),
  objective: z.number({ error: 'must be a number' }).refine((v) => v > 0 && v < 100, {
    error: (iss) => `must be between 0 and 100 (exclusive), got ${String(iss.input)}`,
  }),
  description: z.string().optional(),
  labels: labelMap.optional(),
  sli,
  alerting: z
    .strictObject({
      name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus alert name').optional(),
      labels: labelMap.optional(),
      annotations: annotationMap.optional(),
      page_alert: alert.optional(),
      ticket_alert: alert.optional(),
    })
    .optional(),
  plugins: unsupported('SLO plugin chains are not supported: they rewrite the rules Sloth generates, which modelslo does not reproduce'),
});

/** One `prometheus/v1` document. */
export const slothSpec = z.strictObject({
  version: z.literal('prometheus/v1', {
    error: (iss) => (iss.input === undefined ? 'is required ("prometheus/v1")' : `must be "prometheus/v1", got ${JSON.stringify(iss.input)}`),
  }),
  service: z.string().regex(K8S_NAME, 'must be a Kubernetes name (lowercase letters, digits and "-", at most 63): it becomes the model name'),
  labels: labelMap.optional(),
  slos: z.array(slo).min(1, 'needs at least one SLO'),
  slo_plugins: unsupported('SLO plugin chains are not supported: they rewrite the rules Sloth generates, which modelslo does not reproduce'),
});

/** A valid Sloth spec. */
export type SlothSpec = z.output<typeof slothSpec>;
