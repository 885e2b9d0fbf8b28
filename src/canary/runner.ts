/**
 * The canary loop, over ports: every `interval`, per model with a canary section, read the
 * InferenceService; when a canary is in progress, analyse its records against the primary's,
 * decide, act through the Kubernetes API (rollback, step, promote; or only record under dry_run and
 * notify), and keep an audit record, an Event, a metric and, on rollback, an alert to the owners.
 * A failing round logs, counts and waits for the next; it never stops the daemon.
 */
import type { Logger } from 'pino';
import type { AlertSink } from '../alerting/alertmanager-client.js';
import type { IsvcRef, IsvcSnapshot, RolloutPort } from '../k8s/port.js';
import type { Model } from '../model/types.js';
import { durationSeconds } from '../slo/burn-windows.js';
import type { CanaryAction, CanaryDecisionRecord, CanaryStore } from '../store/port.js';
import { canaryAlert } from './alerts.js';
import { analyse, decide, type Analysis, type CanaryProgress, type CustomValue, type Decision } from './decide.js';
import { sideOf } from './samples.js';
import { canaryInProgress, type CanaryTarget } from './traffic.js';
import { describeError } from '../ops/describe-error.js';

/** Most records per side one analysis reads (the newest). */
export const MAX_SIDE_RECORDS = 200_000;

/** What the loop exports (prom-client in the daemon; no-ops in tools and tests). */
export interface CanaryMetrics {
  decision(model: Model, verdict: string): void;
  failure(model: Model, reason: 'kubernetes' | 'analysis' | 'store' | 'alert'): void;
  analysisSeconds(seconds: number): void;
}

/** Ports of the loop; `budgetExhausted` and `customValues` default to "no" and "none". */
export interface CanaryRunnerDeps {
  models: readonly Model[];
  rollout: RolloutPort;
  store: CanaryStore;
  log: Logger;
  metrics?: CanaryMetrics;
  /** Where ModelCanaryRolledBack goes; null sends none. */
  sink?: AlertSink | null;
  /** Whether the model's error budget over its SLO window is spent (no step or promotion then). */
  budgetExhausted?: (model: Model, nowMs: number) => Promise<boolean>;
  /** Values of the model's custom checks for the canary revision. */
  customValues?: (model: Model, revision: string, nowMs: number) => Promise<CustomValue[]>;
  now?: () => number;
}

/** The loop's view of one model's canary. */
export interface CanaryState {
  status: 'idle' | 'analysing' | 'rolled_back' | 'promoted' | 'stopped' | 'not_found' | 'error';
  message?: string;
  canary?: CanaryTarget;
  progress?: CanaryProgress;
  /** The spec percent modelslo last set or saw; a different one means someone else moved it. */
  expectedPercent?: number | null;
  lastAnalysis?: { timeMs: number; analysis: Analysis; decision: Decision; action: CanaryAction };
  lastEventKey?: string;
}

const noMetrics: CanaryMetrics = { decision: () => undefined, failure: () => undefined, analysisSeconds: () => undefined };

/** Runs canary analysis of every model with a canary section. */
export class CanaryRunner {
  private readonly states = new Map<string, CanaryState>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly metrics: CanaryMetrics;
  private closed = false;

  constructor(private readonly deps: CanaryRunnerDeps) {
    if (deps.rollout === undefined || deps.store === undefined) throw new Error('CanaryRunner needs a rollout port and a store');
    this.metrics = deps.metrics ?? noMetrics;
    for (const m of this.models()) this.states.set(key(m), { status: 'idle' });
  }

  private models(): Model[] {
    return this.deps.models.filter((m) => m.canary !== undefined);
  }

  /** Schedules a round per model every `interval` (the first one after one interval). */
  start(): void {
    for (const m of this.models()) {
      const ms = durationSeconds(m.canary?.interval ?? '1m') * 1000;
      const t = setInterval(() => void this.round(m).catch(() => undefined), ms);
      t.unref();
      this.timers.push(t);
    }
  }

  /** The state of a model's canary analysis (undefined: the model has no canary section). */
  state(namespace: string, name: string): CanaryState | undefined {
    return this.states.get(`${namespace}/${name}`);
  }

  /** Runs one round of a model now (after any running one) and returns its state. */
  run(namespace: string, name: string): Promise<CanaryState> {
    const m = this.models().find((x) => x.namespace === namespace && x.name === name);
    if (m === undefined) return Promise.reject(new Error(`model ${namespace}/${name} has no canary section in the config`));
    return this.round(m);
  }

  private round(m: Model): Promise<CanaryState> {
    const k = key(m);
    const next = (this.queues.get(k) ?? Promise.resolve()).then(() => this.judge(m));
    this.queues.set(k, next.catch(() => undefined));
    return next;
  }

  private async judge(m: Model): Promise<CanaryState> {
    const st = this.states.get(key(m)) ?? { status: 'idle' };
    this.states.set(key(m), st);
    if (this.closed) return st;
    const { log } = this.deps;
    const ref: IsvcRef = { namespace: m.namespace, name: m.name };
    let snap: IsvcSnapshot | null;
    try {
      snap = await this.deps.rollout.read(ref);
    } catch (err) {
      this.metrics.failure(m, 'kubernetes');
      st.status = 'error';
      st.message = describeError(err);
      log.error({ model: m.name, namespace: m.namespace, err: st.message }, 'canary: cannot read the InferenceService');
      return st;
    }
    if (snap === null) {
      if (st.status !== 'not_found') log.warn({ model: m.name, namespace: m.namespace }, 'canary: InferenceService not found');
      st.status = 'not_found';
      st.message = `InferenceService ${m.namespace}/${m.name} not found`;
      return st;
    }
    const target = canaryInProgress(snap);
    if (target === null) {
      if (st.status === 'analysing' || st.status === 'error' || st.status === 'not_found') st.status = 'idle';
      if (st.status === 'idle') st.message = 'no canary in progress';
      return st;
    }
    try {
      if (st.canary?.revision !== target.revision) await this.adopt(m, st, target);
    } catch (err) {
      this.metrics.failure(m, 'store');
      st.status = 'error';
      st.message = describeError(err);
      log.error({ model: m.name, namespace: m.namespace, err: st.message }, 'canary: cannot read past decisions');
      return st;
    }
    if (st.status === 'stopped' || st.status === 'rolled_back' || st.status === 'promoted') return st;
    if (st.expectedPercent !== undefined && st.expectedPercent !== snap.canaryTrafficPercent) {
      st.status = 'stopped';
      st.message = `canaryTrafficPercent moved from ${String(st.expectedPercent)} to ${String(snap.canaryTrafficPercent)} by someone else: modelslo stops acting on revision ${target.revision}`;
      log.warn({ model: m.name, namespace: m.namespace, revision: target.revision }, st.message);
      return st;
    }
    st.canary = target;
    st.status = 'analysing';
    try {
      await this.analyseAndAct(m, st, snap, target);
    } catch (err) {
      this.metrics.failure(m, 'analysis');
      st.message = describeError(err);
      log.error({ model: m.name, namespace: m.namespace, revision: target.revision, err: st.message }, 'canary analysis failed; retried next interval');
    }
    return st;
  }

  /** A new canary revision: progress from its last audit record (a restarted daemon resumes), else zero. */
  private async adopt(m: Model, st: CanaryState, target: CanaryTarget): Promise<void> {
    const past = (await this.deps.store.canaryDecisions({ namespace: m.namespace, model: m.name, limit: 200 })).filter((d) => d.revision === target.revision);
    const last = past.at(-1);
    st.canary = target;
    st.progress = { failures: last?.progress.failures ?? 0, passes: last?.progress.passes ?? 0, percent: target.percent };
    st.expectedPercent = undefined;
    st.status = 'analysing';
    delete st.lastEventKey;
    if (last?.action === 'patched' && (last.verdict === 'rollback' || last.verdict === 'promote')) st.status = last.verdict === 'rollback' ? 'rolled_back' : 'promoted';
    this.deps.log.info({ model: m.name, namespace: m.namespace, canary: target.revision, primary: target.primary, percent: target.percent, resumed: last !== undefined }, 'canary: analysing a new revision');
  }

  private async analyseAndAct(m: Model, st: CanaryState, snap: IsvcSnapshot, target: CanaryTarget): Promise<void> {
    const settings = m.canary;
    if (settings === undefined) return;
    const nowMs = (this.deps.now ?? Date.now)();
    const started = performance.now();
    const fromMs = nowMs - durationSeconds(settings.window) * 1000;
    const read = (revision: string, endpoint: 'default' | 'canary', from: number) =>
      this.deps.store.revisionSamples({ namespace: m.namespace, model: m.name, revision, endpoint, fromMs: from, toMs: nowMs + 1, limit: MAX_SIDE_RECORDS });
    const [canaryRows, custom, exhausted] = await Promise.all([
      read(target.revision, 'canary', fromMs),
      settings.custom.length > 0 && this.deps.customValues ? this.deps.customValues(m, target.revision, nowMs) : Promise.resolve([]),
      this.deps.budgetExhausted ? this.deps.budgetExhausted(m, nowMs) : Promise.resolve(false),
    ]);
    // Both sides over the same period: a canary younger than the window is compared with the
    // primary's records since the canary's first one, not with older ones (other load, other hour).
    const since = Math.max(fromMs, canaryRows.at(-1)?.timeMs ?? fromMs);
    const primaryRows = target.primary === null ? [] : await read(target.primary, 'default', since);
    const analysis = analyse({ settings, slos: m.slos, canary: sideOf(canaryRows, settings.prediction), primary: sideOf(primaryRows, settings.prediction), custom });
    const progress = st.progress ?? { failures: 0, passes: 0, percent: target.percent };
    const decision = decide(analysis, { ...progress, percent: snap.canaryTrafficPercent ?? target.percent }, settings, exhausted);
    this.metrics.analysisSeconds((performance.now() - started) / 1000);
    const acted = await this.act(m, snap, target, decision);
    const record: CanaryDecisionRecord = {
      namespace: m.namespace,
      model: m.name,
      timeMs: nowMs,
      revision: target.revision,
      primaryRevision: target.primary,
      percent: snap.canaryTrafficPercent ?? target.percent,
      verdict: decision.verdict,
      outcome: analysis.outcome,
      reason: acted.action === 'dry_run' ? `dry run: would ${decision.verdict === 'rollback' ? 'roll back' : decision.verdict}; ${decision.reason}` : decision.reason,
      checks: analysis.checks,
      action: acted.action,
      patch: acted.patch,
      apiResponse: acted.apiResponse,
      error: acted.error,
      requests: analysis.requests,
      progress: acted.action === 'failed' ? { failures: progress.failures, passes: progress.passes } : { failures: decision.progress.failures, passes: decision.progress.passes },
    };
    try {
      await this.deps.store.insertCanaryDecision(record);
    } catch (err) {
      this.metrics.failure(m, 'store');
      this.deps.log.error({ model: m.name, namespace: m.namespace, err: describeError(err) }, 'canary: audit record not stored');
    }
    this.metrics.decision(m, decision.verdict);
    if (acted.action !== 'failed') st.progress = decision.progress;
    st.lastAnalysis = { timeMs: nowMs, analysis, decision, action: acted.action };
    st.message = record.reason;
    if (acted.action === 'patched') {
      st.expectedPercent = decision.nextPercent ?? null;
      if (decision.verdict === 'rollback') st.status = 'rolled_back';
      if (decision.verdict === 'promote') st.status = 'promoted';
    } else if (acted.action === 'skipped') {
      st.status = 'stopped';
    } else if (st.expectedPercent === undefined) {
      st.expectedPercent = snap.canaryTrafficPercent;
    }
    this.deps.log.info({ model: m.name, namespace: m.namespace, revision: target.revision, verdict: decision.verdict, outcome: analysis.outcome, action: acted.action, requests: analysis.requests, failed: analysis.checks.filter((c) => !c.pass).map((c) => c.name) }, `canary ${decision.verdict}: ${record.reason}`);
    await this.announce(m, snap, st, record);
  }

  /** Patches (or, under dry_run and notify, does not) and says what happened. */
  private async act(m: Model, snap: IsvcSnapshot, target: CanaryTarget, d: Decision): Promise<{ action: CanaryAction; patch: unknown; apiResponse: unknown; error: string | null }> {
    const settings = m.canary;
    if (d.nextPercent === undefined || settings === undefined) return { action: 'none', patch: null, apiResponse: null, error: null };
    const patch = { spec: { predictor: { canaryTrafficPercent: d.nextPercent } } };
    if (settings.dryRun) return { action: 'dry_run', patch, apiResponse: null, error: null };
    if (settings.action === 'notify') return { action: 'notified', patch, apiResponse: null, error: null };
    const seen = snap.canaryTrafficPercent;
    // Act only on the canary that was judged: same latest revision, nobody moved the percent since.
    const precondition = (s: IsvcSnapshot): string | null => {
      const now = canaryInProgress(s);
      if (now?.revision !== target.revision) return `the canary is now ${now?.revision ?? 'gone'} (judged ${target.revision})`;
      if (s.canaryTrafficPercent !== seen) return `canaryTrafficPercent is now ${String(s.canaryTrafficPercent)} (judged at ${String(seen)})`;
      return null;
    };
    try {
      const out = await this.deps.rollout.setCanaryPercent({ namespace: m.namespace, name: m.name }, d.nextPercent, precondition);
      if (!out.applied) return { action: 'skipped', patch: out.patch, apiResponse: { attempts: out.attempts, reason: out.reason }, error: out.reason };
      return { action: 'patched', patch: out.patch, apiResponse: { attempts: out.attempts, resourceVersion: out.after.resourceVersion, canaryTrafficPercent: out.after.canaryTrafficPercent, traffic: out.after.traffic }, error: null };
    } catch (err) {
      this.metrics.failure(m, 'kubernetes');
      // A KubeApiError says what failed and what to do; the client's own text (headers, body) stays in its cause.
      const message = err instanceof Error && err.name === 'KubeApiError' ? err.message : describeError(err);
      this.deps.log.error({ model: m.name, namespace: m.namespace, revision: target.revision, err: message }, 'canary: patch failed; the decision is retried next interval');
      return { action: 'failed', patch, apiResponse: { status: (err as { status?: unknown }).status ?? null }, error: message };
    }
  }

  /** The Kubernetes Event (holds only when their kind changes) and the owners' alert on rollback. */
  private async announce(m: Model, snap: IsvcSnapshot, st: CanaryState, r: CanaryDecisionRecord): Promise<void> {
    const eventKey = `${r.verdict}:${r.outcome}:${r.action}`;
    if (r.verdict !== 'hold' || st.lastEventKey !== eventKey) {
      st.lastEventKey = eventKey;
      try {
        await this.deps.rollout.recordEvent(snap, {
          type: r.verdict === 'rollback' || r.action === 'failed' ? 'Warning' : 'Normal',
          reason: eventReason(r),
          action: { promote: 'Promote', step: 'Step', hold: 'Hold', rollback: 'Rollback' }[r.verdict],
          note: `modelslo canary ${r.revision} (${r.action}): ${r.reason}`.slice(0, 1024),
        });
      } catch (err) {
        this.metrics.failure(m, 'kubernetes');
        this.deps.log.warn({ model: m.name, namespace: m.namespace, err: describeError(err) }, 'canary: Event not created');
      }
    }
    const alertable = r.verdict === 'rollback' && (r.action === 'patched' || r.action === 'notified');
    if (!alertable || !this.deps.sink) return;
    try {
      await this.deps.sink.send([canaryAlert(m, r, new Date(r.timeMs))]);
    } catch (err) {
      this.metrics.failure(m, 'alert');
      this.deps.log.warn({ model: m.name, namespace: m.namespace, err: describeError(err) }, 'canary: alert not delivered (retried by the client)');
    }
  }

  /** Stops scheduling rounds and waits for running ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all([...this.queues.values()]);
  }
}

/** The Event reason of a decision: what happened (CanaryRolledBack), or what did not (CanaryRollbackDryRun, …Failed). */
export function eventReason(r: Pick<CanaryDecisionRecord, 'verdict' | 'action'>): string {
  if (r.action === 'patched' || r.action === 'none') return { promote: 'CanaryPromoted', step: 'CanaryStepped', hold: 'CanaryHeld', rollback: 'CanaryRolledBack' }[r.verdict];
  const noun = { promote: 'CanaryPromotion', step: 'CanaryStep', hold: 'CanaryHold', rollback: 'CanaryRollback' }[r.verdict];
  return `${noun}${{ dry_run: 'DryRun', notified: 'Notified', failed: 'Failed', skipped: 'Skipped' }[r.action]}`;
}

function key(m: Model): string {
  return `${m.namespace}/${m.name}`;
}
