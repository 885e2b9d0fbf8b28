/**
 * POST /v1/alertmanager: the alert journal. Alertmanager's webhook (payload version 4) posts every
 * notification of every modelslo alert here (the generated routing sends them with `continue:
 * true`); each alert's state is stored once, with the receivers the generated routing sends it to.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from '../model/types.js';
import { alertmanagerConfig, JOURNAL_RECEIVER } from '../rules/alertmanager.js';
import { routeReceivers, type RouteNode } from '../rules/alertmanager-routes.js';
import type { AlertJournalStore, AlertRecord } from '../store/port.js';
import type { DaemonMetrics } from './metrics.js';

const labels = z.record(z.string(), z.string());
const time = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an RFC 3339 time');

/** The webhook payload fields the journal keeps (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
const payload = z.object({
  version: z.string().optional(),
  groupKey: z.string().default(''),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved']),
        labels: labels.refine((l) => typeof l.alertname === 'string', 'needs an alertname label'),
        annotations: labels.default({}),
        startsAt: time,
        endsAt: z.string().default(''),
        fingerprint: z.string().optional(),
      }),
    )
    .max(10_000),
});

/** A stable fingerprint of a label set, for payloads without Alertmanager's. */
const labelKey = (l: Record<string, string>): string => JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));

/** The journal's records of one notification; `receivers` gives where the generated routing sends labels. */
export function journalRecords(body: z.output<typeof payload>, receivers: (l: Record<string, string>) => string[], nowMs: number): AlertRecord[] {
  return body.alerts.map((a) => {
    // Alertmanager sends endsAt "0001-01-01T00:00:00Z" (or a future time) while an alert fires.
    const ends = Date.parse(a.endsAt);
    return {
      fingerprint: a.fingerprint ?? labelKey(a.labels),
      status: a.status,
      startsAtMs: Date.parse(a.startsAt),
      endsAtMs: a.status === 'resolved' && Number.isFinite(ends) ? ends : null,
      alertname: a.labels.alertname ?? '',
      labels: a.labels,
      annotations: a.annotations,
      receivers: receivers(a.labels),
      groupKey: body.groupKey,
      receivedMs: nowMs,
    };
  });
}

/** The handler of POST /v1/alertmanager (JSON body, already size-limited by the router). */
export function journalHandler(deps: { config: Config; store: AlertJournalStore; metrics: DaemonMetrics; log: Logger; onStored?: (records: AlertRecord[]) => void }) {
  const route = alertmanagerConfig(deps.config).route as RouteNode;
  const receivers = (l: Record<string, string>): string[] => routeReceivers(route, l).filter((r) => r !== JOURNAL_RECEIVER);
  return async (req: Request, res: Response): Promise<void> => {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    } catch {
      deps.metrics.requests.inc({ route: '/v1/alertmanager', code: '400' });
      res.status(400).json({ error: 'body: not JSON (expected an Alertmanager webhook payload)' });
      return;
    }
    const parsed = payload.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      deps.metrics.requests.inc({ route: '/v1/alertmanager', code: '400' });
      res.status(400).json({ error: `body.${(issue?.path ?? []).join('.')}: ${issue?.message ?? 'invalid'}` });
      return;
    }
    const records = journalRecords(parsed.data, receivers, Date.now());
    const result = await deps.store.insertAlerts(records);
    deps.onStored?.(records);
    deps.metrics.requests.inc({ route: '/v1/alertmanager', code: '200' });
    deps.log.info({ status: parsed.data.status, alerts: parsed.data.alerts.length, ...result }, 'alert notification journaled');
    res.json(result);
  };
}
