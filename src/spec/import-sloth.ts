/**
 * Importer of Sloth `prometheus/v1` specs (https://sloth.dev/specs/prometheus/): one Sloth file
 * becomes one custom-SLI model. The Sloth shape is validated first, so issues name the Sloth
 * file's own fields (`slos[1].sli.events.error_query`); the mapped data then goes through the
 * ordinary config validation.
 */
import { z } from 'zod';
import { documentData, importedModel, isRecord, K8S_NAME, loadYamlDocument, SLO_NAME, sortIssues, TEAM, unsupported, PARSE_OPTIONS, zodIssueMessage } from './yaml-source.js';
import { validateData, type ParseResult } from './parse.js';
import { SourceMap, type FieldPath, type SpecIssue } from './positions.js';
import { parseSelector } from './promql.js';

/** The only query shape imported; modelslo re-wraps the selector in its own rate windows. */
const SUPPORTED_QUERY = 'sum(rate(SELECTOR[{{.window}}]))';

/**
 * Sloth's prometheus/v1 spec has no window field: the period is the CLI's `--default-slo-period`,
 * 30d by default (sloth.dev, "SLO period"), so every imported SLO gets that window.
 */
const SLOTH_WINDOW = '30d';

/** `sum(<fn>(SELECTOR[{{.window}}]))`, spaces allowed; group 1 is the function, group 2 the selector. */
const WINDOWED_SUM = /^\s*sum\s*\(\s*([a-z_]+)\s*\(\s*([\s\S]+?)\s*\[\s*\{\{\s*\.window\s*\}\}\s*\]\s*\)\s*\)\s*$/;

/** Extracts the counter selector of a Sloth events query, or says why the query is not supported. */
export function slothQuerySelector(query: string): { selector: string } | { error: string } {
  const windows = query.match(/\{\{\s*\.window\s*\}\}/g)?.length ?? 0;
  if (windows === 0) {
    return { error: `must use the {{.window}} placeholder; modelslo imports queries of the shape ${SUPPORTED_QUERY}` };
  }
  const m = windows === 1 ? WINDOWED_SUM.exec(query) : null;
  if (m === null) {
    return { error: `must have the shape ${SUPPORTED_QUERY} (the sum of the rate of one counter selector); other query shapes are not supported` };
  }
  const fn = m[1] ?? '';
  const selector = m[2] ?? '';
  if (fn !== 'rate') {
    return { error: `uses ${fn}(); modelslo imports only ${SUPPORTED_QUERY}` };
  }
  const parsed = parseSelector(selector);
  if (typeof parsed === 'string') return { error: `selector ${selector}: ${parsed}` };
  return { selector };
}

const labelMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const query = z.string({ error: 'must be a PromQL query string' }).transform((text, ctx) => {
  const out = slothQuerySelector(text);
  if ('error' in out) {
    ctx.addIssue({ code: 'custom', message: out.error });
    return z.NEVER;
  }
  return out.selector;
});

const alert = z.strictObject({
  disable: z.boolean({ error: 'must be true or false' }).default(false),
  labels: labelMap.optional(),
  annotations: labelMap.optional(),
});

const sli = z
  .strictObject({
    events: z.strictObject({ error_query: query, total_query: query }).optional(),
    raw: unsupported(`raw SLIs (error_ratio_query) are not supported; use events with error_query and total_query of the shape ${SUPPORTED_QUERY}`),
    plugin: unsupported(`SLI plugins are not supported; use events with error_query and total_query of the shape ${SUPPORTED_QUERY}`),
  })
  .superRefine((s, ctx) => {
    if (s.events === undefined && s.raw === undefined && s.plugin === undefined) {
      ctx.addIssue({ code: 'custom', path: ['events'], message: 'is required (error_query and total_query)' });
    }
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
      name: z.string().optional(),
      labels: labelMap.optional(),
      annotations: labelMap.optional(),
      page_alert: alert.optional(),
      ticket_alert: alert.optional(),
    })
    .optional(),
  plugins: unsupported('SLO plugin chains are not supported: they rewrite the rules Sloth generates, which modelslo does not reproduce'),
});

const slothSpec = z.strictObject({
  version: z.literal('prometheus/v1', {
    error: (iss) => (iss.input === undefined ? 'is required ("prometheus/v1")' : `must be "prometheus/v1", got ${JSON.stringify(iss.input)}`),
  }),
  service: z.string().regex(K8S_NAME, 'must be a Kubernetes name (lowercase letters, digits and "-", at most 63): it becomes the model name'),
  labels: labelMap.optional(),
  slos: z.array(slo).min(1, 'needs at least one SLO'),
  slo_plugins: unsupported('SLO plugin chains are not supported: they rewrite the rules Sloth generates, which modelslo does not reproduce'),
});

type SlothSpec = z.output<typeof slothSpec>;

/** Checks on the labels that name the model's namespace and owner; run on the raw data. */
function labelProblems(data: Record<string, unknown>): Array<[FieldPath, string]> {
  const out: Array<[FieldPath, string]> = [];
  const labels = isRecord(data['labels']) ? data['labels'] : {};
  const ns = labels['namespace'];
  if (ns !== undefined && !(typeof ns === 'string' && K8S_NAME.test(ns))) {
    out.push([['labels', 'namespace'], 'must be a Kubernetes namespace name (lowercase letters, digits and "-", at most 63)']);
  }
  const key = labels['owner'] !== undefined ? 'owner' : labels['team'] !== undefined ? 'team' : undefined;
  if (key === undefined) {
    out.push([['labels'], 'needs an owner label (labels.owner or labels.team) naming the team that owns the model; its ticket alerts route there']);
  } else {
    const team = labels[key];
    if (!(typeof team === 'string' && TEAM.test(team))) {
      out.push([['labels', key], 'must be a team name (letters, digits, "-", "_", ".")']);
    }
  }
  return out;
}

function duplicateSloNames(spec: SlothSpec): Array<[FieldPath, string]> {
  const seen = new Map<string, number>();
  const out: Array<[FieldPath, string]> = [];
  spec.slos.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined) out.push([['slos', i, 'name'], `duplicate SLO "${s.name}" (also slos[${first}])`]);
    else seen.set(s.name, i);
  });
  return out;
}

/** The modelslo config file (input shape of configSchema) for one valid Sloth spec. */
function toConfigData(spec: SlothSpec): Record<string, unknown> {
  const labels = spec.labels ?? {};
  const team = labels['owner'] ?? labels['team'] ?? '';
  const slos = spec.slos.map((s) => ({
    name: s.name,
    objective: s.objective,
    window: SLOTH_WINDOW,
    ...(s.description !== undefined && s.description !== '' ? { description: s.description } : {}),
    // Sloth's error_query counts failed events, so it is modelslo's `bad` selector.
    sli: { ratio: { bad: s.sli.events?.error_query, total: s.sli.events?.total_query } },
    alerts: {
      page: !(s.alerting?.page_alert?.disable ?? false),
      ticket: !(s.alerting?.ticket_alert?.disable ?? false),
    },
  }));
  return { models: [importedModel(spec.service, labels['namespace'] ?? 'default', [team], slos)] };
}

/** Imports a Sloth `prometheus/v1` spec read from `file` as a modelslo config. */
export function importSloth(text: string, file: string): ParseResult {
  const { doc, lines, issues: yamlIssues } = loadYamlDocument(text, file);
  if (yamlIssues.length > 0) return { ok: false, issues: yamlIssues };
  const where = new SourceMap(file, doc, lines);
  const loaded = documentData(doc, lines, file);
  if (!loaded.ok) return loaded;
  const data = loaded.data;
  if (!isRecord(data)) return { ok: false, issues: [where.issue([], 'must be a Sloth prometheus/v1 spec (a mapping with version, service and slos)')] };
  if (data['apiVersion'] !== undefined) {
    return {
      ok: false,
      issues: [
        where.issue(
          ['apiVersion'],
          `is a Kubernetes-style manifest (apiVersion: ${JSON.stringify(data['apiVersion'])}); --from sloth reads Sloth's plain spec files (version: "prometheus/v1")`,
        ),
      ],
    };
  }
  const parsed = slothSpec.safeParse(data, PARSE_OPTIONS);
  const issues: SpecIssue[] = parsed.success ? [] : parsed.error.issues.map((i) => where.issue(i.path as FieldPath, zodIssueMessage(i)));
  const problems = [...labelProblems(data), ...(parsed.success ? duplicateSloNames(parsed.data) : [])];
  issues.push(...problems.map(([path, msg]) => where.issue(path, msg)));
  if (!parsed.success || issues.length > 0) return { ok: false, issues: sortIssues(issues) };
  return validateData(toConfigData(parsed.data), where);
}
