/** Text forms the report uses for times, durations, shares and counts (fixed, locale-free). */

/** `2026-12-01 10:07:00 UTC` */
export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `10:07:00` (UTC), for timeline rows within one report. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** `1 h 05 min`, `42 min 30 s`, `50 s`. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return r === 0 ? `${m} min` : `${m} min ${r} s`;
  return `${r} s`;
}

/** A share as a percentage with two decimals: `12.34 %`. */
export function percent(x: number | null): string {
  return x === null ? 'n/a' : `${(x * 100).toFixed(2)} %`;
}

/** An integer with thin grouping: `12,345`. */
export function count(n: number | null): string {
  return n === null ? 'n/a' : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
