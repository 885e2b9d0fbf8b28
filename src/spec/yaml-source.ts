/**
 * YAML sources with positions kept, shared by the config parser and the importers of foreign SLO
 * specs (Sloth, OpenSLO): loading, zod issues in the config's words, a schema for fields modelslo cannot honour, the name
 * patterns of the config schema, and the shape every imported model takes.
 */
import { LineCounter, parseAllDocuments, parseDocument, type Document, type YAMLError } from 'yaml';
import { z } from 'zod';
import type { SpecIssue } from './positions.js';

/** A Kubernetes name (DNS label): model names and namespaces. */
export const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A modelslo SLO name. */
export const SLO_NAME = /^[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?$/;
/** A team name, as owners are named in the config. */
export const TEAM = /^[a-zA-Z0-9][-_.a-zA-Z0-9]*$/;

/** The receiver of tickets of an imported spec without an owner label (Sloth and OpenSLO have no notion of owner). */
export const DEFAULT_OWNER_RECEIVER = 'default-owners';

/** Labels modelslo sets itself on every rule; an imported label of the same name is replaced. */
export const IDENTITY_LABELS: readonly string[] = ['namespace', 'model', 'slo', 'window', 'short_window'];

/** Parser options of every imported file: positions in errors, and duplicate keys refused. */
const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true } as const;

/** YAML syntax errors → issues at their line and column, path `(yaml)`. */
function yamlIssues(errors: readonly YAMLError[], lines: LineCounter, file: string): SpecIssue[] {
  return errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { file, line: pos.line, column: pos.col, path: '(yaml)', message: e.message.split('\n')[0] ?? e.message };
  });
}

/** A file of one YAML document, parsed keeping positions; its syntax errors as issues. */
export function loadYamlDocument(text: string, file: string): { doc: Document; lines: LineCounter; issues: SpecIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, ...YAML_OPTIONS });
  return { doc, lines, issues: yamlIssues(doc.errors, lines, file) };
}

/** Aliases one document may expand (yaml's maxAliasCount): more is an alias bomb ("billion laughs"). */
export const MAX_ALIAS_EXPANSIONS = 100;

/** A document's data, or one issue when its aliases expand past MAX_ALIAS_EXPANSIONS. */
export function documentData(doc: Document, lines: LineCounter, file: string): { ok: true; data: unknown } | { ok: false; issues: SpecIssue[] } {
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS }) as unknown };
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const pos = lines.linePos(doc.range?.[0] ?? 0);
    return { ok: false, issues: [{ file, line: pos.line, column: pos.col, path: '(yaml)', message: `aliases expand past the limit of ${MAX_ALIAS_EXPANSIONS} (a YAML alias bomb?): refused` }] };
  }
}

/** A file of `---`-separated YAML documents, parsed keeping positions; their syntax errors as issues. */
export function loadYamlDocuments(text: string, file: string): { docs: Document[]; lines: LineCounter; issues: SpecIssue[] } {
  const lines = new LineCounter();
  const all = parseAllDocuments(text, { lineCounter: lines, ...YAML_OPTIONS });
  const docs: Document[] = Array.isArray(all) ? all : [];
  return { docs, lines, issues: docs.flatMap((d) => yamlIssues(d.errors, lines, file)) };
}

/** Options of every safeParse of a config: issues carry their input (without it every wrong type read "is required"). */
export const PARSE_OPTIONS = { reportInput: true } as const;

/** The YAML words for a value's kind, with a short quote of scalars: `a string ("99.9")`. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v) ?? typeof v;
  const quote = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  if (typeof v === 'string') return `a string (${quote})`;
  if (typeof v === 'number') return `a number (${quote})`;
  if (typeof v === 'boolean') return `a boolean (${quote})`;
  return typeof v;
}

const EXPECTED: Record<string, string> = { number: 'a number', int: 'an integer', string: 'a string', boolean: 'true or false', array: 'a list', object: 'a mapping', record: 'a mapping' };

/** `zod` issue → message: "is required", "expected X, got Y", "unknown field …", or the schema's own words. */
export function zodIssueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const input = (issue as { input?: unknown }).input;
    if (input === undefined) return 'is required';
    // zod's own wording ("Invalid input: expected number, received string") in the config's words; a schema's custom message stays.
    if (issue.message.startsWith('Invalid input')) return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${kindOf(input)}`;
    return `${issue.message}, got ${kindOf(input)}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
}

/** A field the foreign spec has but modelslo cannot honour: any value is an issue with `message`. */
export function unsupported(message: string): z.ZodOptional<z.ZodUnknown> {
  return z
    .unknown()
    .superRefine((_v, ctx) => {
      ctx.addIssue({ code: 'custom', message });
    })
    .optional();
}

/** A plain mapping (not null, not a list). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Issues in file order: by file, line, then column. */
export function sortIssues(issues: readonly SpecIssue[]): SpecIssue[] {
  return [...issues].sort((a, b) => (a.file === b.file ? 0 : a.file < b.file ? -1 : 1) || a.line - b.line || a.column - b.column);
}

/**
 * One imported model, in the input shape of the config schema: custom SLIs (the foreign spec's
 * own selectors), owned by teams that are each their own alert receiver.
 */
export function importedModel(name: string, namespace: string, teams: readonly string[], slos: unknown[]): Record<string, unknown> {
  return {
    name,
    namespace,
    owners: teams.map((team) => ({ team, receiver: team })),
    sli_source: 'custom',
    slos,
    // An imported spec describes a service, not necessarily a KServe predictor: no failure-mode
    // alerts on its pods (custom sources get no request-share, cold-start or skew alerts anyway).
    alerts: { model_load_failure: { enabled: false }, oom_kills: { enabled: false }, scale_thrashing: { enabled: false } },
  };
}
