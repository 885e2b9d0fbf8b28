/** Maintenance windows in time: whether an instant is inside one, and the intervals of a range they cover (UTC). */
import type { MaintenanceWindow } from '../model/types.js';

const DAY_MS = 86_400_000;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** One covered interval [fromMs, toMs) of a named window. */
export interface MaintenanceInterval {
  name: string;
  fromMs: number;
  toMs: number;
}

/** The intervals of `windows` that overlap [fromMs, toMs), clipped to it, oldest first. */
export function maintenanceIntervals(windows: readonly MaintenanceWindow[], fromMs: number, toMs: number): MaintenanceInterval[] {
  const out: MaintenanceInterval[] = [];
  for (const w of windows) {
    if (w.kind === 'once') {
      const a = Math.max(fromMs, Date.parse(w.start));
      const b = Math.min(toMs, Date.parse(w.end));
      if (a < b) out.push({ name: w.name, fromMs: a, toMs: b });
      continue;
    }
    // Alertmanager's weekly time intervals: on the listed weekdays, [start_time, end_time) UTC.
    for (let day = Math.floor(fromMs / DAY_MS) * DAY_MS; day < toMs; day += DAY_MS) {
      if (!w.weekdays.includes(WEEKDAYS[new Date(day).getUTCDay()] ?? '')) continue;
      const a = Math.max(fromMs, day + minutes(w.startTime) * 60_000);
      const b = Math.min(toMs, day + minutes(w.endTime) * 60_000);
      if (a < b) out.push({ name: w.name, fromMs: a, toMs: b });
    }
  }
  return out.sort((x, y) => x.fromMs - y.fromMs || (x.name < y.name ? -1 : 1));
}

/** Whether `tMs` lies in one of the intervals. */
export function inIntervals(intervals: readonly MaintenanceInterval[], tMs: number): boolean {
  return intervals.some((i) => tMs >= i.fromMs && tMs < i.toMs);
}
