/**
 * `modelslo demo` end to end, shortened (scale 0.5), on the real parts: Prometheus evaluating the
 * generated rules, Alertmanager routing to the demo's webhooks, the daemon judging the canary
 * through the Kubernetes stand-in. Every outcome is checked on what the parts did (notifications
 * received, the stand-in's InferenceService, the files written, the sidecars' and the daemon's
 * counters, the child processes), not on the demo's own verdicts.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/demo/inbox.js';
import { DEMO_EXIT, runDemo, type DemoResult } from '../../src/demo/run-demo.js';
import { runCli } from '../support/run-cli.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const firing = (ns: Notification[], receiver: string, labels: Record<string, string>): Notification[] =>
  ns.filter((n) => n.path === receiver && n.alerts.some((a) => a.status === 'firing' && Object.entries(labels).every(([k, v]) => a.labels[k] === v)));

async function demo(env: NodeJS.ProcessEnv, scale: number): Promise<{ out: string; result: DemoResult; progress: string[]; printed: string[] }> {
  const out = await mkdtemp(join(tmpdir(), 'modelslo-demo-'));
  dirs.push(out);
  const progress: string[] = [];
  const printed: string[] = [];
  const result = await runDemo({ out, env, scale, patience: 2, progress: (s) => progress.push(s), print: (s) => printed.push(s) });
  return { out, result, progress, printed };
}

describe('modelslo demo', () => {
  it('pages the on-call through Prometheus and Alertmanager, tickets drift to the owners only, rolls the bad canary back and writes the report', { timeout: 180_000 }, async () => {
    const { out, result, progress, printed } = await demo(process.env, 0.5);
    expect(result.missing).toEqual([]);
    const ns = result.notifications;
    // The page, fired by Prometheus from the generated rules, at the on-call's webhook.
    expect(firing(ns, 'oncall', { alertname: 'ModelSLOErrorBudgetBurn', severity: 'page', slo: 'availability' }).length).toBeGreaterThan(0);
    // Drift: at the owners, never at the on-call.
    expect(firing(ns, 'fraud-ml', { alertname: 'ModelDrift', severity: 'ticket' }).length).toBeGreaterThan(0);
    expect(ns.filter((n) => n.path === 'oncall' && n.alerts.some((a) => a.labels.alertname === 'ModelDrift' || a.labels.alertname === 'ModelCanaryRolledBack'))).toEqual([]);
    const drift = firing(ns, 'fraud-ml', { alertname: 'ModelDrift' })[0]?.alerts.find((a) => a.labels.alertname === 'ModelDrift');
    expect(Math.abs(Date.parse(drift?.startsAt ?? '') - Date.now())).toBeLessThan(180_000);
    // The rollback, as the stand-in holds the InferenceService, and its alert at the owners.
    expect(result.canaryTrafficPercent).toBe(0);
    expect(firing(ns, 'fraud-ml', { alertname: 'ModelCanaryRolledBack', revision: 'fraud-detector-predictor-00002' }).length).toBeGreaterThan(0);
    // The report, with charts that draw something.
    const report = join(out, 'report');
    expect((await readFile(join(report, 'report.md'), 'utf8')).length).toBeGreaterThan(500);
    expect(existsSync(join(report, 'report.html'))).toBe(true);
    const charts = (await readdir(join(report, 'charts'))).filter((f) => f.endsWith('.svg'));
    expect(charts.length).toBeGreaterThan(0);
    for (const c of charts) expect(await readFile(join(report, 'charts', c), 'utf8')).toMatch(/<svg[\s\S]*<path/);
    // No capture lost: what the sidecars counted as shipped is what the daemon stored, two per request.
    expect(result.accounting?.sent).toBeGreaterThan(500);
    expect(result.accounting?.shipped).toBe(result.accounting?.stored);
    expect(result.accounting?.stored).toBe(2 * (result.accounting?.sent ?? 0));
    // The generated files, what Prometheus and Alertmanager loaded, and nothing left running.
    expect(existsSync(join(out, 'generated/rules/payments-fraud-detector.rules.yaml'))).toBe(true);
    expect(await readFile(join(out, 'prometheus/rules/payments-fraud-detector.rules.yaml'), 'utf8')).toMatch(/for: 5s/);
    expect(result.pids).toHaveLength(2);
    for (const pid of result.pids) expect(alive(pid)).toBe(false);
    expect(progress.some((p) => p.startsWith('accelerated: '))).toBe(true);
    expect(printed.join('\n')).toMatch(/bad canary → rollback +\d+\.\d s/);
    expect(result.exitCode).toBe(DEMO_EXIT.ok);
  });

  it('without Prometheus says what is missing and how to install it, runs on the daemon alone and exits 4', { timeout: 120_000 }, async () => {
    const { result, progress, printed } = await demo({ ...process.env, PROMETHEUS_BIN: '/nonexistent/prometheus' }, 0.3);
    expect(result.missing).toEqual(['prometheus (or PROMETHEUS_BIN)']);
    expect(progress.join('\n')).toContain('sudo apt-get install -y prometheus prometheus-alertmanager');
    expect(printed.join('\n')).toMatch(/availability: objective 99.9%, would fire: page 1h\/5m/);
    expect(result.notifications).toEqual([]);
    expect(result.canaryTrafficPercent).toBe(0);
    expect(result.pids).toEqual([]);
    expect(result.exitCode).toBe(DEMO_EXIT.partial);
  });

  it('documents its flags and exit codes in --help', async () => {
    const { code, out } = await runCli(['demo', '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/--out <dir>/);
    for (const c of ['0 ', '2 ', '3 ', '4 ', '130']) expect(out).toContain(`\n  ${c}`);
  });
});
