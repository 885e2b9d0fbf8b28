/**
 * zod schemas of the OpenSLO v1 documents modelslo imports (`SLO`, `SLI`), each mapping the
 * OpenSLO shape to what the importer needs: ratio selectors, a modelslo window, an objective in
 * percent. Fields modelslo cannot honour are listed and refused with the reason.
 */
import { z } from 'zod';
import { isRecord, K8S_NAME, SLO_NAME, unsupported } from './yaml-source.js';
import { parseSelector } from './promql.js';
import { templateError } from './promql-template.js';

/** The only OpenSLO version read. */
export const API_VERSION = 'openslo/v1';

/** Rolling OpenSLO durations modelslo can honour, and the modelslo window each becomes. */
const WINDOWS: Readonly<Record<string, '28d' | '30d'>> = { '28d': '28d', '4w': '28d', '30d': '30d' };

/** OpenSLO labels: a string or a list of strings per key. */
export const labels = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

const metadata = z.strictObject({
  name: z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') }).min(1, 'is required'),
  displayName: z.string().optional(),
  namespace: z.string().optional(),
  labels: labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** The SLI spec schema; `dataSources` maps DataSource names of the file to their `type`. */
function sliSpec(dataSources: ReadonlyMap<string, string>) {
  const metricSource = (check: (query: string) => string | undefined) => z
    .strictObject({
      metricSourceRef: z.string().optional(),
      type: z.string().optional(),
      spec: z.looseObject({ query: z.string({ error: 'is required: a PromQL counter selector' }) }),
    })
    .transform((m, ctx) => {
      const type = m.type ?? (m.metricSourceRef !== undefined ? dataSources.get(m.metricSourceRef) : undefined);
      if (type === undefined) {
        const why = m.metricSourceRef === undefined ? '' : ` (metricSourceRef "${m.metricSourceRef}" names no DataSource in this file)`;
        ctx.addIssue({ code: 'custom', path: ['type'], message: `is required: Prometheus${why}` });
        return z.NEVER;
      }
      if (type.toLowerCase() !== 'prometheus') {
        ctx.addIssue({ code: 'custom', path: ['type'], message: `must be Prometheus, got ${type}: modelslo reads Prometheus counters only` });
        return z.NEVER;
      }
      const error = check(m.spec.query);
      if (error !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['spec', 'query'], message: error });
        return z.NEVER;
      }
      return m.spec.query.trim();
    });
  const selectorError = (q: string): string | undefined => {
    const sel = parseSelector(q);
    return typeof sel === 'string' ? sel : undefined;
  };
  const metric = z.strictObject({ metricSource: metricSource(selectorError) }).transform((m) => m.metricSource);
  // raw: a precomputed ratio as a PromQL template with {{.window}} (rendered per window, as Sloth's raw SLIs).
  const rawError = (q: string): string | undefined => {
    const e = templateError(q);
    return e === undefined ? undefined : `${e}; a raw ratio is read as a PromQL template, such as 1 - avg_over_time(success_ratio[{{.window}}])`;
  };
  const raw = z.strictObject({ metricSource: metricSource(rawError) }).transform((m) => m.metricSource);
  // OpenSLO: counter is "ignored when using raw", so a raw ratio's counter is not checked.
  const ignoreCounterOfRaw = (v: unknown): unknown => (isRecord(v) && v['raw'] !== undefined ? { ...v, counter: true } : v);
  const ratioMetric = z.preprocess(ignoreCounterOfRaw, z
    .strictObject({
      counter: z.literal(true, {
        error: (iss) =>
          iss.input === undefined
            ? 'is required (true): modelslo reads monotonic counters'
            : `must be true, got ${JSON.stringify(iss.input)}: modelslo computes ratios of counter rates, not of gauges`,
      }),
      good: metric.optional(),
      bad: metric.optional(),
      total: metric.optional(),
      raw: raw.optional(),
      rawType: z.enum(['success', 'failure'], { error: 'must be success or failure' }).optional(),
    })
    .superRefine((r, ctx) => {
      if (r.raw !== undefined) {
        // OpenSLO: raw "can't be used together with good/bad/total"; rawType "required with raw"; counter "ignored when using raw".
        if (r.good !== undefined || r.bad !== undefined || r.total !== undefined) ctx.addIssue({ code: 'custom', path: ['raw'], message: 'cannot be used together with good, bad or total' });
        if (r.rawType === undefined) ctx.addIssue({ code: 'custom', path: ['rawType'], message: 'is required with raw (success: good/total, failure: bad/total)' });
        return;
      }
      if ((r.good === undefined) === (r.bad === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'needs exactly one of good or bad, beside total' });
      }
      if (r.total === undefined) ctx.addIssue({ code: 'custom', path: ['total'], message: 'is required' });
    }));
  return z
    .strictObject({
      description: z.string().optional(),
      ratioMetric: ratioMetric.optional(),
      thresholdMetric: unsupported('thresholdMetric SLIs are not supported; modelslo imports ratioMetric SLIs (good or bad, and total counters)'),
    })
    .superRefine((s, ctx) => {
      if (s.ratioMetric === undefined && s.thresholdMetric === undefined) {
        ctx.addIssue({ code: 'custom', path: ['ratioMetric'], message: 'is required' });
      }
    });
}

const timeWindow = z
  .strictObject({
    duration: z.string({ error: 'is required, such as 28d' }),
    isRolling: z.boolean().optional(),
    calendar: z.unknown().optional(),
  })
  .transform((tw, ctx) => {
    // OpenSLO: isRolling "if omitted assumed false if calendar: is present".
    if (tw.isRolling === false || (tw.isRolling === undefined && tw.calendar !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [tw.isRolling === false ? 'isRolling' : 'calendar'],
        message: 'calendar windows are not supported; use a rolling window (isRolling: true) of 28d, 30d or 4w',
      });
      return z.NEVER;
    }
    const window = WINDOWS[tw.duration];
    if (window === undefined) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: `must be 28d, 30d or 4w, got ${tw.duration}: modelslo supports rolling 28- and 30-day windows` });
      return z.NEVER;
    }
    return window;
  });

const objective = z
  .strictObject({
    displayName: z.string().optional(),
    target: z.number({ error: 'must be a number' }).optional(),
    targetPercent: z.number({ error: 'must be a number' }).optional(),
    op: unsupported('is for thresholdMetric SLIs, which are not supported'),
    value: unsupported('is for thresholdMetric SLIs, which are not supported'),
    timeSliceTarget: unsupported('is for Timeslices budgeting, which is not supported'),
    timeSliceWindow: unsupported('is for Timeslices budgeting, which is not supported'),
  })
  .transform((o, ctx) => {
    if ((o.target === undefined) === (o.targetPercent === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of target (0..1) or targetPercent (0..100)' });
      return z.NEVER;
    }
    // target is a ratio; modelslo objectives are percentages. 10 significant digits drop the
    // binary-float noise of the product (0.58 × 100 = 57.99999999999999 in IEEE 754 doubles).
    const percent = o.target !== undefined ? Number((o.target * 100).toPrecision(10)) : (o.targetPercent ?? 0);
    if (!(percent > 0 && percent < 100)) {
      const field = o.target !== undefined ? 'target' : 'targetPercent';
      const range = field === 'target' ? 'between 0 and 1' : 'between 0 and 100';
      ctx.addIssue({ code: 'custom', path: [field], message: `must be ${range} (exclusive), got ${String(o[field])}` });
      return z.NEVER;
    }
    return percent;
  });

/** An `SLO` document; `dataSources` maps DataSource names of the file to their `type`. */
export function sloDocument(dataSources: ReadonlyMap<string, string>) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('SLO'),
    metadata: metadata.extend({
      name: z.string().regex(SLO_NAME, 'must be lowercase letters, digits, "-" or "_" (at most 63): it becomes the modelslo SLO name'),
    }),
    spec: z.strictObject({
      description: z.string().optional(),
      service: z.string({ error: 'is required: the model (InferenceService) name' }).regex(
        K8S_NAME,
        'must be a Kubernetes name (lowercase letters, digits and "-", at most 63): it becomes the model name',
      ),
      indicator: z.strictObject({ metadata: metadata.optional(), spec: sliSpec(dataSources) }).optional(),
      indicatorRef: z.string().optional(),
      timeWindow: z.array(timeWindow).length(1, 'must have exactly one window').optional(),
      budgetingMethod: z.literal('Occurrences', {
        error: (iss) =>
          iss.input === undefined
            ? 'is required (Occurrences)'
            : `must be Occurrences, got ${JSON.stringify(iss.input)}: modelslo budgets by counting good and bad events`,
      }),
      objectives: z
        .array(objective)
        .min(1, 'needs one objective')
        .max(1, 'modelslo supports one objective per SLO; give each further target an SLO document of its own'),
      // Mapped onto the burn alerts by openslo-alerts.ts (an empty `alertPolicies:` is none).
      alertPolicies: z.array(z.unknown()).nullish(),
    }),
  });
}

/** An `SLI` document; `dataSources` as for sloDocument. */
export function sliDocument(dataSources: ReadonlyMap<string, string>) {
  return z.strictObject({ apiVersion: z.literal(API_VERSION), kind: z.literal('SLI'), metadata, spec: sliSpec(dataSources) });
}

/** A valid SLO document. */
export type SloDoc = z.output<ReturnType<typeof sloDocument>>;
/** A valid ratio SLI: its good or bad, and total selectors. */
export type RatioOut = NonNullable<z.output<ReturnType<typeof sliSpec>>['ratioMetric']>;
