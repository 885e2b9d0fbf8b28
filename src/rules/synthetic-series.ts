/**
 * Synthetic counter series for an SLI: label sets that the SLI's selectors match the way real
 * traffic would (good and bad events both counted in total, only one of them in the ratio's
 * numerator), so that generated promtool tests can drive any SLI through a burn scenario.
 */
import type { LabelMatcher, VectorSelector } from '../spec/promql.js';
import type { SliSeries } from './sli-queries.js';

/** A series' identity: metric name and labels. */
export interface SeriesId {
  metric: string;
  labels: Record<string, string>;
}

/** The series of a scenario, and which per-minute count each one carries. */
export interface SyntheticSeries {
  /** Counts the numerator events (bad events, or good events when the SLI counts good ones). */
  numerator: SeriesId;
  /** The other series; counts all events when `complementCountsAll`, else the complement of numerator. */
  other: SeriesId;
  complementCountsAll: boolean;
}

const regexes = new Map<string, RegExp>();

/** A matcher's regular expression, anchored as Prometheus anchors it (compiled once). */
function anchored(source: string): RegExp {
  let re = regexes.get(source);
  if (re === undefined) {
    re = new RegExp(`^(?:${source})$`);
    if (regexes.size > 10_000) regexes.clear();
    regexes.set(source, re);
  }
  return re;
}

function matches(m: LabelMatcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return anchored(m.value).test(value);
    case '!~':
      return !anchored(m.value).test(value);
  }
}

/** Whether a selector selects the series (an absent label has the empty value, as in Prometheus). */
export function selects(sel: VectorSelector, id: SeriesId): boolean {
  return sel.metric === id.metric && sel.matchers.every((m) => matches(m, id.labels[m.name] ?? ''));
}

const FALLBACK_VALUES = ['', 'x', '200', '500', '2xx', '5xx', 'true', 'false', 'success', 'error', 'ok', 'fail', 'valid', 'invalid'];

/** Values worth trying for a label: literals of its matchers, regex alternatives made concrete, and common ones. */
function candidates(name: string, sels: VectorSelector[]): string[] {
  const out = new Set<string>();
  for (const sel of sels) {
    for (const m of sel.matchers) {
      if (m.name !== name) continue;
      out.add(m.value);
      for (const alt of m.value.replace(/[()^$]/g, '').split('|')) {
        out.add(alt.replace(/\\d|\./g, '0').replace(/[*+?]/g, ''));
      }
    }
  }
  for (const v of FALLBACK_VALUES) out.add(v);
  return [...out];
}

/** Finds labels for `metric` satisfying `want` (all must select) and `avoid` (none may select). */
function solve(metric: string, want: VectorSelector[], avoid: VectorSelector[]): SeriesId | undefined {
  const all = [...want, ...avoid];
  const names = [...new Set(all.flatMap((s) => s.matchers.map((m) => m.name)))].sort();
  const values = names.map((n) => candidates(n, all));
  const labels: Record<string, string> = {};
  let budget = 200_000;
  const search = (i: number): SeriesId | undefined => {
    if (budget-- <= 0) return undefined;
    if (i === names.length) {
      const clean = Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
      const id = { metric, labels: clean };
      return want.every((s) => selects(s, id)) && avoid.every((s) => !selects(s, id)) ? id : undefined;
    }
    const name = names[i] ?? '';
    const wanted = want.flatMap((sel) => sel.matchers.filter((m) => m.name === name));
    for (const v of values[i] ?? []) {
      // Prune: a label every wanted selector constrains must already satisfy it.
      if (!wanted.every((m) => matches(m, v))) continue;
      labels[name] = v;
      const found = search(i + 1);
      if (found !== undefined) return found;
    }
    delete labels[name];
    return undefined;
  };
  return search(0);
}

/** Series for an SLI, or undefined when no simple label values satisfy its selectors. */
export function syntheticSeries(series: SliSeries): SyntheticSeries | undefined {
  const { errors, total } = series;
  if (errors.metric !== total.metric) {
    const numerator = solve(errors.metric, [errors], []);
    const other = solve(total.metric, [total], []);
    return numerator && other ? { numerator, other, complementCountsAll: true } : undefined;
  }
  const numerator = solve(errors.metric, [errors, total], []);
  const other = solve(total.metric, [total], [errors]);
  return numerator && other ? { numerator, other, complementCountsAll: false } : undefined;
}
