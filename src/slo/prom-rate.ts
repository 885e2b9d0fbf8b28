/**
 * Prometheus's rate() and increase(), computed from raw samples exactly as Prometheus 2.x does
 * (promql/functions.go, extrapolatedRate), so that SLIs the daemon computes from stored samples
 * equal those the generated recording rules produce.
 */

/** One sample: time in milliseconds, value. */
export interface Sample {
  t: number;
  v: number;
}

/**
 * Samples a range selector `[range]` evaluated at `evalMs` sees. Prometheus 2.x ranges are closed
 * on both ends: [eval − range, eval] (3.0 made them left-open). Samples must be sorted by time.
 */
export function selectRange(samples: readonly Sample[], evalMs: number, rangeMs: number): Sample[] {
  return samples.slice(lowerBound(samples, evalMs - rangeMs), upperBound(samples, evalMs));
}

/** First index whose time is ≥ t (samples sorted by time). */
function lowerBound(samples: readonly Sample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((samples[mid]?.t ?? Infinity) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose time is > t (samples sorted by time). */
function upperBound(samples: readonly Sample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((samples[mid]?.t ?? Infinity) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The counter increase over [eval − range, eval], extrapolated to the range's edges as Prometheus
 * does; undefined with fewer than two samples (Prometheus drops the series).
 */
export function extrapolatedIncrease(samples: readonly Sample[], evalMs: number, rangeMs: number): number | undefined {
  const pts = selectRange(samples, evalMs, rangeMs);
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (first === undefined || last === undefined || pts.length < 2) return undefined;
  let result = last.v - first.v;
  // Counter resets: a drop means the counter restarted from zero; add back what was lost.
  let lastValue = 0;
  for (const s of pts) {
    if (s.v < lastValue) result += lastValue;
    lastValue = s.v;
  }
  const rangeStart = evalMs - rangeMs;
  let durationToStart = (first.t - rangeStart) / 1000;
  const durationToEnd = (evalMs - last.t) / 1000;
  const sampledInterval = (last.t - first.t) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (pts.length - 1);
  // A counter cannot go below zero: do not extrapolate further back than its zero point.
  if (result > 0 && first.v >= 0) {
    const durationToZero = sampledInterval * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  // Extrapolate to an edge only when the edge is within 1.1 sample intervals; else by half of one.
  const threshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval += durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
  return result * (extrapolateToInterval / sampledInterval);
}

/** Per-second rate over the range, as PromQL rate(). */
export function extrapolatedRate(samples: readonly Sample[], evalMs: number, rangeMs: number): number | undefined {
  const inc = extrapolatedIncrease(samples, evalMs, rangeMs);
  return inc === undefined ? undefined : inc / (rangeMs / 1000);
}

/** sum(rate(series[range])) over several series; undefined when no series has a rate (empty vector). */
export function sumRate(series: ReadonlyArray<readonly Sample[]>, evalMs: number, rangeMs: number): number | undefined {
  let sum: number | undefined;
  for (const s of series) {
    const r = extrapolatedRate(s, evalMs, rangeMs);
    if (r !== undefined) sum = (sum ?? 0) + r;
  }
  return sum;
}
