/**
 * Drift checks of the daemon: per model with a drift section, the reference is loaded once at
 * start; checks run on the model's node-cron schedule and on demand, over the stored predictions
 * of the last `window` (split by endpoint when both `default` and `canary` are present), with
 * exact statistics (driftReport's) on the extracted values. Results are stored, exported as gauges
 * and alerted. A failing check logs, counts and waits for the next; it never stops the daemon.
 */
import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { AlertSink } from '../alerting/alertmanager-client.js';
import { evaluateFeature } from '../drift/feature.js';
import { finalizeReport } from '../drift/report.js';
import type { DriftReport } from '../drift/types.js';
import type { Config, DriftSettings, Model } from '../model/types.js';
import { durationSeconds } from '../slo/burn-windows.js';
import type { DriftResultRecord, DriftSample, DriftStore } from '../store/port.js';
import { driftAlerts, exportGauges, type AlertMemory } from './drift-alerts.js';
import { sampleValues, toColumn } from './drift-extract.js';
import { loadReference, referenceLabel, type LoadedReference } from './drift-reference.js';
import type { DaemonMetrics } from './metrics.js';
import { describeError } from '../ops/describe-error.js';

/** Most stored predictions one check reads. */
export const MAX_WINDOW_SAMPLES = 500_000;

/** A check cannot run now (no drift section, reference not loaded); the message says why. */
export class DriftUnavailable extends Error {}

/** A model's drift state. */
export interface ModelDriftState {
  model: Model;
  settings: DriftSettings;
  status: 'loading' | 'ready' | 'reference_error';
  error?: string;
  reference?: LoadedReference;
  lastRun?: { timeMs: number; durationMs: number; level: string; samples: number };
  lastError?: { timeMs: number; message: string };
  memory: AlertMemory;
  queue: Promise<unknown>;
}

/** What the runner is built from. */
export interface DriftRunnerDeps {
  config: Config;
  store: DriftStore;
  metrics: DaemonMetrics;
  log: Logger;
  /** Where alerts go; null sends none. */
  sink: AlertSink | null;
}

/** Runs the drift checks of every model with a drift section. */
export class DriftRunner {
  private readonly states = new Map<string, ModelDriftState>();
  private readonly tasks: ScheduledTask[] = [];
  private closed = false;

  constructor(private readonly deps: DriftRunnerDeps) {
    for (const model of deps.config.models) {
      if (model.drift === undefined) continue;
      const memory: AlertMemory = { tests: new Map(), firing: new Map() };
      this.states.set(`${model.namespace}/${model.name}`, { model, settings: model.drift, status: 'loading', memory, queue: Promise.resolve() });
    }
  }

  /** Loads every reference (a failure is kept as the model's status), then schedules the checks. */
  async start(): Promise<void> {
    await Promise.all([...this.states.values()].map((s) => this.load(s)));
    for (const s of this.states.values()) {
      const task = schedule(s.settings.schedule, () => this.scheduled(s), { name: `drift ${s.model.namespace}/${s.model.name}`, noOverlap: true });
      this.tasks.push(task);
    }
  }

  private async load(s: ModelDriftState): Promise<void> {
    const { log, metrics } = this.deps;
    const at = { model: s.model.name, namespace: s.model.namespace, reference: referenceLabel(s.settings) };
    try {
      s.reference = await loadReference(s.model, s.settings, this.deps.store);
      s.status = 'ready';
      log.info({ ...at, rows: s.reference.rows, features: s.reference.features.map((f) => `${f.spec.name}:${f.profile.kind}:${f.test}`) }, 'drift reference loaded');
    } catch (err) {
      s.status = 'reference_error';
      s.error = describeError(err);
      metrics.jobFailures.inc({ job: 'drift-reference' });
      log.error({ ...at, err }, `${s.error}; drift checks of this model are off until the daemon restarts`);
    }
  }

  private scheduled(s: ModelDriftState): Promise<void> {
    if (s.status !== 'ready' || this.closed) return Promise.resolve();
    return this.run(s.model.namespace, s.model.name).then(
      () => undefined,
      () => undefined, // logged and counted in check()
    );
  }

  /** The drift state of a model, if it has a drift section. */
  state(namespace: string, name: string): ModelDriftState | undefined {
    return this.states.get(`${namespace}/${name}`);
  }

  /** Runs one check now (after any running one of the same model) and returns its stored records. */
  run(namespace: string, name: string, nowMs?: number): Promise<DriftResultRecord[]> {
    const s = this.states.get(`${namespace}/${name}`);
    if (s === undefined) return Promise.reject(new DriftUnavailable(`model ${namespace}/${name} has no drift section in the config`));
    if (s.status !== 'ready') return Promise.reject(new DriftUnavailable(s.status === 'loading' ? 'the reference is still loading' : (s.error ?? 'reference not loaded')));
    const next = s.queue.then(() => this.check(s, nowMs ?? Date.now()));
    s.queue = next.catch(() => undefined);
    return next;
  }

  private async check(s: ModelDriftState, nowMs: number): Promise<DriftResultRecord[]> {
    const { store, metrics, log, sink } = this.deps;
    const labels = { model: s.model.name, namespace: s.model.namespace };
    const started = performance.now();
    const fromMs = nowMs - durationSeconds(s.settings.window) * 1000;
    try {
      const samples = await store.driftSamples({ ...labels, fromMs, toMs: nowMs + 1, limit: MAX_WINDOW_SAMPLES });
      log.info({ ...labels, window: s.settings.window, samples: samples.length }, 'drift check started');
      const groups = splitByEndpoint(samples);
      const records: DriftResultRecord[] = [];
      let primary: DriftReport | undefined;
      for (const [endpoint, rows] of groups) {
        const report = this.report(s, rows);
        primary ??= report;
        records.push(...toRecords(s.model, nowMs, fromMs, endpoint, report));
      }
      await store.insertDriftResults(records);
      if (primary !== undefined) {
        exportGauges(metrics, s.model, primary, s.memory);
        const alerts = driftAlerts(s.model, primary, s.memory, new Date(nowMs));
        // send() queues and retries on failure, so a down Alertmanager does not fail the check.
        if (sink !== null && alerts.length > 0) await sink.send(alerts);
      }
      const durationMs = performance.now() - started;
      s.lastRun = { timeMs: nowMs, durationMs, level: primary?.level ?? 'ok', samples: samples.length };
      metrics.driftChecks.inc({ ...labels, outcome: 'ok' });
      log.info({ ...labels, durationMs: Math.round(durationMs), level: s.lastRun.level, endpoints: groups.map(([e]) => e), alerts: s.memory.firing.size }, 'drift check finished');
      return records;
    } catch (err) {
      s.lastError = { timeMs: nowMs, message: describeError(err) };
      metrics.driftChecks.inc({ ...labels, outcome: 'failed' });
      metrics.jobFailures.inc({ job: 'drift' });
      log.error({ ...labels, err }, 'drift check failed; retrying at its next run');
      throw err;
    }
  }

  private report(s: ModelDriftState, samples: readonly DriftSample[]): DriftReport {
    const { settings } = s;
    const features = (s.reference?.features ?? []).map((ref) =>
      evaluateFeature(
        { name: ref.spec.name, kind: ref.spec.kind, reference: ref.values, current: toColumn(sampleValues(samples, ref.spec), ref.spec.kind), ...(ref.spec.test !== undefined ? { test: ref.spec.test } : {}) },
        { minSamples: settings.minSamples },
      ),
    );
    return finalizeReport(features, { correction: settings.correction, driftShare: settings.driftShare });
  }

  /** Stops the schedules, waits for running checks, then flushes and closes the alert sink. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.tasks) await t.destroy();
    await Promise.all([...this.states.values()].map((s) => s.queue));
    await this.deps.sink?.close();
  }
}

/** `default` and `canary` apart when both are present, else everything as `all`. */
function splitByEndpoint(samples: readonly DriftSample[]): Array<[string, DriftSample[]]> {
  const endpoints = new Set(samples.map((s) => s.endpoint));
  if (!(endpoints.has('default') && endpoints.has('canary'))) return [['all', [...samples]]];
  return ['default', 'canary'].map((e): [string, DriftSample[]] => [e, samples.filter((s) => s.endpoint === e)]);
}

function toRecords(model: Model, runMs: number, fromMs: number, endpoint: string, report: DriftReport): DriftResultRecord[] {
  return report.features.map((f) => ({
    namespace: model.namespace,
    model: model.name,
    runMs,
    windowFromMs: fromMs,
    windowToMs: runMs,
    endpoint,
    level: report.level,
    driftShare: report.driftShare,
    feature: f.feature,
    kind: f.kind,
    test: f.test,
    featureLevel: f.level,
    score: f.score,
    pValue: f.pValue ?? null,
    adjustedPValue: f.adjustedPValue ?? null,
    threshold: f.thresholds.drift,
    referenceSize: f.referenceSize,
    currentSize: f.currentSize,
    details: f.reason !== undefined || f.details !== undefined ? JSON.stringify({ ...(f.reason !== undefined ? { reason: f.reason } : {}), ...f.details }) : null,
  }));
}
