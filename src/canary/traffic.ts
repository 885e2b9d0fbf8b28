/**
 * Whether a canary is in progress, from an InferenceService's status as KServe (serverless mode)
 * reports it: `status.components.predictor.traffic[]` holds the latest revision (`latestRevision:
 * true`) below 100% beside the last rolled-out one. The canary is that latest revision, the primary
 * `latestRolledoutRevision` (kserve.github.io, "Canary rollout strategy").
 */
import type { IsvcSnapshot } from '../k8s/port.js';

/** The canary and primary revisions (Knative revision names: the sidecar's `revision` label, K_REVISION) and the canary's share. */
export interface CanaryTarget {
  revision: string;
  primary: string | null;
  percent: number;
}

/** The canary in progress, or null: none (all traffic on one revision), or rolled back to 0%. */
export function canaryInProgress(s: IsvcSnapshot): CanaryTarget | null {
  const latest = s.traffic.find((t) => t.latestRevision);
  if (latest === undefined || latest.percent <= 0 || latest.percent >= 100) return null;
  if (latest.revisionName === s.latestRolledoutRevision) return null;
  const primary = s.latestRolledoutRevision ?? s.traffic.find((t) => !t.latestRevision && t.percent > 0)?.revisionName ?? null;
  return { revision: latest.revisionName, primary, percent: latest.percent };
}
