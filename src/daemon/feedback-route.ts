/**
 * POST /v1/feedback: ground-truth labels, all-or-nothing. A bad item refuses the whole request
 * (400 naming body[i] and the field); a label for an id that already has a different one is 409
 * (the first label is kept); a repeated identical label is a duplicate (idempotent retries).
 * Accepted labels are joined to stored predictions before the answer.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { correctnessOf } from '../correctness/figures.js';
import { decodeFeedback } from '../ingest/feedback.js';
import type { Config, CorrectnessSettings } from '../model/types.js';
import { LabelConflict, type FeedbackStore } from '../store/port.js';
import type { CorrectnessJoiner } from './correctness-join.js';
import { timed, type DaemonMetrics } from './metrics.js';

/** What the handler needs. */
export interface FeedbackDeps {
  config: Config;
  store: FeedbackStore;
  metrics: DaemonMetrics;
  log: Logger;
  joiner: CorrectnessJoiner;
}

const ROUTE = '/v1/feedback';

/** The handler of POST /v1/feedback. */
export function feedbackHandler(deps: FeedbackDeps) {
  const settings = new Map<string, CorrectnessSettings>(deps.config.models.map((m) => [`${m.namespace}/${m.name}`, correctnessOf(m)]));
  const answer = (res: Response, code: number, body: Record<string, unknown>): void => {
    deps.metrics.requests.inc({ route: ROUTE, code: String(code) });
    res.status(code).json(body);
  };
  const refuse = (res: Response, code: number, error: string): void => {
    deps.metrics.ingested.inc({ kind: 'label', outcome: 'rejected' });
    deps.log.info({ route: ROUTE, code, error }, 'feedback request rejected');
    answer(res, code, { error, stored: 0, note: 'nothing of this request was stored (all-or-nothing)' });
  };
  return async (req: Request, res: Response): Promise<void> => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== 'application/json') return refuse(res, 415, `content-type "${type}": send application/json (one label object or an array of them)`);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const decoded = decodeFeedback(body, { jsonDepth: deps.config.daemon.limits.jsonDepth, correctness: (ns, model) => settings.get(`${ns}/${model}`), nowMs: Date.now() });
    if (!decoded.ok) return refuse(res, 400, decoded.error);
    const labels = decoded.value;
    let stored: number;
    let duplicates: number;
    try {
      ({ inserted: stored, duplicates } = await timed(deps.metrics, 'insert_labels', () => deps.store.insertLabels(labels)));
    } catch (err) {
      if (err instanceof LabelConflict) {
        const at = body.toString('utf8').trimStart().startsWith('[') ? `body[${err.index}]` : 'body';
        const l = labels[err.index];
        return refuse(res, 409, `${at}.label: request id "${l?.requestId ?? ''}" of ${l?.namespace ?? ''}/${l?.model ?? ''} already has the label ${err.stored}; the first label is kept (labels are not replaced)`);
      }
      deps.log.error({ err, route: ROUTE }, 'store write failed');
      deps.metrics.requests.inc({ route: ROUTE, code: '503' });
      res.status(503).set('Retry-After', '1').json({ error: 'store unavailable: nothing of this request was stored; retry later' });
      return;
    }
    deps.metrics.ingested.inc({ kind: 'label', outcome: 'stored' }, stored);
    deps.metrics.ingested.inc({ kind: 'label', outcome: 'duplicate' }, duplicates);
    // The labels are committed; a failed join is retried by the periodic pass, so the answer stays 200.
    const judged = await deps.joiner.join().catch((err: unknown) => (deps.log.error({ err }, 'joining labels failed; retried later'), 0));
    answer(res, 200, { accepted: labels.length, stored, duplicates, judged });
  };
}
