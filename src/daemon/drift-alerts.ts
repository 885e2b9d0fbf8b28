/**
 * What a drift check exports and alerts: the gauges (features from config only, so bounded), and
 * ModelDrift alerts for the features at drift while the model drifts, re-posted on every check and
 * resolved (endsAt = now) once they no longer drift.
 */
import { driftAlert, type AmAlert, type DriftAlertInput } from '../alerting/alertmanager-client.js';
import { topDrifting } from '../drift/report.js';
import { P_VALUE_TESTS, type DriftReport } from '../drift/types.js';
import type { Model } from '../model/types.js';
import type { DaemonMetrics } from './metrics.js';

/** Per-model memory between checks: the test last exported per feature, the firing alerts. */
export interface AlertMemory {
  tests: Map<string, string>;
  firing: Map<string, DriftAlertInput>;
}

/** Sets the gauges from a report; an insufficient feature's score series is removed. */
export function exportGauges(metrics: DaemonMetrics, model: Model, report: DriftReport, memory: AlertMemory): void {
  const base = { model: model.name, namespace: model.namespace };
  for (const f of report.features) {
    const prior = memory.tests.get(f.feature);
    if (prior !== undefined && (prior !== f.test || f.score === null)) metrics.driftScore.remove({ ...base, feature: f.feature, test: prior });
    if (f.score !== null) {
      metrics.driftScore.set({ ...base, feature: f.feature, test: f.test }, f.score);
      memory.tests.set(f.feature, f.test);
    } else memory.tests.delete(f.feature);
    metrics.driftDetected.set({ ...base, feature: f.feature }, f.level === 'drift' ? 1 : 0);
  }
}

/** The alerts to post after a check: firing for each drifting feature while the model drifts, resolved for the others that fired. */
export function driftAlerts(model: Model, report: DriftReport, memory: AlertMemory, now: Date): AmAlert[] {
  const drifting = report.level === 'drift' ? report.features.filter((f) => f.level === 'drift') : [];
  const top = topDrifting(report).map((f) => f.feature);
  const out: AmAlert[] = [];
  const still = new Set<string>();
  for (const f of drifting) {
    const pTest = P_VALUE_TESTS.has(f.test) && f.adjustedPValue !== undefined;
    const input: DriftAlertInput = {
      model: model.name,
      namespace: model.namespace,
      feature: f.feature,
      owner: model.owners[0]?.team ?? 'unknown',
      // p-value tests compare the corrected p-value with the threshold, so the summary shows that.
      score: pTest ? (f.adjustedPValue as number) : (f.score ?? 0),
      threshold: f.thresholds.drift,
      test: pTest ? `${f.test} p-value` : f.test,
      topFeatures: top,
      dashboardUrl: model.dashboardUrl,
    };
    memory.firing.set(f.feature, input);
    still.add(f.feature);
    out.push(driftAlert(input, now, 'firing'));
  }
  for (const [feature, input] of memory.firing) {
    if (still.has(feature)) continue;
    out.push(driftAlert(input, now, 'resolved'));
    memory.firing.delete(feature);
  }
  return out;
}
