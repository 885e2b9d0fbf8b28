/**
 * The drift API: GET /api/v1/models/{ns}/{model}/drift (status and the latest run; with from/to,
 * the stored runs in that range) and POST …/drift/run (a check now; returns its report).
 */
import type { Request, Response } from 'express';
import type { Config } from '../model/types.js';
import type { DriftResultRecord, DriftStore } from '../store/port.js';
import { DriftUnavailable, type DriftRunner } from './drift-runner.js';
import { configuredModel, timeParam } from './route-params.js';

const MAX_HISTORY_ROWS = 100_000;

/** Stored records grouped into runs (one per run time and endpoint), oldest first. */
export function runsOf(records: readonly DriftResultRecord[]): Record<string, unknown>[] {
  const runs = new Map<string, Record<string, unknown> & { features: Record<string, unknown>[] }>();
  for (const r of records) {
    const key = `${r.runMs}/${r.endpoint}`;
    let run = runs.get(key);
    if (run === undefined) {
      run = {
        time: new Date(r.runMs).toISOString(),
        endpoint: r.endpoint,
        window: { from: new Date(r.windowFromMs).toISOString(), to: new Date(r.windowToMs).toISOString() },
        level: r.level,
        driftShare: r.driftShare,
        features: [],
      };
      runs.set(key, run);
    }
    run.features.push({
      feature: r.feature,
      kind: r.kind,
      test: r.test,
      level: r.featureLevel,
      score: r.score,
      pValue: r.pValue,
      adjustedPValue: r.adjustedPValue,
      threshold: r.threshold,
      referenceSize: r.referenceSize,
      currentSize: r.currentSize,
      details: r.details === null ? null : (JSON.parse(r.details) as unknown),
    });
  }
  return [...runs.values()];
}

/** GET /api/v1/models/{ns}/{model}/drift?from&to */
export function driftStatusHandler(config: Config, store: DriftStore, runner: DriftRunner) {
  return async (req: Request, res: Response): Promise<void> => {
    const model = configuredModel(config, req, res);
    if (model === undefined) return;
    const m = { ns: model.namespace, name: model.name };
    const from = timeParam(req, 'from');
    const to = timeParam(req, 'to');
    if (typeof from === 'string' || typeof to === 'string') {
      res.status(400).json({ error: typeof from === 'string' ? from : to });
      return;
    }
    const s = runner.state(m.ns, m.name);
    const head = { namespace: m.ns, model: m.name };
    if (s === undefined) {
      res.json({ ...head, status: 'not_configured', message: 'the model has no drift section in the config' });
      return;
    }
    const ranged = from !== undefined || to !== undefined;
    const records = await store.driftResults({ namespace: m.ns, model: m.name, limit: MAX_HISTORY_ROWS, ...(ranged ? { fromMs: from ?? 0, toMs: to ?? Number.MAX_SAFE_INTEGER } : {}) });
    const ref = s.reference;
    res.json({
      ...head,
      status: s.status,
      ...(s.error !== undefined ? { error: s.error } : {}),
      settings: { window: s.settings.window, schedule: s.settings.schedule, driftShare: s.settings.driftShare, correction: s.settings.correction, minSamples: s.settings.minSamples },
      reference: ref === undefined ? null : { source: ref.source, rows: ref.rows, features: ref.features.map((f) => ({ feature: f.spec.name, kind: f.profile.kind, test: f.test, size: f.values.length })) },
      lastRun: s.lastRun === undefined ? null : { ...s.lastRun, time: new Date(s.lastRun.timeMs).toISOString() },
      lastError: s.lastError === undefined ? null : { ...s.lastError, time: new Date(s.lastError.timeMs).toISOString() },
      firing: [...s.memory.firing.keys()],
      ...(ranged ? { runs: runsOf(records) } : { latest: runsOf(records) }),
    });
  };
}

/** POST /api/v1/models/{ns}/{model}/drift/run */
export function driftRunHandler(config: Config, runner: DriftRunner) {
  return async (req: Request, res: Response): Promise<void> => {
    const model = configuredModel(config, req, res);
    if (model === undefined) return;
    const m = { ns: model.namespace, name: model.name };
    try {
      const records = await runner.run(m.ns, m.name);
      res.json({ namespace: m.ns, model: m.name, runs: runsOf(records) });
    } catch (err) {
      if (err instanceof DriftUnavailable) res.status(409).json({ error: `drift check of ${m.ns}/${m.name} cannot run: ${err.message}` });
      else res.status(500).json({ error: `drift check failed (logged): ${err instanceof Error ? err.message : String(err)}` });
    }
  };
}
