/** Background jobs of the daemon: join-TTL expiry and payload retention, on timers. */
import type { Logger } from 'pino';
import type { DaemonSettings } from '../model/types.js';
import { durationSeconds } from '../slo/burn-windows.js';
import type { MaintenanceStore } from '../store/port.js';
import type { DaemonMetrics } from './metrics.js';

const DAY_MS = 86_400_000;
const RETENTION_EVERY_MS = 3_600_000;

/** Runs one expiry pass: halves unmatched for longer than the join TTL become `expired`. */
export async function expireJoins(store: MaintenanceStore, settings: DaemonSettings, metrics: DaemonMetrics, nowMs = Date.now()): Promise<number> {
  const n = await store.expireJoins(nowMs - durationSeconds(settings.joinTtl) * 1000);
  metrics.joinExpired.inc(n);
  return n;
}

/** Runs one retention pass. */
export async function applyRetention(store: MaintenanceStore, settings: DaemonSettings, metrics: DaemonMetrics, nowMs = Date.now()): Promise<{ payloads: number; records: number }> {
  const r = await store.applyRetention(nowMs - settings.retention.payloadDays * DAY_MS, nowMs - settings.retention.aggregateDays * DAY_MS);
  metrics.retentionRemoved.inc({ what: 'payloads' }, r.payloads);
  metrics.retentionRemoved.inc({ what: 'records' }, r.records);
  return r;
}

/** Starts both jobs; a failing run logs, counts and waits for the next. Returns a stop function. */
export function startJobs(store: MaintenanceStore, settings: DaemonSettings, metrics: DaemonMetrics, log: Logger): () => void {
  const guard = (job: string, fn: () => Promise<unknown>) => (): void => {
    fn().catch((err: unknown) => {
      metrics.jobFailures.inc({ job });
      log.error({ err, job }, 'background job failed; retrying at its next run');
    });
  };
  const ttlMs = durationSeconds(settings.joinTtl) * 1000;
  const expiry = guard('join-expiry', () => expireJoins(store, settings, metrics));
  const retention = guard('retention', async () => {
    const r = await applyRetention(store, settings, metrics);
    if (r.payloads + r.records > 0) log.info(r, 'retention removed old payloads and records');
  });
  const timers = [setInterval(expiry, Math.min(60_000, Math.max(1_000, ttlMs / 4))), setInterval(retention, RETENTION_EVERY_MS)];
  for (const t of timers) t.unref();
  retention();
  return () => timers.forEach((t) => clearInterval(t));
}
