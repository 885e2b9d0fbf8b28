/**
 * Maps an InferenceService object (`serving.kserve.io/v1beta1`, as the API returns it) to the
 * IsvcSnapshot of the Rollout port: identity, `spec.predictor.canaryTrafficPercent` and
 * `status.components.predictor` (revisions and traffic, as KServe's controller reports them).
 */
import type { IsvcRef, IsvcSnapshot, TrafficTarget } from './port.js';

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function traffic(value: unknown, where: string): TrafficTarget[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${where}: status.components.predictor.traffic is not a list`);
  return value.map((entry, i) => {
    const t = obj(entry);
    const target: TrafficTarget = {
      revisionName: str(t.revisionName) ?? '',
      // Knative's TrafficTarget.percent is an optional int64; absent means 0.
      percent: typeof t.percent === 'number' ? t.percent : 0,
      latestRevision: t.latestRevision === true,
    };
    if (target.revisionName === '') throw new Error(`${where}: status.components.predictor.traffic[${i}].revisionName is missing`);
    const tag = str(t.tag);
    if (tag !== null) target.tag = tag;
    return target;
  });
}

/** The snapshot of an InferenceService object; throws naming the field when identity fields are missing. */
export function toSnapshot(ref: IsvcRef, object: unknown): IsvcSnapshot {
  const where = `inferenceservice ${ref.namespace}/${ref.name}`;
  const metadata = obj(obj(object).metadata);
  const uid = str(metadata.uid);
  const resourceVersion = str(metadata.resourceVersion);
  if (uid === null) throw new Error(`${where}: metadata.uid is missing in the API's answer`);
  if (resourceVersion === null) throw new Error(`${where}: metadata.resourceVersion is missing in the API's answer`);
  const percent = obj(obj(obj(object).spec).predictor).canaryTrafficPercent;
  const predictor = obj(obj(obj(obj(object).status).components).predictor);
  return {
    ref: { namespace: ref.namespace, name: ref.name },
    uid,
    resourceVersion,
    generation: typeof metadata.generation === 'number' ? metadata.generation : 0,
    canaryTrafficPercent: typeof percent === 'number' ? percent : null,
    latestRolledoutRevision: str(predictor.latestRolledoutRevision),
    latestCreatedRevision: str(predictor.latestCreatedRevision),
    traffic: traffic(predictor.traffic, where),
  };
}
