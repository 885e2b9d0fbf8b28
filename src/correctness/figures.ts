/**
 * Correctness from ground truth, pure: whether one prediction matches its label, and the figures of
 * a set of labelled predictions, named and defined as scikit-learn's `sklearn.metrics` defines them
 * (accuracy_score, precision_recall_fscore_support with average=None, mean_absolute_error,
 * mean_squared_error), so that they can be checked against it.
 */
import type { CorrectnessSettings, DriftFeatureKind, Model } from '../model/types.js';

/** A model's correctness settings; without a correctness section or drift prediction: the first prediction value, as a class. */
export function correctnessOf(model: Pick<Model, 'correctness'>): CorrectnessSettings {
  return model.correctness ?? { kind: 'categorical', tolerance: 0 };
}

/** One judged pair: the label (ground truth) and the prediction read from the stored response. */
export interface LabelledPair {
  label: unknown;
  prediction: unknown;
}

/** Figures of categorical predictions; per-class figures are keyed by class, classes sorted. */
export interface CategoricalFigures {
  kind: 'categorical';
  count: number;
  /** Share of predictions equal to their label (null without pairs). */
  accuracy: number | null;
  classes: string[];
  precision: Record<string, number>;
  recall: Record<string, number>;
  f1: Record<string, number>;
  /** Labels of each class (sklearn's support). */
  support: Record<string, number>;
}

/** Figures of numeric predictions. */
export interface NumericFigures {
  kind: 'numeric';
  count: number;
  /** Share of predictions within the tolerance of their label (null without pairs). */
  accuracy: number | null;
  tolerance: number;
  mae: number | null;
  rmse: number | null;
}

/** The figures of one set of pairs. */
export type Figures = CategoricalFigures | NumericFigures;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A categorical value as text (numbers and booleans as JSON writes them); undefined when not a scalar. */
export function classOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (finite(v) || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Whether a prediction is correct: numeric within `tolerance` (|prediction − label| ≤ tolerance), categorical equal as text; undefined when unreadable. */
export function isCorrect(prediction: unknown, label: unknown, s: Pick<CorrectnessSettings, 'kind' | 'tolerance'>): boolean | undefined {
  if (s.kind === 'numeric') return finite(prediction) && finite(label) ? Math.abs(prediction - label) <= s.tolerance : undefined;
  const p = classOf(prediction);
  const l = classOf(label);
  return p === undefined || l === undefined ? undefined : p === l;
}

/**
 * Neumaier's compensated sum: the error stays near one rounding of the total whatever the count,
 * so means agree with numpy's pairwise sums far below 1e-12 (Neumaier 1974, ZAMM 54).
 */
function compensatedSum(values: Iterable<number>): number {
  let sum = 0;
  let c = 0;
  for (const v of values) {
    const t = sum + v;
    c += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + c;
}

/**
 * Per-class precision tp/(tp+fp), recall tp/(tp+fn) and F1 2tp/(2tp+fp+fn) over the sorted union of
 * labels and predictions; a 0/0 is 0, as sklearn's default zero_division gives (after its warning).
 */
function categorical(pairs: ReadonlyArray<{ label: string; prediction: string }>): CategoricalFigures {
  const tp = new Map<string, number>();
  const predicted = new Map<string, number>();
  const actual = new Map<string, number>();
  const add = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  let correct = 0;
  for (const { label, prediction } of pairs) {
    add(actual, label);
    add(predicted, prediction);
    if (label === prediction) {
      correct++;
      add(tp, label);
    }
  }
  // sklearn sorts classes with np.unique: by code point, as this comparison does.
  const classes = [...new Set([...actual.keys(), ...predicted.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const out: CategoricalFigures = { kind: 'categorical', count: pairs.length, accuracy: pairs.length === 0 ? null : correct / pairs.length, classes, precision: {}, recall: {}, f1: {}, support: {} };
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const p = predicted.get(c) ?? 0;
    const a = actual.get(c) ?? 0;
    out.precision[c] = ratio(t, p);
    out.recall[c] = ratio(t, a);
    out.f1[c] = ratio(2 * t, p + a);
    out.support[c] = a;
  }
  return out;
}

/** MAE = mean |e|, RMSE = sqrt(mean e²) with e = prediction − label; accuracy = share with |e| ≤ tolerance. */
function numeric(pairs: ReadonlyArray<{ label: number; prediction: number }>, tolerance: number): NumericFigures {
  const n = pairs.length;
  if (n === 0) return { kind: 'numeric', count: 0, accuracy: null, tolerance, mae: null, rmse: null };
  const errors = pairs.map((p) => p.prediction - p.label);
  const within = errors.filter((e) => Math.abs(e) <= tolerance).length;
  return {
    kind: 'numeric',
    count: n,
    accuracy: within / n,
    tolerance,
    mae: compensatedSum(errors.map(Math.abs)) / n,
    rmse: Math.sqrt(compensatedSum(errors.map((e) => e * e)) / n),
  };
}

/** The figures of labelled pairs judged as `kind`; pairs whose values are not of that kind are left out. */
export function correctnessFigures(pairs: readonly LabelledPair[], kind: DriftFeatureKind, tolerance: number): Figures {
  if (kind === 'numeric') {
    return numeric(pairs.flatMap((p) => (finite(p.label) && finite(p.prediction) ? [{ label: p.label, prediction: p.prediction }] : [])), tolerance);
  }
  return categorical(
    pairs.flatMap((p) => {
      const label = classOf(p.label);
      const prediction = classOf(p.prediction);
      return label !== undefined && prediction !== undefined ? [{ label, prediction }] : [];
    }),
  );
}
