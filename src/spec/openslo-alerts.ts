/**
 * OpenSLO v1 metadata and alerting mapped onto modelslo's burn alerts: `metadata.labels` and
 * `annotations` become Prometheus labels and annotations, and `AlertPolicy` / `AlertCondition`
 * (`kind: burnrate`, inline or by `alertPolicyRef` / `conditionRef`) become the page and ticket
 * alerts' name, `for:`, labels and annotations. What cannot be kept is returned as a note.
 */
import { z } from 'zod';
import { BURN_WINDOWS, burnFactor, durationSeconds } from '../slo/burn-windows.js';
import type { SloWindow } from '../model/types.js';
import { API_VERSION, labels as labelsSchema } from './openslo-schema.js';
import { IDENTITY_LABELS, isRecord, PARSE_OPTIONS, zodIssueMessage } from './yaml-source.js';
import type { FieldPath, SourceMap, SpecIssue } from './positions.js';

/** A field of one document, where an issue or a note is told. */
export interface At {
  where: SourceMap;
  path: FieldPath;
}

/** Severities read as pages (OpenSLO's severity is free text, "ex. sev1, page"); any other is a ticket. */
const PAGE_SEVERITIES = new Set(['page', 'critical', 'sev1', 'sev-1', 'p1', 'high', 'urgent', 'emergency']);

/** OpenSLO duration-shorthand that Prometheus also reads (M, Q and Y are calendar units it lacks). */
const DURATION = /^[0-9]+(m|h|d|w)$/;

const PROM_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A Prometheus label or alert name made of `name`: other characters become "_", a leading digit gets one. */
const promName = (name: string): string => (PROM_LABEL.test(name) ? name : name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^([0-9])/, '_$1'));

const meta = z.looseObject({ name: z.string().min(1, 'is required'), labels: labelsSchema.optional(), annotations: z.record(z.string(), z.string()).optional() });

const conditionSpec = z.strictObject({
  description: z.string().optional(),
  severity: z.string({ error: 'is required (such as page or ticket)' }).min(1, 'is required'),
  condition: z.strictObject({
    kind: z.literal('burnrate', { error: 'must be burnrate: the only OpenSLO v1 condition kind' }).default('burnrate'),
    op: z.enum(['lte', 'gte', 'lt', 'gt'], { error: 'must be lte, gte, lt or gt' }),
    threshold: z.number({ error: 'must be a number (a burn rate)' }),
    lookbackWindow: z.string().regex(DURATION, 'must be a duration such as 1h (m, h, d or w)'),
    alertAfter: z.string().regex(DURATION, 'must be a duration such as 5m (m, h, d or w)').optional(),
  }),
});
const conditionDoc = z.strictObject({ apiVersion: z.literal(API_VERSION).optional(), kind: z.literal('AlertCondition'), metadata: meta, spec: conditionSpec });
const policySpec = z.strictObject({
  description: z.string().optional(),
  alertWhenNoData: z.boolean().optional(),
  alertWhenResolved: z.boolean().optional(),
  alertWhenBreaching: z.boolean().optional(),
  conditions: z.array(z.unknown()).length(1, 'must hold exactly one condition (OpenSLO v1 allows one)'),
  notificationTargets: z.array(z.unknown()).optional(),
});
const policyDoc = z.strictObject({ apiVersion: z.literal(API_VERSION).optional(), kind: z.literal('AlertPolicy'), metadata: meta, spec: policySpec });

type Meta = z.output<typeof meta>;
type Condition = z.output<typeof conditionDoc>;
type Policy = z.output<typeof policyDoc>;

/** OpenSLO labels → Prometheus labels: names made valid, lists joined by ",", identity labels left out (each change noted). */
export function promLabels(raw: Meta['labels'], at: At, notes: SpecIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    const path = [...at.path, key];
    if (IDENTITY_LABELS.includes(key)) {
      if (key !== 'namespace') notes.push(at.where.issue(path, `label "${key}" is set by modelslo (its ${key} label); the spec's value is not kept`));
      continue;
    }
    const name = promName(key);
    if (name !== key) notes.push(at.where.issue(path, `is not a Prometheus label name: kept as "${name}"`));
    if (Array.isArray(value) && value.length !== 1) notes.push(at.where.issue(path, `has ${value.length} values: kept as one, joined by ","`));
    out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/** Named AlertPolicy and AlertCondition documents of all files, for references. */
export interface AlertDocs {
  policies: Map<string, { data: Record<string, unknown>; where: SourceMap }>;
  conditions: Map<string, { data: Record<string, unknown>; where: SourceMap }>;
}

/** Parses `data` with `schema`, reporting issues at `at`; undefined when invalid. */
function parseAt<T extends z.ZodType>(schema: T, data: unknown, at: At, issues: SpecIssue[]): z.output<T> | undefined {
  const parsed = schema.safeParse(data, PARSE_OPTIONS);
  if (parsed.success) return parsed.data;
  for (const i of parsed.error.issues) issues.push(at.where.issue([...at.path, ...(i.path as FieldPath)], zodIssueMessage(i)));
  return undefined;
}

/** An inline object or a `{refKey: name}` reference to a named document, parsed. */
function resolve<T extends z.ZodType>(schema: T, entry: unknown, refKey: string, named: AlertDocs['policies'], at: At, issues: SpecIssue[]): { value: z.output<T>; at: At } | undefined {
  if (isRecord(entry) && refKey in entry) {
    const name = entry[refKey];
    const found = typeof name === 'string' ? named.get(name) : undefined;
    if (found === undefined) {
      const kind = refKey === 'alertPolicyRef' ? 'AlertPolicy' : 'AlertCondition';
      issues.push(at.where.issue([...at.path, refKey], `names no ${kind} document of the files read (have: ${[...named.keys()].join(', ') || 'none'})`));
      return undefined;
    }
    const refAt = { where: found.where, path: [] };
    const value = parseAt(schema, found.data, refAt, issues);
    return value === undefined ? undefined : { value, at: refAt };
  }
  const value = parseAt(schema, entry, at, issues);
  return value === undefined ? undefined : { value, at };
}

/** The burn alerts (config input shape) of an SLO from its `alertPolicies`, with notes on what is not kept. */
export function alertsFromPolicies(
  entries: readonly unknown[] | null | undefined,
  window: SloWindow,
  docs: AlertDocs,
  at: At,
  out: { issues: SpecIssue[]; notes: SpecIssue[] },
): Record<string, unknown> {
  if (entries === undefined || entries === null || entries.length === 0) return {};
  const alerts: Record<string, Record<string, string> | string | boolean> = {};
  const severities = new Set<'page' | 'ticket'>();
  const forByWindow: Record<string, string> = {};
  let alertName: string | undefined;
  const merge = (key: string, more: Record<string, string>): void => {
    if (Object.keys(more).length > 0) alerts[key] = { ...(alerts[key] as Record<string, string> | undefined), ...more };
  };
  entries.forEach((entry, i) => {
    const policy = resolve(policyDoc, entry, 'alertPolicyRef', docs.policies, { where: at.where, path: [...at.path, i] }, out.issues);
    if (policy === undefined) return;
    const p: Policy = policy.value;
    const pAt = policy.at;
    const note = (path: FieldPath, msg: string): void => void out.notes.push(pAt.where.issue([...pAt.path, ...path], msg));
    if (alertName === undefined) {
      alertName = promName(p.metadata.name);
      alerts['name'] = alertName;
      if (alertName !== p.metadata.name) note(['metadata', 'name'], `is not a Prometheus alert name: the burn alerts are named "${alertName}"`);
    } else note(['metadata', 'name'], `the burn alerts keep the first policy's name "${alertName}"`);
    merge('labels', promLabels(p.metadata.labels, { where: pAt.where, path: [...pAt.path, 'metadata', 'labels'] }, out.notes));
    merge('annotations', { ...p.metadata.annotations, ...(p.spec.description !== undefined ? { openslo_policy: p.spec.description } : {}) });
    if (p.spec.alertWhenNoData === true) note(['spec', 'alertWhenNoData'], 'is not kept per policy: modelslo\'s absent-data alert of the model covers missing data');
    if (p.spec.alertWhenResolved === true) note(['spec', 'alertWhenResolved'], 'is not kept: resolved notifications are Alertmanager\'s send_resolved, set per receiver');
    if (p.spec.alertWhenBreaching === false) note(['spec', 'alertWhenBreaching'], 'false is not kept: the burn alerts fire when breaching');
    if (p.spec.notificationTargets !== undefined) note(['spec', 'notificationTargets'], 'are not kept: alerts route by team receivers in the generated Alertmanager config');
    const cond = resolve(conditionDoc, p.spec.conditions[0], 'conditionRef', docs.conditions, { where: pAt.where, path: [...pAt.path, 'spec', 'conditions', 0] }, out.issues);
    if (cond === undefined) return;
    const c: Condition = cond.value;
    const cNote = (path: FieldPath, msg: string): void => void out.notes.push(cond.at.where.issue([...cond.at.path, ...path], msg));
    const severity = PAGE_SEVERITIES.has(c.spec.severity.toLowerCase()) ? 'page' : 'ticket';
    severities.add(severity);
    if (c.spec.severity !== severity) cNote(['spec', 'severity'], `"${c.spec.severity}" is read as a ${severity} (kept as the severity label; the audience label routes it as a ${severity})`);
    merge(`${severity}_labels`, { ...promLabels(c.metadata.labels, { where: cond.at.where, path: [...cond.at.path, 'metadata', 'labels'] }, out.notes), severity: c.spec.severity });
    merge(`${severity}_annotations`, { ...c.metadata.annotations, ...(c.spec.description !== undefined ? { openslo_condition: c.spec.description } : {}) });
    const k = c.spec.condition;
    const rows = BURN_WINDOWS.filter((r) => r.severity === severity);
    const row = rows.find((r) => durationSeconds(r.long) === durationSeconds(k.lookbackWindow));
    const pairs = rows.map((r) => `${burnFactor(r, window)} over ${r.long}`).join(', ');
    if (k.op === 'lt' || k.op === 'lte') cNote(['spec', 'condition', 'op'], `${k.op} is not kept: modelslo's burn alerts fire when the burn rate is above the factor`);
    if (row === undefined || Math.abs(burnFactor(row, window) - k.threshold) > 1e-9) {
      cNote(['spec', 'condition'], `threshold ${k.threshold} over lookbackWindow ${k.lookbackWindow} is not one of modelslo's ${severity} window pairs (${pairs}, for a ${window} SLO): the ${severity} alerts use those${k.alertAfter === undefined ? '' : row === undefined ? `, each with for: ${k.alertAfter} (alertAfter)` : `, the ${row.long} one with for: ${k.alertAfter} (alertAfter)`}`);
    }
    if (k.alertAfter !== undefined) for (const r of row !== undefined ? [row] : rows) forByWindow[r.long] = k.alertAfter;
  });
  if (severities.size === 0) return {};
  for (const s of ['page', 'ticket'] as const) {
    if (!severities.has(s)) {
      alerts[s] = false;
      out.notes.push(at.where.issue(at.path, `no condition is a ${s}: the SLO gets no ${s} burn alerts`));
    }
  }
  if (Object.keys(forByWindow).length > 0) alerts['for'] = forByWindow;
  return alerts;
}
