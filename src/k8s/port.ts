/**
 * The Rollout port: what canary analysis needs of the Kubernetes API, and nothing more. Read one
 * InferenceService's canary state, set (or remove) `spec.predictor.canaryTrafficPercent`, record a
 * Kubernetes Event. The adapter (`kube-rollout.ts`) speaks to a real API server through
 * @kubernetes/client-node 1.x; tests also run it against the stand-in in `src/demo/kube-standin.ts`.
 */

/** Which InferenceService. */
export interface IsvcRef {
  namespace: string;
  name: string;
}

/** One entry of `status.components.predictor.traffic[]` (Knative's TrafficTarget as KServe reports it). */
export interface TrafficTarget {
  revisionName: string;
  percent: number;
  latestRevision: boolean;
  tag?: string;
}

/** What is read of an InferenceService (`serving.kserve.io/v1beta1`) for canary analysis. */
export interface IsvcSnapshot {
  ref: IsvcRef;
  uid: string;
  resourceVersion: string;
  generation: number;
  /** `spec.predictor.canaryTrafficPercent`, null when absent. */
  canaryTrafficPercent: number | null;
  /** `status.components.predictor.latestRolledoutRevision` (the primary), null when absent. */
  latestRolledoutRevision: string | null;
  /** `status.components.predictor.latestCreatedRevision`, null when absent. */
  latestCreatedRevision: string | null;
  traffic: TrafficTarget[];
}

/**
 * The outcome of a patch: applied (with the API's answer), or not applied because the canary changed
 * under us (the precondition no longer held after a 409 and a re-read). `attempts` counts the PATCH
 * requests sent (retries included). `after` is the API server's answer to the patch: its traffic is
 * still the old split, which KServe's controller updates afterwards; read again to see it.
 */
export type PatchOutcome =
  | { applied: true; attempts: number; patch: unknown; after: IsvcSnapshot }
  | { applied: false; attempts: number; patch: unknown; reason: string; current: IsvcSnapshot | null };

/** A Kubernetes Event (events.k8s.io/v1) about an InferenceService. */
export interface RolloutEvent {
  type: 'Normal' | 'Warning';
  /** CamelCase reason, e.g. CanaryRolledBack. */
  reason: string;
  /** What was done, e.g. Rollback, Step, Promote, Hold. */
  action: string;
  note: string;
}

/** The Kubernetes side of canary analysis. */
export interface RolloutPort {
  /** Reads the InferenceService; null when it does not exist (404). */
  read(ref: IsvcRef): Promise<IsvcSnapshot | null>;
  /**
   * Merge-patches `spec.predictor.canaryTrafficPercent` to `percent` (null removes the field: promotion),
   * guarded by `precondition` on the state it patches: on 409 it re-reads, re-checks and retries;
   * 5xx and timeouts are retried with backoff. Throws `KubeApiError` (403 names verb and resource).
   */
  setCanaryPercent(ref: IsvcRef, percent: number | null, precondition: (s: IsvcSnapshot) => string | null): Promise<PatchOutcome>;
  /** Creates an Event on the InferenceService. */
  recordEvent(target: IsvcSnapshot, event: RolloutEvent): Promise<void>;
}
