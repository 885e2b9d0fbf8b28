/**
 * Importer of OpenSLO v1 (https://github.com/OpenSLO/OpenSLO, `apiVersion: openslo/v1`) `SLO`
 * documents with Prometheus `ratioMetric` SLIs. Several files of `---`-separated documents are
 * read as one set: SLOs of one service (and namespace) form one model, and `indicatorRef`,
 * `metricSourceRef`, `alertPolicyRef` and `conditionRef` may name a document of any of them.
 * OpenSLO shapes are validated first, so issues name the OpenSLO document's fields
 * (`spec.objectives[0].target`) at their own file, line and column. What could not be kept is
 * returned as notes.
 */
import { DEFAULT_OWNER_RECEIVER, documentData, importedModel, isRecord, K8S_NAME, loadYamlDocuments, sortIssues, TEAM, PARSE_OPTIONS, zodIssueMessage } from './yaml-source.js';
import { API_VERSION, labels, sliDocument, sloDocument, type RatioOut, type SloDoc } from './openslo-schema.js';
import { alertsFromPolicies, promLabels, type AlertDocs } from './openslo-alerts.js';
import { validateData, type ParseResult } from './parse.js';
import { SourceMap, type FieldPath, type SpecIssue } from './positions.js';

/** Kinds accepted and not imported (AlertPolicy and AlertCondition are read when an SLO names them). */
const IGNORED_KINDS = new Set(['Service', 'AlertNotificationTarget']);

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
  /** SLO documents without an owner label (noted once the model's owners are known). */
  unowned: Doc[];
}

/** A label's single value (OpenSLO allows a string or a list of strings). */
function labelValue(v: string | string[] | undefined): string | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  return v.length === 1 ? (v[0] ?? null) : null;
}

/** The SLI of a modelslo SLO (config input shape) from an OpenSLO ratio. */
function sliData(ratio: RatioOut): Record<string, unknown> {
  if (ratio.raw !== undefined) {
    // rawType success stores good/total; modelslo's error ratio is then its complement.
    return { promql: { error_ratio: ratio.rawType === 'failure' ? ratio.raw : `1 - (${ratio.raw})` } };
  }
  return { ratio: { ...(ratio.good !== undefined ? { good: ratio.good } : { bad: ratio.bad }), total: ratio.total } };
}

class Importer {
  readonly issues: SpecIssue[] = [];
  readonly notes: SpecIssue[] = [];
  private readonly alertDocs: AlertDocs = { policies: new Map(), conditions: new Map() };
  private readonly dataSources = new Map<string, string>();
  private readonly slis = new Map<string, Doc>();
  private readonly sliResults = new Map<string, RatioOut | null>();
  private readonly models = new Map<string, ModelDraft>();

  constructor(
    private readonly docs: Doc[],
    private readonly options: OpenSloImportOptions,
  ) {}

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
      } else if (kind !== 'SLI' && kind !== 'DataSource' && kind !== 'AlertPolicy' && kind !== 'AlertCondition' && !(typeof kind === 'string' && IGNORED_KINDS.has(kind))) {
        this.issue(doc, ['kind'], kind === undefined ? 'is required' : `kind ${JSON.stringify(kind)} is not supported (SLO, SLI, DataSource, Service and alerting kinds are read)`);
      }
    }
    if (slos === 0 && this.issues.length === 0 && this.docs[0] !== undefined) {
      this.issue(this.docs[0], [], 'has no SLO document (kind: SLO); modelslo imports OpenSLO SLOs');
    }
    const models = [...this.models.values()];
    for (const m of models) {
      const to = m.teams.length === 0 ? `the receiver "${DEFAULT_OWNER_RECEIVER}"` : `the model's owners (${m.teams.join(', ')})`;
      for (const doc of m.unowned) this.notes.push(doc.where.issue(['metadata', 'labels'], `has no owner label (metadata.labels.owner or metadata.labels.team): ticket alerts go to ${to}`));
    }
    return models;
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
    const named: Partial<Record<string, Map<string, Doc>>> = { SLI: this.slis, AlertPolicy: this.alertDocs.policies, AlertCondition: this.alertDocs.conditions };
    const kind = doc.data['kind'];
    const map = typeof kind === 'string' ? named[kind] : undefined;
    if (map === undefined) return;
    const first = map.get(name);
    if (first !== undefined) this.issue(doc, ['metadata', 'name'], `duplicate ${String(kind)} "${name}" (also ${first.where.issue([], '').file}:${first.where.issue([], '').line})`);
    else map.set(name, doc);
  }

  /** Validates a referenced SLI document once, however many SLOs name it. */
  private sli(name: string): RatioOut | null | undefined {
    const doc = this.slis.get(name);
    if (doc === undefined) return undefined;
    if (!this.sliResults.has(name)) {
      const parsed = sliDocument(this.dataSources).safeParse(doc.data, PARSE_OPTIONS);
      if (!parsed.success) for (const i of parsed.error.issues) this.issue(doc, i.path as FieldPath, zodIssueMessage(i));
      this.sliResults.set(name, parsed.success ? (parsed.data.spec.ratioMetric ?? null) : null);
    }
    return this.sliResults.get(name) ?? null;
  }

  private slo(doc: Doc): void {
    const parsed = sloDocument(this.dataSources).safeParse(doc.data, PARSE_OPTIONS);
    if (!parsed.success) for (const i of parsed.error.issues) this.issue(doc, i.path as FieldPath, zodIssueMessage(i));
    const ratio = this.indicator(doc, parsed.success ? parsed.data : undefined);
    const owner = this.owner(doc);
    const namespace = this.namespace(doc);
    if (!parsed.success || ratio === null || owner === null || namespace === null) return;
    const slo = parsed.data;
    const key = `${namespace}/${slo.spec.service}`;
    const model: ModelDraft = this.models.get(key) ?? { name: slo.spec.service, namespace, teams: [], slos: [], sloLines: new Map(), unowned: [] };
    this.models.set(key, model);
    if (owner !== undefined && !model.teams.includes(owner)) model.teams.push(owner);
    if (owner === undefined) model.unowned.push(doc);
    const line = model.sloLines.get(slo.metadata.name);
    if (line !== undefined) {
      this.issue(doc, ['metadata', 'name'], `duplicate SLO "${slo.metadata.name}" for ${key} (also at line ${line})`);
      return;
    }
    model.sloLines.set(slo.metadata.name, doc.where.issue(['metadata', 'name'], '').line);
    const objective = slo.spec.objectives[0];
    const window = slo.spec.timeWindow?.[0] ?? this.options.period ?? '28d';
    const forAll = this.options.alertFor;
    const meta = (path: FieldPath) => ({ where: doc.where, path });
    const sliMeta = this.sliMetadata(doc, slo);
    const sloLabels = { ...sliMeta.labels, ...promLabels(slo.metadata.labels, meta(['metadata', 'labels']), this.notes) };
    const annotations = { ...sliMeta.annotations, ...slo.metadata.annotations };
    const out = { issues: this.issues, notes: this.notes };
    const fromPolicies = alertsFromPolicies(slo.spec.alertPolicies, window, this.alertDocs, meta(['spec', 'alertPolicies']), out);
    const policyAnnotations = fromPolicies['annotations'] as Record<string, string> | undefined;
    if ('raw' in ratio && ratio.raw !== undefined) {
      this.notes.push(doc.where.issue(['spec'], 'a raw ratio SLI is a PromQL template: the generated promtool tests cannot synthesize series for it (check its rules with promtool check rules)'));
    }
    model.slos.push({
      name: slo.metadata.name,
      objective,
      window,
      ...(slo.spec.description !== undefined && slo.spec.description !== '' ? { description: slo.spec.description } : {}),
      ...(Object.keys(sloLabels).length > 0 ? { labels: sloLabels } : {}),
      sli: sliData(ratio),
      alerts: {
        ...fromPolicies,
        ...(Object.keys(annotations).length > 0 || policyAnnotations !== undefined ? { annotations: { ...annotations, ...policyAnnotations } } : {}),
        ...(forAll !== undefined ? { for: { '1h': forAll, '6h': forAll, '1d': forAll, '3d': forAll } } : {}),
      },
    });
  }

  /** Labels and annotations of the SLO's SLI (inline `indicator.metadata` or the referenced SLI document). */
  private sliMetadata(doc: Doc, slo: SloDoc): { labels: Record<string, string>; annotations: Record<string, string> } {
    const inline = slo.spec.indicator?.metadata;
    const ref = slo.spec.indicatorRef !== undefined ? this.slis.get(slo.spec.indicatorRef) : undefined;
    const refMeta = ref !== undefined && isRecord(ref.data['metadata']) ? ref.data['metadata'] : undefined;
    const where = ref?.where ?? doc.where;
    const path: FieldPath = ref !== undefined ? ['metadata', 'labels'] : ['spec', 'indicator', 'metadata', 'labels'];
    const rawLabels = labels.safeParse(inline?.labels ?? refMeta?.['labels'] ?? {});
    const rawAnnotations = inline?.annotations ?? (isRecord(refMeta?.['annotations']) ? (refMeta['annotations'] as Record<string, string>) : {});
    return { labels: rawLabels.success ? promLabels(rawLabels.data, { where, path }, this.notes) : {}, annotations: rawAnnotations };
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

  /** The SLO's team; undefined when it names none (tickets then go to the default receiver); null on an issue. */
  private owner(doc: Doc): string | undefined | null {
    const meta = isRecord(doc.data['metadata']) ? doc.data['metadata'] : {};
    const labelsData = labels.safeParse(meta['labels'] ?? {}, PARSE_OPTIONS);
    if (!labelsData.success) return null; // reported by the document schema
    const key = labelsData.data['owner'] !== undefined ? 'owner' : labelsData.data['team'] !== undefined ? 'team' : undefined;
    if (key === undefined) {
      return undefined;
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

/** Options of an import: the window of SLOs without a timeWindow, and a `for:` of all burn alerts. */
export interface OpenSloImportOptions {
  period?: '28d' | '30d';
  alertFor?: string;
}

/** One file read: its name (for issues) and text. */
export interface SourceFile {
  file: string;
  text: string;
}

/** Imports OpenSLO v1 documents read from `file` as a modelslo config. */
export function importOpenSlo(text: string, file: string, options: OpenSloImportOptions = {}): ParseResult {
  return importOpenSloFiles([{ file, text }], options);
}

/** Imports the OpenSLO v1 documents of several files as one modelslo config (references resolve across files). */
export function importOpenSloFiles(files: readonly SourceFile[], options: OpenSloImportOptions = {}): ParseResult {
  const docs: Doc[] = [];
  const issues: SpecIssue[] = [];
  for (const { file, text } of files) {
    const { docs: documents, lines, issues: yamlIssues } = loadYamlDocuments(text, file);
    issues.push(...yamlIssues);
    if (yamlIssues.length > 0) continue;
    for (const d of documents) {
      if (d.contents === null) continue;
      const where = new SourceMap(file, d, lines);
      const loaded = documentData(d, lines, file);
      if (!loaded.ok) {
        issues.push(...loaded.issues);
        continue;
      }
      const data = loaded.data;
      if (isRecord(data)) docs.push({ data, where });
      else issues.push(where.issue([], 'must be an OpenSLO object (apiVersion, kind, metadata, spec); put one object in each ---separated document'));
    }
  }
  const first = docs[0];
  if (first === undefined) {
    const file = files[0]?.file ?? '(none)';
    return { ok: false, issues: issues.length > 0 ? issues : [{ file, line: 1, column: 1, path: '(root)', message: 'has no OpenSLO documents' }] };
  }
  const importer = new Importer(docs, options);
  const models = importer.run();
  issues.push(...importer.issues);
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues) };
  const data = {
    models: models.map((m) => {
      const model = importedModel(m.name, m.namespace, m.teams, m.slos);
      if (m.teams.length === 0) model['owners'] = [{ team: 'unowned', receiver: DEFAULT_OWNER_RECEIVER }];
      return model;
    }),
  };
  const result = validateData(data, first.where);
  return result.ok ? { ...result, notes: sortIssues(importer.notes) } : result;
}
