/** The owners' alert of a failed canary: ModelCanaryRolledBack (severity ticket), routed like drift alerts to the model's owners. */
import type { AmAlert } from '../alerting/alertmanager-client.js';
import type { Model } from '../model/types.js';
import { CANARY_ALERT, ownerReceiver } from '../rules/alertmanager.js';
import type { CanaryDecisionRecord } from '../store/port.js';

/** Alert name of a canary rolled back (or, with action notify, one that would be). */
export const CANARY_ROLLBACK_ALERT = CANARY_ALERT;

/** How long the alert stays active after the rollback (a rollback is an event; this is its notice). */
export const CANARY_ALERT_ACTIVE_MS = 60 * 60_000;

/** The alert of a rollback decision. */
export function canaryAlert(m: Model, r: CanaryDecisionRecord, now: Date): AmAlert {
  const failed = (r.checks as Array<{ name?: unknown; pass?: unknown; detail?: unknown }>).filter((c) => c.pass === false).map((c) => `${String(c.name)}: ${String(c.detail)}`);
  const done = r.action === 'patched' ? 'rolled back (canaryTrafficPercent 0)' : 'failed its analysis (action notify: not rolled back)';
  return {
    labels: { alertname: CANARY_ROLLBACK_ALERT, severity: 'ticket', namespace: m.namespace, model: m.name, revision: r.revision, owner: m.owners.map(ownerReceiver).join(',') },
    annotations: {
      summary: `${m.namespace}/${m.name}: canary ${r.revision} ${done}`,
      description: `${r.reason}. Failed checks: ${failed.join('; ') || 'none'}. Primary: ${r.primaryRevision ?? 'unknown'}.`,
      runbook_url: `${m.runbookUrl.split('#')[0] ?? m.runbookUrl}#modelcanaryrolledback`,
      dashboard: m.dashboardUrl,
    },
    startsAt: now.toISOString(),
    endsAt: new Date(now.getTime() + CANARY_ALERT_ACTIVE_MS).toISOString(),
  };
}
