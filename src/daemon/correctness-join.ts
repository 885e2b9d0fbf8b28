/**
 * Joins ground-truth labels to stored predictions, in either order: every label not judged yet
 * whose prediction's response is stored is judged (correct, incorrect, or unreadable when no
 * prediction value can be read) once, after each feedback request and every few seconds for
 * predictions stored after their label. Judged labels feed the correctness figures and the
 * counters `modelslo_predictions_labelled_total`.
 */
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { firstValue } from '../canary/samples.js';
import { correctnessOf, isCorrect } from '../correctness/figures.js';
import type { Config, CorrectnessSettings } from '../model/types.js';
import type { FeedbackStore, LabelJoin, LabelJudgement } from '../store/port.js';
import { PREDICTION, sampleValues } from './drift-extract.js';
import type { DaemonMetrics } from './metrics.js';

/** Joins read per pass. */
const PASS = 1000;
/** How often labels waiting for their prediction are looked at again. */
export const JOIN_EVERY_MS = 5_000;

/** The prediction value of a stored response, read the way drift and canary analysis read it. */
export function predictionValue(j: Pick<LabelJoin, 'predictions' | 'response'>, s: CorrectnessSettings): unknown {
  if (s.prediction === undefined) return firstValue(j.predictions?.[0]);
  return sampleValues([{ endpoint: '', timeMs: 0, features: null, predictions: j.predictions, response: j.response }], { name: PREDICTION, kind: s.prediction.kind, path: s.prediction.path })[0];
}

/** The judgement of one join under a model's settings (unreadable when the model left the config). */
export function judge(j: LabelJoin, s: CorrectnessSettings | undefined): LabelJudgement {
  const value = s === undefined ? undefined : predictionValue(j, s);
  const ok = s === undefined ? undefined : isCorrect(value, JSON.parse(j.label) as unknown, s);
  return {
    namespace: j.namespace,
    model: j.model,
    requestId: j.requestId,
    outcome: ok === undefined ? 'unreadable' : ok ? 'correct' : 'incorrect',
    revision: j.revision,
    prediction: ok === undefined ? null : JSON.stringify(value),
    predictionTimeMs: j.timeMs,
  };
}

/** The joiner of one daemon: passes run one at a time. */
export class CorrectnessJoiner {
  private last: Promise<number> = Promise.resolve(0);
  private timer: NodeJS.Timeout | undefined;
  private readonly settings: Map<string, CorrectnessSettings>;

  constructor(private readonly deps: { config: Config; store: FeedbackStore; metrics: DaemonMetrics; log: Logger }) {
    this.settings = new Map(deps.config.models.map((m) => [`${m.namespace}/${m.name}`, correctnessOf(m)]));
    const store = deps.store;
    new Counter({
      name: 'modelslo_predictions_labelled_total',
      help: 'Predictions joined to a ground-truth label (POST /v1/feedback), by outcome: correct, or incorrect (a numeric prediction is correct within correctness.tolerance).',
      labelNames: ['namespace', 'model', 'revision', 'outcome'],
      registers: [deps.metrics.registry],
      async collect() {
        // The totals live in the store (label_counts), so they survive restarts and never go down.
        this.reset();
        for (const c of await store.labelCounts()) this.inc({ namespace: c.namespace, model: c.model, revision: c.revision, outcome: c.outcome }, c.n);
      },
    });
  }

  /** Judges every join that is ready; resolves with how many labels were judged. */
  join(): Promise<number> {
    const run = this.last.catch(() => 0).then(() => this.pass());
    this.last = run;
    return run;
  }

  private async pass(): Promise<number> {
    let judged = 0;
    for (;;) {
      const joins = await this.deps.store.pendingJoins(PASS);
      if (joins.length === 0) return judged;
      judged += await this.deps.store.recordJudgements(joins.map((j) => judge(j, this.settings.get(`${j.namespace}/${j.model}`))));
      if (joins.length < PASS) return judged;
    }
  }

  /** Starts the periodic pass (a failing pass logs, counts and waits for the next). */
  start(): void {
    this.timer = setInterval(() => {
      this.join().catch((err: unknown) => {
        this.deps.metrics.jobFailures.inc({ job: 'label-join' });
        this.deps.log.error({ err }, 'joining labels to predictions failed; retrying at the next run');
      });
    }, JOIN_EVERY_MS);
    this.timer.unref();
  }

  /** Stops the timer and waits for a running pass. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.last.catch(() => 0);
  }
}
