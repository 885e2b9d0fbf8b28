/**
 * Sends ModelDrift alerts to Alertmanager (`POST {url}/api/v2/alerts`). A sink keeps every alert
 * it was given until Alertmanager accepted it: failed posts are retried with exponential backoff
 * (counted through `onRetry`), never dropped; a newer alert for the same labels replaces the
 * pending one. Firing alerts are re-posted by the caller while active (each post carries a fresh
 * endsAt so Alertmanager's resolve_timeout cannot close them); `resolve` posts endsAt = now.
 */
import { DRIFT_ALERT } from '../rules/alertmanager.js';

/** One alert as the v2 API takes it. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/** The port the daemon uses: send alerts, and close (flush what is pending, stop retrying). */
export interface AlertSink {
  send(alerts: readonly AmAlert[]): Promise<void>;
  close(): Promise<void>;
}

/** Settings of the Alertmanager client. */
export interface AlertmanagerClientOptions {
  url: string;
  /** Called once per failed delivery attempt (e.g. a prom-client Counter's inc). */
  onRetry?: (error: Error) => void;
  /** First backoff delay (ms), doubled per failure up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

/** What a drifting (or recovered) feature of a model needs for its alert. */
export interface DriftAlertInput {
  model: string;
  namespace: string;
  feature: string;
  owner: string;
  score: number;
  threshold: number;
  test: string;
  topFeatures: readonly string[];
  dashboardUrl?: string;
}

/** A ModelDrift alert (labels per DESIGN.md; annotations with score, threshold, top features, link). */
export function driftAlert(a: DriftAlertInput, now: Date, state: 'firing' | 'resolved', repeatMs = 15 * 60_000): AmAlert {
  const annotations: Record<string, string> = {
    summary: `${a.namespace}/${a.model}: feature ${a.feature} drifted (${a.test} ${a.score.toPrecision(4)}, threshold ${a.threshold})`,
    top_features: a.topFeatures.join(', '),
  };
  if (a.dashboardUrl !== undefined) annotations.dashboard = a.dashboardUrl;
  return {
    labels: { alertname: DRIFT_ALERT, severity: 'ticket', model: a.model, namespace: a.namespace, feature: a.feature, owner: a.owner },
    annotations,
    // Alertmanager takes a missing startsAt from endsAt (an hour ahead while firing); it keeps the
    // earliest startsAt of an active alert, so a repeat's later one does not move it.
    ...(state === 'firing' ? { startsAt: now.toISOString() } : {}),
    endsAt: new Date(state === 'resolved' ? now.getTime() : now.getTime() + 4 * repeatMs).toISOString(),
  };
}

const keyOf = (a: AmAlert): string => JSON.stringify(Object.entries(a.labels).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));

/** An AlertSink posting to a real Alertmanager, with a pending queue and backoff retries. */
export class AlertmanagerClient implements AlertSink {
  private readonly pending = new Map<string, AmAlert>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delay: number;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: AlertmanagerClientOptions) {
    if (!options.url) throw new Error('AlertmanagerClient needs a url');
    this.delay = options.baseDelayMs ?? 500;
  }

  /** Alerts not yet accepted by Alertmanager. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Queues alerts and tries to deliver them now; resolves after this attempt (delivered or queued). */
  async send(alerts: readonly AmAlert[]): Promise<void> {
    for (const a of alerts) this.pending.set(keyOf(a), a);
    await this.flush();
  }

  /** One delivery attempt of everything pending; on failure schedules a retry with backoff. */
  flush(): Promise<void> {
    this.flushing ??= this.attempt().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async attempt(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = new Map(this.pending);
    const doFetch = this.options.fetchImpl ?? fetch;
    try {
      const res = await doFetch(`${this.options.url.replace(/\/$/, '')}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([...batch.values()]),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      if (!res.ok) throw new Error(`alertmanager answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      for (const [k, a] of batch) if (this.pending.get(k) === a) this.pending.delete(k);
      this.delay = this.options.baseDelayMs ?? 500;
    } catch (err) {
      this.options.onRetry?.(err instanceof Error ? err : new Error(String(err)));
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.timer !== undefined) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, this.options.maxDelayMs ?? 30_000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
    this.timer.unref();
  }

  /** Stops retrying after one last attempt; alerts still pending stay readable via pendingCount. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
