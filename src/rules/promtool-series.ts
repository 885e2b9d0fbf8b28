/** Series of promtool tests as promtool reads them: `metric{labels}` and expanding notation. */
import type { SeriesId } from './synthetic-series.js';

/** Encodes a value list in promtool's expanding notation (`a+bxn` runs). */
export function expandingNotation(values: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < values.length) {
    const start = values[i] ?? 0;
    if (i === values.length - 1) {
      parts.push(String(start));
      break;
    }
    const step = (values[i + 1] ?? 0) - start;
    let j = i + 1;
    while (j + 1 < values.length && (values[j + 1] ?? 0) - (values[j] ?? 0) === step) j++;
    parts.push(step >= 0 ? `${start}+${step}x${j - i}` : `${start}-${-step}x${j - i}`);
    i = j + 1;
  }
  return parts.join(' ');
}

/** A series as promtool's `series:` text. */
export function seriesText(id: SeriesId): string {
  const labels = Object.entries(id.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return labels.length === 0 ? id.metric : `${id.metric}{${labels.join(',')}}`;
}

/** Values with gaps (`undefined`: no sample at that step) in expanding notation; a gap run of n is `_xn`. */
export function valuesText(values: ReadonlyArray<number | undefined>): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    if (values[i] === undefined) {
      while (j < values.length && values[j] === undefined) j++;
      parts.push(`_x${j - i}`);
    } else {
      while (j < values.length && values[j] !== undefined) j++;
      parts.push(expandingNotation(values.slice(i, j) as number[]));
    }
    i = j;
  }
  return parts.join(' ');
}
