/**
 * What the Kubernetes stand-in answers besides objects: discovery documents (the legacy
 * APIGroupList/APIResourceList forms, which kubectl falls back to when the server does not offer
 * aggregated discovery), `meta.k8s.io/v1` Tables with KServe's printer columns, and label selectors.
 */
import type { Json } from './json-patch.js';
import { type KubeObject, obj, text } from './kube-isvc-store.js';

/** The `/version` answer (a Kubernetes 1.32 server). */
export const VERSION_INFO = {
  major: '1', minor: '32', gitVersion: 'v1.32.0-modelslo-standin', gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23.4', compiler: 'gc', platform: 'linux/amd64',
};

const GROUPS = [
  { name: 'serving.kserve.io', version: 'v1beta1' },
  { name: 'events.k8s.io', version: 'v1' },
];

/** `/apis`: the API groups served. */
export function apiGroupList(): Json {
  return {
    kind: 'APIGroupList', apiVersion: 'v1',
    groups: GROUPS.map((g) => apiGroup(g.name, g.version)),
  };
}

/** `/apis/{group}`: one API group. */
export function apiGroup(name: string, version: string): Json {
  const gv = { groupVersion: `${name}/${version}`, version };
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: [gv], preferredVersion: gv };
}

/** The group and version served for a group name, if any. */
export function servedGroup(name: string): { name: string; version: string } | undefined {
  return GROUPS.find((g) => g.name === name);
}

/** `/api`: the core API versions. */
export function apiVersions(serverAddress: string): Json {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

const EVENT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** `/api/v1` and `/apis/{group}/{version}`: the resources of a group version, or undefined. */
export function apiResourceList(groupVersion: string): Json | undefined {
  const resources: Record<string, Json[]> = {
    v1: [
      { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: EVENT_VERBS, shortNames: ['ev'] },
      { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'] },
    ],
    'serving.kserve.io/v1beta1': [
      { name: 'inferenceservices', singularName: 'inferenceservice', namespaced: true, kind: 'InferenceService',
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'], shortNames: ['isvc'] },
      { name: 'inferenceservices/status', singularName: '', namespaced: true, kind: 'InferenceService', verbs: ['get', 'patch', 'update'] },
    ],
    'events.k8s.io/v1': [
      { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: EVENT_VERBS, shortNames: ['ev'] },
    ],
  };
  const list = resources[groupVersion];
  return list === undefined ? undefined : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: list };
}

/** True when the Accept header asks for a `meta.k8s.io/v1` Table (as `kubectl get` does). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /as=Table/.test(part) && /v=v1(;|$|\s)/.test(part) && /g=meta\.k8s\.io/.test(part));
}

type Obj = Record<string, Json>;

/** Kubernetes' duration.HumanDuration, as the API server prints a `date` column. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return d < 365 * 2 ? `${d}d` : `${Math.floor(d / 365)}y`;
}

// KServe's additionalPrinterColumns for v1beta1 InferenceService (config/crd/full/serving.kserve.io_inferenceservices.yaml).
const COLUMNS: { name: string; type: string; cell: (o: KubeObject) => Json }[] = [
  { name: 'URL', type: 'string', cell: (o) => obj(o.status).url ?? null },
  { name: 'Ready', type: 'string', cell: (o) => {
    const conditions = obj(o.status).conditions;
    const ready = Array.isArray(conditions) ? conditions.map(obj).find((c) => c.type === 'Ready') : undefined;
    return ready?.status ?? null;
  } },
  { name: 'Prev', type: 'integer', cell: (o) => trafficWhere(o, (t) => t.tag === 'prev')?.percent ?? null },
  { name: 'Latest', type: 'integer', cell: (o) => trafficWhere(o, (t) => t.latestRevision === true)?.percent ?? null },
  { name: 'PrevRolledoutRevision', type: 'string', cell: (o) => trafficWhere(o, (t) => t.tag === 'prev')?.revisionName ?? null },
  { name: 'LatestReadyRevision', type: 'string', cell: (o) => trafficWhere(o, (t) => t.latestRevision === true)?.revisionName ?? null },
  { name: 'Age', type: 'date', cell: (o) => humanDuration(Date.now() - Date.parse(text(obj(o.metadata).creationTimestamp))) },
];

function trafficWhere(o: KubeObject, pick: (t: Obj) => boolean): Obj | undefined {
  const traffic = obj(obj(obj(o.status).components).predictor).traffic;
  return Array.isArray(traffic) ? traffic.map(obj).find(pick) : undefined;
}

/** A Table of InferenceServices with KServe's printer columns; rows carry PartialObjectMetadata. */
export function isvcTable(objects: KubeObject[], resourceVersion: string): Json {
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      ...COLUMNS.map((c) => ({ name: c.name, type: c.type, format: '', description: '', priority: 0 })),
    ],
    rows: objects.map((o) => ({
      cells: [obj(o.metadata).name ?? null, ...COLUMNS.map((c) => c.cell(o))],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? null },
    })),
  };
}

/** A Table of Events with the columns the API server prints for them (pkg/printers/internalversion). */
export function eventTable(events: KubeObject[], resourceVersion: string): Json {
  const columns = ['Last Seen', 'Type', 'Reason', 'Object', 'Message'];
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion },
    columnDefinitions: [...columns.map((name) => ({ name, type: 'string', format: '', description: '', priority: 0 })),
      { name: 'Name', type: 'string', format: 'name', description: '', priority: 1 }],
    rows: events.map((e) => {
      const regarding = obj(e.regarding);
      const seen = humanDuration(Date.now() - Date.parse(text(e.eventTime)));
      return {
        cells: [seen, text(e.type), text(e.reason), `${text(regarding.kind).toLowerCase()}/${text(regarding.name)}`, text(e.note), text(obj(e.metadata).name)],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: e.metadata ?? null },
      };
    }),
  };
}

/** One requirement of a label selector. */
type Requirement = { key: string; op: 'eq' | 'ne' | 'in' | 'notin' | 'exists' | '!exists'; values: string[] };

/** Parses a label selector (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`); throws on bad syntax. */
export function parseLabelSelector(selector: string): Requirement[] {
  const parts = selector.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  return parts.map((raw) => raw.trim()).filter((p) => p !== '').map((part): Requirement => {
    let m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part);
    if (m !== null) return { key: m[1] ?? '', op: m[2] === '!=' ? 'ne' : 'eq', values: [m[3] ?? ''] };
    m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m !== null) return { key: m[1] ?? '', op: m[2] === 'in' ? 'in' : 'notin', values: (m[3] ?? '').split(',').map((v) => v.trim()) };
    m = /^(!?)([\w./-]+)$/.exec(part);
    if (m !== null) return { key: m[2] ?? '', op: m[1] === '!' ? '!exists' : 'exists', values: [] };
    throw new Error(`unable to parse requirement: "${part}"`);
  });
}

/** True when the labels satisfy every requirement. */
export function matchesSelector(labels: Record<string, Json>, requirements: Requirement[]): boolean {
  return requirements.every((r) => {
    const has = r.key in labels;
    const value = text(labels[r.key]);
    switch (r.op) {
      case 'eq': case 'in': return has && r.values.includes(value);
      case 'ne': case 'notin': return !has || !r.values.includes(value);
      case 'exists': return has;
      case '!exists': return !has;
    }
  });
}
