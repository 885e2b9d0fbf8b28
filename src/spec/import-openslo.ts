/**
 * Importer of OpenSLO v1 (https://github.com/OpenSLO/OpenSLO, `apiVersion: openslo/v1`) `SLO`
 * documents with Prometheus `ratioMetric` SLIs. A file may hold several `---`-separated
 * documents; SLOs of one service (and namespace) form one model, and `indicatorRef` may name an
 * `SLI` document of the same file. OpenSLO shapes are validated first, so issues name the
 * OpenSLO document's fields (`spec.objectives[0].target`) at their own line and column.
 */
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { z } from 'zod';
import { validateData, type ParseResult } from './parse.js';
import { SourceMap, type FieldPath, type SpecIssue } from './positions.js';
import { parseSelector } from './promql.js';

const API_VERSION = 'openslo/v1';
const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SLO_NAME = /^[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?$/;
const TEAM = /^[a-zA-Z0-9][-_.a-zA-Z0-9]*$/;

/** Rolling OpenSLO durations modelslo can honour, and the modelslo window each becomes. */
const WINDOWS: Readonly<Record<string, '28d' | '30d'>> = { '28d': '28d', '4w': '28d', '30d': '30d' };

/** Kinds read (SLO, SLI, DataSource) or accepted and ignored: modelslo generates its own alerts. */
const IGNORED_KINDS = new Set(['Service', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget']);

function unsupported(message: string): z.ZodOptional<z.ZodUnknown> {
  return z
    .unknown()
    .superRefine((_v, ctx) => {
      ctx.addIssue({ code: 'custom', message });
    })
    .optional();
}

const labels = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

const metadata = z.strictObject({
  name: z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') }).min(1, 'is required'),
  displayName: z.string().optional(),
  namespace: z.string().optional(),
  labels: labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** The SLI spec schema; `dataSources` maps DataSource names of the file to their `type`. */
function sliSpec(dataSources: ReadonlyMap<string, string>) {
  const metricSource = z
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
      const sel = parseSelector(m.spec.query);
      if (typeof sel === 'string') {
        ctx.addIssue({ code: 'custom', path: ['spec', 'query'], message: sel });
        return z.NEVER;
      }
      return m.spec.query.trim();
    });
  const metric = z.strictObject({ metricSource }).transform((m) => m.metricSource);
  const ratioMetric = z
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
      raw: unsupported('raw (precomputed) ratios are not supported; give good or bad, and total counter selectors'),
      rawType: z.enum(['success', 'failure']).optional(),
    })
    .superRefine((r, ctx) => {
      if (r.raw !== undefined) return;
      if ((r.good === undefined) === (r.bad === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'needs exactly one of good or bad, beside total' });
      }
      if (r.total === undefined) ctx.addIssue({ code: 'custom', path: ['total'], message: 'is required' });
    });
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

function sloDocument(dataSources: ReadonlyMap<string, string>) {
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
      // Accepted and not imported: modelslo generates the multi-window burn-rate alerts itself.
      alertPolicies: z.array(z.unknown()).optional(),
    }),
  });
}

function sliDocument(dataSources: ReadonlyMap<string, string>) {
  return z.strictObject({ apiVersion: z.literal(API_VERSION), kind: z.literal('SLI'), metadata, spec: sliSpec(dataSources) });
}

type SloDoc = z.output<ReturnType<typeof sloDocument>>;
type RatioOut = NonNullable<z.output<ReturnType<typeof sliSpec>>['ratioMetric']>;

function message(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined) return 'is required';
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One YAML document of the file with its raw data and source map. */
interface Doc {
  data: Record<string, unknown>;
  where: SourceMap;
}

/** The SLO documents of one model, in file order. */
interface ModelDraft {
  name: string;
  namespace: string;
  teams: string[];
  slos: Array<Record<string, unknown>>;
  sloLines: Map<string, number>;
}

/** A label's single value (OpenSLO allows a string or a list of strings). */
function labelValue(v: string | string[] | undefined): string | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  return v.length === 1 ? (v[0] ?? null) : null;
}

class Importer {
  readonly issues: SpecIssue[] = [];
  private readonly dataSources = new Map<string, string>();
  private readonly slis = new Map<string, Doc>();
  private readonly sliResults = new Map<string, RatioOut | null>();
  private readonly models = new Map<string, ModelDraft>();

  constructor(private readonly docs: Doc[]) {}

  run(): ModelDraft[] {
    for (const doc of this.docs) this.index(doc);
    let slos = 0;
    for (const doc of this.docs) {
      const kind = doc.data['kind'];
      if (doc.data['apiVersion'] !== API_VERSION) {
        const got = doc.data['apiVersion'];
        this.issue(doc, ['apiVersion'], got === undefined ? `is required (${API_VERSION})` : `must be ${API_VERSION}, got ${JSON.stringify(got)}: only OpenSLO v1 is supported`);
      } else if (kind === 'SLO') {
        slos += 1;
        this.slo(doc);
      } else if (kind !== 'SLI' && kind !== 'DataSource' && !(typeof kind === 'string' && IGNORED_KINDS.has(kind))) {
        this.issue(doc, ['kind'], kind === undefined ? 'is required' : `kind ${JSON.stringify(kind)} is not supported (SLO, SLI, DataSource, Service and alerting kinds are read)`);
      }
    }
    if (slos === 0 && this.issues.length === 0 && this.docs[0] !== undefined) {
      this.issue(this.docs[0], [], 'has no SLO document (kind: SLO); modelslo imports OpenSLO SLOs');
    }
    return [...this.models.values()];
  }

  private issue(doc: Doc, path: FieldPath, msg: string): void {
    this.issues.push(doc.where.issue(path, msg));
  }

  private index(doc: Doc): void {
    const meta = isRecord(doc.data['metadata']) ? doc.data['metadata'] : {};
    const name = meta['name'];
    if (typeof name !== 'string') return;
    const spec = isRecord(doc.data['spec']) ? doc.data['spec'] : {};
    if (doc.data['kind'] === 'DataSource' && typeof spec['type'] === 'string') this.dataSources.set(name, spec['type']);
    if (doc.data['kind'] === 'SLI') {
      if (this.slis.has(name)) this.issue(doc, ['metadata', 'name'], `duplicate SLI "${name}"`);
      else this.slis.set(name, doc);
    }
  }

  /** Validates a referenced SLI document once, however many SLOs name it. */
  private sli(name: string): RatioOut | null | undefined {
    const doc = this.slis.get(name);
    if (doc === undefined) return undefined;
    if (!this.sliResults.has(name)) {
      const parsed = sliDocument(this.dataSources).safeParse(doc.data);
      if (!parsed.success) for (const i of parsed.error.issues) this.issue(doc, i.path as FieldPath, message(i));
      this.sliResults.set(name, parsed.success ? (parsed.data.spec.ratioMetric ?? null) : null);
    }
    return this.sliResults.get(name) ?? null;
  }

  private slo(doc: Doc): void {
    const parsed = sloDocument(this.dataSources).safeParse(doc.data);
    if (!parsed.success) for (const i of parsed.error.issues) this.issue(doc, i.path as FieldPath, message(i));
    const ratio = this.indicator(doc, parsed.success ? parsed.data : undefined);
    const owner = this.owner(doc);
    const namespace = this.namespace(doc);
    if (!parsed.success || ratio === null || owner === null || namespace === null) return;
    const slo = parsed.data;
    const key = `${namespace}/${slo.spec.service}`;
    const model: ModelDraft = this.models.get(key) ?? { name: slo.spec.service, namespace, teams: [], slos: [], sloLines: new Map() };
    this.models.set(key, model);
    if (!model.teams.includes(owner)) model.teams.push(owner);
    const line = model.sloLines.get(slo.metadata.name);
    if (line !== undefined) {
      this.issue(doc, ['metadata', 'name'], `duplicate SLO "${slo.metadata.name}" for ${key} (also at line ${line})`);
      return;
    }
    model.sloLines.set(slo.metadata.name, doc.where.issue(['metadata', 'name'], '').line);
    const objective = slo.spec.objectives[0];
    const window = slo.spec.timeWindow?.[0];
    model.slos.push({
      name: slo.metadata.name,
      objective,
      ...(window !== undefined ? { window } : {}),
      ...(slo.spec.description !== undefined && slo.spec.description !== '' ? { description: slo.spec.description } : {}),
      sli: { ratio: { ...(ratio.good !== undefined ? { good: ratio.good } : { bad: ratio.bad }), total: ratio.total } },
    });
  }

  /** The SLO's ratio SLI, inline or by reference; null when it has issues (already reported). */
  private indicator(doc: Doc, slo: SloDoc | undefined): RatioOut | null {
    const spec = isRecord(doc.data['spec']) ? doc.data['spec'] : {};
    const inline = spec['indicator'];
    const ref = spec['indicatorRef'];
    if (inline !== undefined && ref !== undefined) {
      this.issue(doc, ['spec', 'indicatorRef'], 'give indicator or indicatorRef, not both');
      return null;
    }
    if (inline !== undefined) return slo?.spec.indicator?.spec.ratioMetric ?? null;
    if (ref === undefined) {
      this.issue(doc, ['spec', 'indicator'], 'is required (or indicatorRef naming an SLI document of this file)');
      return null;
    }
    if (typeof ref !== 'string') return null;
    const found = this.sli(ref);
    if (found === undefined) {
      const have = [...this.slis.keys()].join(', ') || 'none';
      this.issue(doc, ['spec', 'indicatorRef'], `names no SLI document in this file (have: ${have}); SLIs kept elsewhere are not supported`);
      return null;
    }
    return found;
  }

  private owner(doc: Doc): string | null {
    const meta = isRecord(doc.data['metadata']) ? doc.data['metadata'] : {};
    const labelsData = labels.safeParse(meta['labels'] ?? {});
    if (!labelsData.success) return null; // reported by the document schema
    const key = labelsData.data['owner'] !== undefined ? 'owner' : labelsData.data['team'] !== undefined ? 'team' : undefined;
    if (key === undefined) {
      this.issue(doc, ['metadata', 'labels'], 'needs an owner label (metadata.labels.owner or metadata.labels.team) naming the team that owns the model; its ticket alerts route there');
      return null;
    }
    const team = labelValue(labelsData.data[key]);
    if (typeof team !== 'string' || !TEAM.test(team)) {
      this.issue(doc, ['metadata', 'labels', key], 'must be one team name (letters, digits, "-", "_", ".")');
      return null;
    }
    return team;
  }

  private namespace(doc: Doc): string | null {
    const meta = isRecord(doc.data['metadata']) ? doc.data['metadata'] : {};
    const lbls = isRecord(meta['labels']) ? meta['labels'] : {};
    const fromLabel = lbls['namespace'];
    const [path, raw]: [FieldPath, unknown] =
      fromLabel !== undefined ? [['metadata', 'labels', 'namespace'], fromLabel] : [['metadata', 'namespace'], meta['namespace']];
    if (raw === undefined) return 'default';
    const ns = typeof raw === 'string' || Array.isArray(raw) ? labelValue(raw as string | string[]) : null;
    if (typeof ns !== 'string' || !K8S_NAME.test(ns)) {
      this.issue(doc, path, 'must be one Kubernetes namespace name (lowercase letters, digits and "-", at most 63)');
      return null;
    }
    return ns;
  }
}

/** Imports OpenSLO v1 documents read from `file` as a modelslo config. */
export function importOpenSlo(text: string, file: string): ParseResult {
  const lines = new LineCounter();
  const all = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const documents: Document[] = Array.isArray(all) ? all : [];
  const yamlIssues: SpecIssue[] = documents.flatMap((d) =>
    d.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return { file, line: pos.line, column: pos.col, path: '(yaml)', message: e.message.split('\n')[0] ?? e.message };
    }),
  );
  if (yamlIssues.length > 0) return { ok: false, issues: yamlIssues };
  const docs: Doc[] = [];
  const issues: SpecIssue[] = [];
  for (const d of documents) {
    if (d.contents === null) continue;
    const where = new SourceMap(file, d, lines);
    const data = d.toJS() as unknown;
    if (isRecord(data)) docs.push({ data, where });
    else issues.push(where.issue([], 'must be an OpenSLO object (apiVersion, kind, metadata, spec); put one object in each ---separated document'));
  }
  const first = docs[0];
  if (first === undefined) {
    return { ok: false, issues: issues.length > 0 ? issues : [{ file, line: 1, column: 1, path: '(root)', message: 'has no OpenSLO documents' }] };
  }
  const importer = new Importer(docs);
  const models = importer.run();
  issues.push(...importer.issues);
  if (issues.length > 0) return { ok: false, issues: [...issues].sort((a, b) => a.line - b.line || a.column - b.column) };
  const data = {
    models: models.map((m) => ({
      name: m.name,
      namespace: m.namespace,
      owners: m.teams.map((team) => ({ team, receiver: team })),
      sli_source: 'custom',
      slos: m.slos,
    })),
  };
  return validateData(data, first.where);
}
