/**
 * Importer of Sloth `prometheus/v1` specs (https://sloth.dev/specs/prometheus/), and of the
 * `spec` of Sloth's PrometheusServiceLevel CRD (the same fields in camelCase): each document of
 * a file (`---`-separated, as Sloth reads them) becomes one custom-SLI model. The Sloth shape is
 * validated first, so issues name the Sloth file's own fields (`slos[1].sli.events.error_query`);
 * the mapped data then goes through the ordinary config validation. What could not be kept as
 * Sloth has it is returned as notes, at the field concerned.
 */
import type { Config } from '../model/types.js';
import { DEFAULT_OWNER_RECEIVER, documentData, IDENTITY_LABELS, importedModel, isRecord, K8S_NAME, loadYamlDocuments, sortIssues, TEAM, PARSE_OPTIONS, zodIssueMessage } from './yaml-source.js';
import { validateData, type ParseResult } from './parse.js';
import { SourceMap, type FieldPath, type SpecIssue } from './positions.js';
import { slothSpec, type SlothQuery, type SlothSpec } from './sloth-schema.js';

export { slothQuerySelector } from './sloth-schema.js';

/** Options of an import: the SLO period (Sloth's `--default-slo-period`) and burn alerts' `for:`. */
export interface SlothImportOptions {
  /** Sloth's prometheus/v1 spec has no window field: the period is the CLI's, 30d by default (sloth.dev, "SLO period"). */
  period?: '28d' | '30d';
  /** A `for:` delay for all four burn alerts (`0s`: fire at once, as Sloth's do); default modelslo's table. */
  alertFor?: string;
}

export { DEFAULT_OWNER_RECEIVER } from './yaml-source.js';

type Note = [FieldPath, string];

/** Checks on the labels that name the model's namespace and owner; run on the raw data. */
function labelProblems(data: Record<string, unknown>): Note[] {
  const out: Note[] = [];
  const labels = isRecord(data['labels']) ? data['labels'] : {};
  const ns = labels['namespace'];
  if (ns !== undefined && !(typeof ns === 'string' && K8S_NAME.test(ns))) {
    out.push([['labels', 'namespace'], 'must be a Kubernetes namespace name (lowercase letters, digits and "-", at most 63)']);
  }
  const key = labels['owner'] !== undefined ? 'owner' : labels['team'] !== undefined ? 'team' : undefined;
  const team = key === undefined ? undefined : labels[key];
  if (key !== undefined && !(typeof team === 'string' && TEAM.test(team))) {
    out.push([['labels', key], 'must be a team name (letters, digits, "-", "_", ".")']);
  }
  return out;
}

function duplicateSloNames(spec: SlothSpec): Note[] {
  const seen = new Map<string, number>();
  const out: Note[] = [];
  spec.slos.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined) out.push([['slos', i, 'name'], `duplicate SLO "${s.name}" (also slos[${first}])`]);
    else seen.set(s.name, i);
  });
  return out;
}

const selectorOf = (q: SlothQuery | undefined): string | undefined => (q !== undefined && 'selector' in q ? q.selector : undefined);

/** The SLI: counter selectors when both queries have the plain shape, else PromQL templates. */
function sliData(s: SlothSpec['slos'][number]): Record<string, unknown> {
  const raw = s.sli.raw?.error_ratio_query;
  if (raw !== undefined) return { promql: { error_ratio: raw } };
  const { error_query: errors, total_query: total } = s.sli.events ?? {};
  const bad = selectorOf(errors);
  const all = selectorOf(total);
  // Sloth's error_query counts failed events, so it is modelslo's `bad` selector.
  if (bad !== undefined && all !== undefined) return { ratio: { bad, total: all } };
  return { promql: { errors: errors?.template ?? '', total: total?.template ?? '' } };
}

/** The modelslo model (input shape of the config schema) for one valid Sloth spec, and its notes. */
function toModelData(spec: SlothSpec, options: SlothImportOptions): { model: Record<string, unknown>; notes: Note[] } {
  const labels = spec.labels ?? {};
  const team = labels['owner'] ?? labels['team'];
  const notes: Note[] = [];
  if (team === undefined) notes.push([['labels'], `has no owner label (labels.owner or labels.team): ticket alerts go to the receiver "${DEFAULT_OWNER_RECEIVER}"`]);
  const forAll = options.alertFor;
  const slos = spec.slos.map((s, i) => {
    const sloLabels = { ...labels, ...s.labels, sloth_service: spec.service, sloth_slo: s.name, sloth_id: `${spec.service}-${s.name}` };
    for (const key of IDENTITY_LABELS.filter((k) => k in sloLabels && k !== 'namespace')) {
      notes.push([s.labels?.[key] !== undefined ? ['slos', i, 'labels', key] : ['labels', key], `label "${key}" is set by modelslo (its ${key} label); the spec's value is not kept`]);
    }
    const a = s.alerting;
    const sli = sliData(s);
    if ('promql' in sli) notes.push([['slos', i, 'sli'], 'a PromQL template SLI: the generated promtool tests cannot synthesize series for it (check its rules with promtool check rules)']);
    return {
      name: s.name,
      objective: s.objective,
      window: options.period ?? '30d',
      ...(s.description !== undefined && s.description !== '' ? { description: s.description } : {}),
      labels: Object.fromEntries(Object.entries(sloLabels).filter(([k]) => !IDENTITY_LABELS.includes(k))),
      sli,
      alerts: {
        page: !(a?.page_alert?.disable ?? false),
        ticket: !(a?.ticket_alert?.disable ?? false),
        ...(a?.name !== undefined ? { name: a.name } : {}),
        ...(forAll !== undefined ? { for: { '1h': forAll, '6h': forAll, '1d': forAll, '3d': forAll } } : {}),
        ...(a?.labels !== undefined ? { labels: a.labels } : {}),
        ...(a?.annotations !== undefined ? { annotations: a.annotations } : {}),
        // Sloth labels its alerts sloth_severity=page|ticket; routes built on it keep matching.
        page_labels: { sloth_severity: 'page', ...a?.page_alert?.labels },
        ...(a?.page_alert?.annotations !== undefined ? { page_annotations: a.page_alert.annotations } : {}),
        ticket_labels: { sloth_severity: 'ticket', ...a?.ticket_alert?.labels },
        ...(a?.ticket_alert?.annotations !== undefined ? { ticket_annotations: a.ticket_alert.annotations } : {}),
      },
    };
  });
  if (forAll === undefined && spec.slos.some((s) => !(s.alerting?.page_alert?.disable ?? false) || !(s.alerting?.ticket_alert?.disable ?? false))) {
    notes.push([['slos'], 'burn alerts wait modelslo\'s for: delays (page 2m/15m, ticket 1h/3h) where Sloth\'s fire at once; --alert-for 0s fires at once']);
  }
  const model = importedModel(spec.service, labels['namespace'] ?? 'default', team === undefined ? [] : [team], slos);
  if (team === undefined) model['owners'] = [{ team: 'unowned', receiver: DEFAULT_OWNER_RECEIVER }];
  return { model, notes };
}

/** Sloth's Kubernetes CRD (sloth.dev, "Kubernetes CRD"): a `spec` of the plain format in camelCase. */
const SLOTH_CRD_API = 'sloth.slok.dev/v1';

/** The CRD's camelCase field names and the plain spec's (the rest are the same in both). */
const CRD_TO_SPEC: Readonly<Record<string, string>> = {
  errorQuery: 'error_query',
  totalQuery: 'total_query',
  errorRatioQuery: 'error_ratio_query',
  pageAlert: 'page_alert',
  ticketAlert: 'ticket_alert',
  sloPlugins: 'slo_plugins',
};
const SPEC_TO_CRD: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(CRD_TO_SPEC).map(([k, v]) => [v, k]));

/** Field names renamed through `names`, recursively, except inside label and annotation maps (user keys). */
function renameKeys(value: unknown, names: Readonly<Record<string, string>>): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, names));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [names[k] ?? k, k === 'labels' || k === 'annotations' ? v : renameKeys(v, names)]),
  );
}

/** Issues of a CRD's spec, placed at the CRD's own fields (`spec.slos[0].sli.events.errorQuery`). */
function crdSourceMap(where: Pick<SourceMap, 'issue'>): Pick<SourceMap, 'issue'> {
  return { issue: (path, message) => where.issue(['spec', ...path.map((p) => (typeof p === 'string' ? (SPEC_TO_CRD[p] ?? p) : p))], message) };
}

/** One document's model data, or its issues. */
function readDocument(data: unknown, where: Pick<SourceMap, 'issue'>, options: SlothImportOptions): { model: Record<string, unknown>; notes: SpecIssue[] } | SpecIssue[] {
  if (!isRecord(data)) return [where.issue([], 'must be a Sloth prometheus/v1 spec (a mapping with version, service and slos)')];
  if (typeof data['apiVersion'] === 'string' && data['apiVersion'].startsWith('openslo/')) {
    return [where.issue(['apiVersion'], `is an OpenSLO document (${JSON.stringify(data["apiVersion"])}); read it with --from openslo (OpenSLO v1)`)];
  }
  if (data['apiVersion'] === SLOTH_CRD_API && data['kind'] === 'PrometheusServiceLevel') {
    if (!isRecord(data['spec'])) return [where.issue(['spec'], 'must be a mapping (service, labels, slos), as in a PrometheusServiceLevel')];
    return readDocument({ version: 'prometheus/v1', ...(renameKeys(data['spec'], CRD_TO_SPEC) as Record<string, unknown>) }, crdSourceMap(where), options);
  }
  if (data['apiVersion'] !== undefined) {
    return [
      where.issue(
        ['apiVersion'],
        `is a Kubernetes-style manifest (apiVersion: ${JSON.stringify(data['apiVersion'])}, kind: ${JSON.stringify(data['kind'])}); --from sloth reads Sloth's plain spec files (version: "prometheus/v1") and its ${SLOTH_CRD_API} PrometheusServiceLevel`,
      ),
    ];
  }
  const parsed = slothSpec.safeParse(data, PARSE_OPTIONS);
  const issues: SpecIssue[] = parsed.success ? [] : parsed.error.issues.map((i) => where.issue(i.path as FieldPath, zodIssueMessage(i)));
  const problems = [...labelProblems(data), ...(parsed.success ? duplicateSloNames(parsed.data) : [])];
  issues.push(...problems.map(([path, msg]) => where.issue(path, msg)));
  if (!parsed.success || issues.length > 0) return issues;
  const out = toModelData(parsed.data, options);
  return { model: out.model, notes: out.notes.map(([path, msg]) => where.issue(path, msg)) };
}

/** Imports the Sloth `prometheus/v1` specs of a file read from `file` as one modelslo config. */
export function importSloth(text: string, file: string, options: SlothImportOptions = {}): ParseResult {
  const { docs, lines, issues: yamlIssues } = loadYamlDocuments(text, file);
  if (yamlIssues.length > 0) return { ok: false, issues: yamlIssues };
  const issues: SpecIssue[] = [];
  const notes: SpecIssue[] = [];
  const configs: Config[] = [];
  const seen = new Map<string, number>();
  for (const doc of docs.filter((d) => d.contents !== null)) {
    const where = new SourceMap(file, doc, lines);
    const loaded = documentData(doc, lines, file);
    if (!loaded.ok) {
      issues.push(...loaded.issues);
      continue;
    }
    const read = readDocument(loaded.data, where, options);
    if (Array.isArray(read)) {
      issues.push(...read);
      continue;
    }
    const key = `${String(read.model['namespace'])}/${String(read.model['name'])}`;
    const line = seen.get(key);
    if (line !== undefined) {
      issues.push(where.issue(['service'], `duplicate service ${key} (also at line ${line}); put all its SLOs in one spec`));
      continue;
    }
    seen.set(key, where.issue(['service'], '').line);
    const result = validateData({ models: [read.model] }, where);
    if (!result.ok) issues.push(...result.issues);
    else configs.push(result.config);
    notes.push(...read.notes);
  }
  const [first] = configs;
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues) };
  if (first === undefined) return { ok: false, issues: [{ file, line: 1, column: 1, path: '(root)', message: 'has no Sloth spec' }] };
  return { ok: true, config: { ...first, models: configs.flatMap((c) => c.models) }, notes };
}
