/**
 * The InferenceService objects of the Kubernetes stand-in, and a stand-in for KServe's controller
 * (serverless mode): it keeps `status.components.predictor` in step with
 * `spec.predictor.canaryTrafficPercent` as KServe's ksvc reconciler and status propagation do
 * (pkg/controller/v1beta1/inferenceservice/reconcilers/knative, pkg/apis/serving/v1beta1
 * inference_service_status.go): with a canary percent and a rolled-out revision, traffic splits into
 * the latest revision (tag `latest`) at the percent and the last rolled-out one (tag `prev`) at the
 * rest; without one (promotion) the latest revision takes 100% and becomes `latestRolledoutRevision`.
 */
import { randomUUID } from 'node:crypto';
import type { Json } from './json-patch.js';

/** A stored object, as JSON. */
export type KubeObject = { [key: string]: Json };

/** An InferenceService to create in the stand-in. */
export interface IsvcSeed {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  /** `spec.predictor.canaryTrafficPercent`; absent by default. */
  canaryTrafficPercent?: number;
  /** How many revisions already exist (the last one is the latest created); default 1, all rolled out. */
  revisions?: number;
}

type Obj = Record<string, Json>;

/** The value as a JSON object, or an empty one. */
export function obj(value: Json | undefined): Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

/** The value if it is a string, else ''. */
export function text(value: Json | undefined): string {
  return typeof value === 'string' ? value : '';
}

/** `<name>-predictor-00001`, KServe's revision naming in serverless mode. */
function revisionName(name: string, n: number): string {
  return `${name}-predictor-${String(n).padStart(5, '0')}`;
}

function revisionNumber(revision: string): number {
  return Number(/-(\d+)$/.exec(revision)?.[1] ?? '0');
}

/** The InferenceService store with the controller's reconcile; every change bumps the resourceVersion. */
export class IsvcStore {
  private readonly objects = new Map<string, KubeObject>();
  private counter = 1000;

  /** The next resourceVersion (one counter for every kind, as etcd's revision). */
  nextResourceVersion(): string {
    this.counter += 1;
    return String(this.counter);
  }

  /** The current resourceVersion, for list metadata. */
  currentResourceVersion(): string {
    return String(this.counter);
  }

  /** Creates an InferenceService with its revisions rolled out as the seed says. */
  create(seed: IsvcSeed): KubeObject {
    const revisions = seed.revisions ?? 1;
    const predictor: Obj = { model: { modelFormat: { name: 'sklearn' }, storageUri: `gs://models/${seed.name}/v${revisions}` } };
    if (seed.canaryTrafficPercent !== undefined) predictor.canaryTrafficPercent = seed.canaryTrafficPercent;
    const object: KubeObject = {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: {
        name: seed.name,
        namespace: seed.namespace,
        uid: randomUUID(),
        resourceVersion: this.nextResourceVersion(),
        generation: revisions,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        ...(seed.labels === undefined ? {} : { labels: seed.labels }),
      },
      spec: { predictor },
      status: {
        url: `http://${seed.name}.${seed.namespace}.example.com`,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
        components: {
          predictor: {
            // Revisions before the last were each rolled out in turn; the last waits on the canary percent.
            ...(revisions > 1 ? { latestRolledoutRevision: revisionName(seed.name, revisions - 1) } : {}),
            ...(revisions > 2 ? { previousRolledoutRevision: revisionName(seed.name, revisions - 2) } : {}),
            latestCreatedRevision: revisionName(seed.name, revisions),
            latestReadyRevision: revisionName(seed.name, revisions),
          },
        },
      },
    };
    this.reconcile(object);
    this.objects.set(`${seed.namespace}/${seed.name}`, object);
    return structuredClone(object);
  }

  /** A copy of one object, or undefined. */
  get(namespace: string, name: string): KubeObject | undefined {
    const found = this.objects.get(`${namespace}/${name}`);
    return found === undefined ? undefined : structuredClone(found);
  }

  /** Copies of the objects of a namespace (or all), in name order. */
  list(namespace?: string): KubeObject[] {
    return [...this.objects.values()]
      .filter((o) => namespace === undefined || obj(o.metadata).namespace === namespace)
      .sort((a, b) => `${text(obj(a.metadata).namespace)}/${text(obj(a.metadata).name)}`.localeCompare(`${text(obj(b.metadata).namespace)}/${text(obj(b.metadata).name)}`))
      .map((o) => structuredClone(o));
  }

  /**
   * Stores the result of a patch as the API server does: `metadata.resourceVersion` in the patched
   * object is a precondition ('conflict' when stale), identity fields and the status (a subresource
   * in KServe's CRD) are kept, a no-op changes nothing, a spec change bumps `generation`. Returns the
   * stored object as the PATCH response shows it; the controller then reconciles the status.
   */
  commit(namespace: string, name: string, patched: KubeObject): KubeObject | 'conflict' | undefined {
    const current = this.objects.get(`${namespace}/${name}`);
    if (current === undefined) return undefined;
    const was = obj(current.metadata);
    const meta = obj(patched.metadata);
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== was.resourceVersion) return 'conflict';
    const next: KubeObject = {
      ...patched,
      apiVersion: current.apiVersion ?? null,
      kind: current.kind ?? null,
      metadata: { ...meta, name: was.name ?? null, namespace: was.namespace ?? null, uid: was.uid ?? null,
        creationTimestamp: was.creationTimestamp ?? null, generation: was.generation ?? null, resourceVersion: was.resourceVersion ?? null },
      status: current.status ?? null,
    };
    if (JSON.stringify(next) === JSON.stringify(current)) return structuredClone(current);
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
    next.metadata = { ...obj(next.metadata), resourceVersion: this.nextResourceVersion(),
      generation: Number(was.generation) + (specChanged ? 1 : 0) };
    this.objects.set(`${namespace}/${name}`, next);
    const response = structuredClone(next);
    if (specChanged) this.reconcileStored(namespace, name);
    return response;
  }

  /**
   * As if the user applied a new predictor spec: KServe creates a new revision (the new
   * `latestCreatedRevision`) and splits traffic at `canaryTrafficPercent` (removed when null).
   */
  rolloutRevision(namespace: string, name: string, canaryTrafficPercent: number | null): KubeObject {
    const current = this.objects.get(`${namespace}/${name}`);
    if (current === undefined) throw new Error(`stand-in: no InferenceService ${namespace}/${name}`);
    const predictor = obj(obj(obj(current.status).components).predictor);
    const n = revisionNumber(text(predictor.latestCreatedRevision)) + 1;
    const spec = obj(obj(current.spec).predictor);
    const model = obj(spec.model);
    const nextPredictor: Obj = { ...spec, model: { ...model, storageUri: `gs://models/${name}/v${n}` } };
    if (canaryTrafficPercent === null) delete nextPredictor.canaryTrafficPercent;
    else nextPredictor.canaryTrafficPercent = canaryTrafficPercent;
    const meta = obj(current.metadata);
    current.spec = { ...obj(current.spec), predictor: nextPredictor };
    current.metadata = { ...meta, generation: Number(meta.generation) + 1, resourceVersion: this.nextResourceVersion() };
    Object.assign(predictor, { latestCreatedRevision: revisionName(name, n), latestReadyRevision: revisionName(name, n) });
    this.reconcileStored(namespace, name);
    return structuredClone(current);
  }

  private reconcileStored(namespace: string, name: string): void {
    const stored = this.objects.get(`${namespace}/${name}`);
    if (stored === undefined) return;
    const before = JSON.stringify(stored.status);
    this.reconcile(stored);
    if (JSON.stringify(stored.status) !== before) {
      stored.metadata = { ...obj(stored.metadata), resourceVersion: this.nextResourceVersion() };
    }
  }

  /** KServe's controller for one object: traffic from the canary percent, then status propagation. */
  private reconcile(object: KubeObject): void {
    const meta = obj(object.metadata);
    const name = text(meta.name);
    const host = `${name}-predictor.${text(meta.namespace)}.example.com`;
    const canary = obj(obj(object.spec).predictor).canaryTrafficPercent;
    const status = obj(object.status);
    const predictor = obj(obj(status.components).predictor);
    const latest = text(predictor.latestReadyRevision);
    const rolledOut = typeof predictor.latestRolledoutRevision === 'string' ? predictor.latestRolledoutRevision : '';
    let traffic: Obj[];
    if (typeof canary === 'number' && rolledOut !== '') {
      // Canary: the latest revision at the percent; the last rolled-out one keeps the rest (if any).
      traffic = [{ tag: 'latest', revisionName: latest, percent: canary, latestRevision: true, url: `http://latest-${host}` }];
      if (100 - canary > 0) {
        traffic.push({ tag: 'prev', revisionName: rolledOut, percent: 100 - canary, latestRevision: false, url: `http://prev-${host}` });
      }
    } else {
      // Blue-green (no canary percent): everything to the latest ready revision.
      traffic = [{ tag: 'latest', revisionName: latest, percent: 100, latestRevision: true, url: `http://latest-${host}` }];
    }
    predictor.traffic = traffic;
    // Status propagation: a revision that serves 100% becomes the rolled-out one.
    if (traffic.some((t) => t.revisionName === latest && t.percent === 100) && rolledOut !== latest) {
      if (rolledOut !== '') predictor.previousRolledoutRevision = rolledOut;
      predictor.latestRolledoutRevision = latest;
    }
    predictor.url = `http://${host}`;
  }
}
