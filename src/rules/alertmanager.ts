/**
 * The Alertmanager config: pages to the on-call, tickets and drift alerts to the model's owners,
 * grouped by namespace and model; a page inhibits the ticket of the same SLO; maintenance windows
 * mute pages. Every notification of a modelslo alert also goes, first and with `continue: true`,
 * to the daemon's alert journal (reports' timelines). Returns the config as an object; render/ writes it.
 */
import type { Config, MaintenanceWindow, Model, Owner, Receiver } from '../model/types.js';
import { FAILURE_ALERTS, RULE_NAMES } from './types.js';

/** Alert name of drift alerts (sent by the daemon to Alertmanager). */
export const DRIFT_ALERT = 'ModelDrift';

/** The receiver of the alert journal (the daemon's `POST /v1/alertmanager`). */
export const JOURNAL_RECEIVER = 'modelslo-journal';

/** Alert name of a canary rolled back (sent by the daemon's canary analysis to Alertmanager). */
export const CANARY_ALERT = 'ModelCanaryRolledBack';

/** Every alert modelslo raises: the generated rules' (burn, absent data, failure modes), and the daemon's drift and canary alerts. */
export const MODELSLO_ALERTS = [RULE_NAMES.burnAlert, RULE_NAMES.absentAlert, ...Object.values(FAILURE_ALERTS), DRIFT_ALERT, CANARY_ALERT] as const;

/**
 * The label that overrides where an alert goes, whatever its severity: `audience="oncall"` for
 * infrastructure alerts that are tickets for the on-call, `audience="owners"` for model and data
 * alerts that must never page (correctness, skew). Without it, severity decides: page → on-call,
 * ticket → owners.
 */
export const AUDIENCE_LABEL = 'audience';

/** The receiver an owner's alerts go to. */
export function ownerReceiver(owner: Owner): string {
  return owner.receiver ?? `team-${owner.team}`;
}

type Route = Record<string, unknown>;

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * A maintenance window as Alertmanager time intervals (UTC). A one-off window is split into one
 * interval per calendar day it touches, each pinned by year, month and day of month.
 */
export function timeIntervals(w: MaintenanceWindow): Record<string, unknown>[] {
  if (w.kind === 'weekly') return [{ weekdays: w.weekdays, times: [{ start_time: w.startTime, end_time: w.endTime }] }];
  const out: Record<string, unknown>[] = [];
  const start = Date.parse(w.start);
  const end = Date.parse(w.end);
  const day = 86_400_000;
  for (let dayStart = Math.floor(start / day) * day; dayStart < end; dayStart += day) {
    const from = Math.max(start, dayStart);
    const to = Math.min(end, dayStart + day);
    const d = new Date(dayStart);
    out.push({
      times: [{ start_time: hhmm(Math.round((from - dayStart) / 60_000)), end_time: hhmm(Math.round((to - dayStart) / 60_000)) }],
      days_of_month: [String(d.getUTCDate())],
      months: [MONTHS[d.getUTCMonth()]],
      years: [String(d.getUTCFullYear())],
    });
  }
  return out;
}

function ownerRoutes(model: Model, matchers: string[]): Route[] {
  const names = [...new Set(model.owners.map(ownerReceiver))];
  return names.map((receiver, i) => ({ receiver, matchers, ...(i < names.length - 1 ? { continue: true } : {}) }));
}

function modelRoute(model: Model, oncall: string): Route {
  const page: Route = { receiver: oncall, matchers: ['severity="page"'] };
  if (model.maintenance.length > 0) page.mute_time_intervals = model.maintenance;
  const oncallTicket: Route = { receiver: oncall, matchers: [`${AUDIENCE_LABEL}="oncall"`] };
  if (model.maintenance.length > 0) oncallTicket.mute_time_intervals = model.maintenance;
  return {
    receiver: ownerReceiver(model.owners[0] ?? { team: 'unowned' }),
    matchers: [`namespace=${JSON.stringify(model.namespace)}`, `model=${JSON.stringify(model.name)}`],
    routes: [
      ...ownerRoutes(model, [`${AUDIENCE_LABEL}="owners"`]),
      oncallTicket,
      page,
      ...ownerRoutes(model, [`alertname="${DRIFT_ALERT}"`]),
      ...ownerRoutes(model, ['severity="ticket"']),
    ],
  };
}

/** Receivers: those configured, then on-call and owner receivers the config names but does not define. */
function receivers(cfg: Config): Receiver[] {
  const out: Receiver[] = [...cfg.alerting.receivers];
  const have = new Set(out.map((r) => r.name));
  const add = (r: Receiver): void => {
    if (!have.has(r.name)) {
      have.add(r.name);
      out.push(r);
    }
  };
  add({
    name: JOURNAL_RECEIVER,
    webhook_configs: [{ url: cfg.alerting.journal.url, send_resolved: true, max_alerts: 0, http_config: { authorization: { type: 'Bearer', credentials_file: cfg.alerting.journal.credentialsFile } } }],
  });
  add({ name: cfg.alerting.oncallReceiver });
  for (const model of cfg.models) {
    for (const owner of model.owners) {
      const name = ownerReceiver(owner);
      add(owner.receiver === undefined && owner.email !== undefined ? { name, email_configs: [{ to: owner.email, send_resolved: true }] } : { name });
    }
  }
  return out;
}

/** Alert names the journal records: modelslo's, then the burn alerts' own names of imported SLOs. */
function journalAlerts(cfg: Config): string[] {
  const custom = cfg.models.flatMap((m) => m.slos.flatMap((s) => (s.alerts.name !== undefined ? [s.alerts.name] : [])));
  return [...new Set<string>([...MODELSLO_ALERTS, ...custom])];
}

/** The whole Alertmanager config object. */
export function alertmanagerConfig(cfg: Config): Record<string, unknown> {
  const global: Record<string, unknown> = { resolve_timeout: '5m' };
  if (cfg.alerting.smtp !== undefined) {
    global.smtp_smarthost = cfg.alerting.smtp.smarthost;
    global.smtp_from = cfg.alerting.smtp.from;
    global.smtp_require_tls = cfg.alerting.smtp.requireTls;
  }
  const oncall = cfg.alerting.oncallReceiver;
  const config: Record<string, unknown> = {
    global,
    route: {
      receiver: oncall,
      group_by: ['namespace', 'model'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      // The journal first, with continue; then the models; then the root's own receiver again:
      // once the journal route matched, an alert no model route takes would otherwise reach only it.
      routes: [
        { receiver: JOURNAL_RECEIVER, matchers: [`alertname=~"${journalAlerts(cfg).join('|')}"`], continue: true },
        ...cfg.models.map((m) => modelRoute(m, oncall)),
        { receiver: oncall },
      ],
    },
    inhibit_rules: [
      {
        source_matchers: [`alertname="${RULE_NAMES.burnAlert}"`, 'severity="page"'],
        target_matchers: [`alertname="${RULE_NAMES.burnAlert}"`, 'severity="ticket"'],
        equal: ['namespace', 'model', 'slo'],
      },
    ],
    receivers: receivers(cfg),
  };
  if (cfg.maintenanceWindows.length > 0) {
    config.time_intervals = cfg.maintenanceWindows.map((w) => ({ name: w.name, time_intervals: timeIntervals(w) }));
  }
  return config;
}
