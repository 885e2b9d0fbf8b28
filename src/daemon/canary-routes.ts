/**
 * The canary API: GET /api/v1/models/{ns}/{model}/canary (the current canary, its state and the
 * decision history; `from`/`to` narrow the history) and POST …/canary/run (a round now).
 */
import type { Request, Response } from 'express';
import type { CanaryRunner, CanaryState } from '../canary/runner.js';
import type { Config } from '../model/types.js';
import type { CanaryDecisionRecord, CanaryStore } from '../store/port.js';
import { configuredModel, timeParam } from './route-params.js';

const HISTORY = 500;

/** A decision as the API shows it (times in RFC 3339). */
export function decisionJson(d: CanaryDecisionRecord): Record<string, unknown> {
  const { timeMs, ...rest } = d;
  return { time: new Date(timeMs).toISOString(), ...rest };
}

function stateJson(s: CanaryState): Record<string, unknown> {
  return {
    status: s.status,
    message: s.message ?? null,
    canary: s.canary ?? null,
    progress: s.progress ?? null,
    lastAnalysis:
      s.lastAnalysis === undefined
        ? null
        : { time: new Date(s.lastAnalysis.timeMs).toISOString(), verdict: s.lastAnalysis.decision.verdict, outcome: s.lastAnalysis.analysis.outcome, reason: s.lastAnalysis.decision.reason, action: s.lastAnalysis.action, requests: s.lastAnalysis.analysis.requests, checks: s.lastAnalysis.analysis.checks },
  };
}

/** GET /api/v1/models/{ns}/{model}/canary?from&to */
export function canaryStatusHandler(config: Config, store: CanaryStore, runner: CanaryRunner | null) {
  return async (req: Request, res: Response): Promise<void> => {
    const model = configuredModel(config, req, res);
    if (model === undefined) return;
    const from = timeParam(req, 'from');
    const to = timeParam(req, 'to');
    if (typeof from === 'string' || typeof to === 'string') {
      res.status(400).json({ error: typeof from === 'string' ? from : to });
      return;
    }
    const head = { namespace: model.namespace, model: model.name };
    const state = runner?.state(model.namespace, model.name);
    if (model.canary === undefined || state === undefined) {
      res.json({ ...head, status: 'not_configured', message: 'the model has no canary section in the config' });
      return;
    }
    const decisions = await store.canaryDecisions({ namespace: model.namespace, model: model.name, limit: HISTORY, ...(from !== undefined ? { fromMs: from } : {}), ...(to !== undefined ? { toMs: to } : {}) });
    res.json({ ...head, settings: model.canary, ...stateJson(state), decisions: decisions.map(decisionJson) });
  };
}

/** POST /api/v1/models/{ns}/{model}/canary/run */
export function canaryRunHandler(config: Config, runner: CanaryRunner | null) {
  return async (req: Request, res: Response): Promise<void> => {
    const model = configuredModel(config, req, res);
    if (model === undefined) return;
    if (model.canary === undefined || runner === null) {
      res.status(409).json({ error: `canary analysis of ${model.namespace}/${model.name} cannot run: the model has no canary section in the config` });
      return;
    }
    const state = await runner.run(model.namespace, model.name);
    res.json({ namespace: model.namespace, model: model.name, ...stateJson(state) });
  };
}
