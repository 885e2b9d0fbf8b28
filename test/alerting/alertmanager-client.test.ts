/**
 * The Alertmanager client against a real Alertmanager configured with the routing that
 * `modelslo generate` writes (generateArtifacts + renderYaml), receivers being webhooks of this
 * test: a drifting model's ModelDrift alert reaches its owners, resolves when drift clears, and
 * the on-call receiver sees nothing. Also: retries while Alertmanager is unreachable, counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient, driftAlert } from '../../src/alerting/alertmanager-client.js';
import { generatedRoutingForTests, startAlertmanager, type AlertmanagerServer } from '../support/alertmanager.js';
import { mustParse } from '../support/fixtures.js';
import { freePort } from '../support/free-port.js';
import { startWebhook, type WebhookServer } from '../support/webhook.js';

let hook: WebhookServer;
let am: AlertmanagerServer;

function configText(webhookUrl: string): string {
  return [
    'alerting:',
    '  oncall_receiver: oncall',
    '  receivers:',
    `    - { name: oncall, webhook_configs: [{ url: "${webhookUrl}/oncall", send_resolved: true }] }`,
    `    - { name: fraud-ml, webhook_configs: [{ url: "${webhookUrl}/owners", send_resolved: true }] }`,
    'models:',
    '  - name: fraud-detector',
    '    namespace: payments',
    '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
    '    slos:',
    '      - { name: availability, objective: 99.9, sli: { availability: {} } }',
  ].join('\n');
}


beforeAll(async () => {
  hook = await startWebhook();
  am = await startAlertmanager(generatedRoutingForTests(mustParse(configText(hook.url))));
}, 30_000);

afterAll(async () => {
  await am?.stop();
  await hook?.stop();
});

const input = { model: 'fraud-detector', namespace: 'payments', feature: 'amount', owner: 'fraud-ml', score: 0.31, threshold: 0.1, test: 'wasserstein', topFeatures: ['amount', 'country'], dashboardUrl: 'http://grafana/d/debug' };

describe('ModelDrift through a real Alertmanager with the generated routing', () => {
  it('reaches the owners receiver, resolves when drift clears, and the on-call sees nothing', async () => {
    const retries: Error[] = [];
    const client = new AlertmanagerClient({ url: am.url, onRetry: (e) => retries.push(e) });
    const sentMs = Date.now();
    await client.send([driftAlert(input, new Date(sentMs), 'firing')]);
    expect(client.pendingCount()).toBe(0);
    const firing = await hook.waitFor((n) => n.path === '/owners' && n.status === 'firing');
    expect(firing.receiver).toBe('fraud-ml');
    const alert = firing.alerts[0]!;
    expect(alert.labels).toMatchObject({ alertname: 'ModelDrift', severity: 'ticket', model: 'fraud-detector', namespace: 'payments', feature: 'amount', owner: 'fraud-ml' });
    expect(alert.annotations.summary).toContain('0.31');
    expect(alert.annotations.summary).toContain('threshold 0.1');
    expect(alert.annotations.top_features).toBe('amount, country');
    expect(alert.annotations.dashboard).toBe('http://grafana/d/debug');
    // Without a startsAt of its own, Alertmanager would take endsAt (an hour ahead) as the start.
    expect(Math.abs(Date.parse((alert as unknown as { startsAt: string }).startsAt) - sentMs)).toBeLessThan(5_000);

    await client.send([driftAlert(input, new Date(), 'resolved')]);
    const resolved = await hook.waitFor((n) => n.path === '/owners' && n.status === 'resolved');
    expect(resolved.alerts[0]!.labels.feature).toBe('amount');
    // a group_interval more, so a misrouted notification would have arrived by now
    await new Promise((r) => setTimeout(r, 2500));
    expect(hook.received.filter((n) => n.path === '/oncall')).toEqual([]);
    expect(retries).toEqual([]);
    await client.close();
  }, 40_000);

  it('keeps alerts while Alertmanager is unreachable, counts the retries, and delivers later', async () => {
    const deadPort = await freePort();
    const retries: Error[] = [];
    let target = `http://127.0.0.1:${deadPort}`;
    const client = new AlertmanagerClient({ url: 'unused', baseDelayMs: 50, maxDelayMs: 200, onRetry: (e) => retries.push(e), fetchImpl: (u, init) => fetch((u as string).replace('unused', target), init) });
    await client.send([driftAlert({ ...input, feature: 'country' }, new Date(), 'firing')]);
    expect(client.pendingCount()).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(client.pendingCount()).toBe(1);
    target = am.url;
    const deadline = Date.now() + 5000;
    while (client.pendingCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(client.pendingCount()).toBe(0);
    const n = await hook.waitFor((x) => x.path === '/owners' && x.alerts.some((a) => a.labels.feature === 'country'));
    expect(n.receiver).toBe('fraud-ml');
    await client.close();
  }, 20_000);
});
