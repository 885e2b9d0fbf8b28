/**
 * The multi-window, multi-burn-rate alert table of the Google SRE workbook, chapter 5
 * ("Alerting on SLOs", https://sre.google/workbook/alerting-on-slos/, table 5-8).
 *
 * The workbook states each alert as a share of a 30-day error budget consumed within a long
 * window; the burn-rate factor is that share times the SLO window over the long window:
 *
 *   factor = budgetConsumed × sloWindow / longWindow
 *
 * | severity | budget consumed | long window | short window | factor (30d) | factor (28d) |
 * |----------|-----------------|-------------|--------------|--------------|--------------|
 * | page     | 2%              | 1h          | 5m           | 14.4         | 13.44        |
 * | page     | 5%              | 6h          | 30m          | 6            | 5.6          |
 * | ticket   | 10%             | 1d          | 2h           | 3            | 2.8          |
 * | ticket   | 10%             | 3d          | 6h           | 1            | 0.9333…      |
 *
 * The short window (1/12 of the long one) makes an alert reset soon after the burn stops.
 * Scaling by the SLO window (as pyrra does) keeps "2% of the budget in an hour" true for 28d SLOs.
 */
import type { SloWindow } from '../model/types.js';

/** One row of the table: a burn alert over a long and a short window. */
export interface BurnWindow {
  severity: 'page' | 'ticket';
  /** Share of the whole SLO-window error budget consumed over `long` when the alert fires. */
  budgetConsumed: number;
  long: string;
  short: string;
  /** `for` duration of the alert (the workbook's alerts fire at once; a short for removes blips). */
  for: string;
}

/** The four rows, in the workbook's order. */
export const BURN_WINDOWS: readonly BurnWindow[] = [
  { severity: 'page', budgetConsumed: 0.02, long: '1h', short: '5m', for: '2m' },
  { severity: 'page', budgetConsumed: 0.05, long: '6h', short: '30m', for: '15m' },
  { severity: 'ticket', budgetConsumed: 0.1, long: '1d', short: '2h', for: '1h' },
  { severity: 'ticket', budgetConsumed: 0.1, long: '3d', short: '6h', for: '3h' },
];

/** Every window an SLI error ratio is recorded for: the table's windows, then the SLO window. */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

/** All recorded windows of an SLO, the SLO window last. */
export function recordedWindows(window: SloWindow): string[] {
  return [...SLI_WINDOWS, window];
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Seconds in a Prometheus duration such as `28d` or `5m`. */
export function durationSeconds(d: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d|w|y)$/.exec(d);
  if (m === null) throw new Error(`not a Prometheus duration: "${d}"`);
  return Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? Number.NaN);
}

/** Burn-rate factor of a table row for an SLO window (see the table above). */
export function burnFactor(row: BurnWindow, window: SloWindow): number {
  return round12((row.budgetConsumed * durationSeconds(window)) / durationSeconds(row.long));
}

/** Rounds to 12 significant digits, so that 0.02 × 720 / 1 prints as 14.4, not 14.400000000000002. */
export function round12(x: number): number {
  return Number(x.toPrecision(12));
}
