/**
 * Starts every part of the demo on 127.0.0.1 and stops them again: the webhook inbox, the
 * Kubernetes STAND-IN holding the InferenceService, the toy predictor in two revisions, the daemon
 * (reading the stand-in through the kubeconfig the demo writes), a sidecar per revision, and — when
 * their binaries are there — a real Prometheus (scraping the sidecars and the daemon, evaluating
 * the generated rules) and a real Alertmanager (the generated routing).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { startDaemon, type RunningDaemon } from '../daemon/daemon.js';
import { KubeRollout } from '../k8s/kube-rollout.js';
import type { Config } from '../model/types.js';
import { renderArtifacts } from '../render/files.js';
import { renderYaml } from '../render/yaml.js';
import { generateArtifacts } from '../rules/generate.js';
import { resolveOptions } from '../sidecar/options.js';
import { startSidecar, type Sidecar } from '../sidecar/sidecar.js';
import { parseConfig } from '../spec/parse.js';
import { formatIssue } from '../spec/positions.js';
import { burnAlertsWithFor, routingWithTimers } from './accelerate.js';
import { DEMO_MODEL, DEMO_NS, demoConfigText } from './demo-config.js';
import { freePort } from './free-port.js';
import { startInbox, type Inbox, type Notification } from './inbox.js';
import { KubeStandin } from './kube-standin.js';
import { selfSignedCert } from './kube-standin-tls.js';
import { startModelServer, type ModelServer } from './model-server.js';
import { startChildServer, type ChildServer } from './real-servers.js';

/** The demo's speed-ups (printed by the demo). */
export const ACCELERATION = { scrapeInterval: '1s', evaluationInterval: '1s', burnFor: '5s', alertmanagerTimers: '1s', canaryInterval: '1s' } as const;

/** The revision names, as Knative names them. */
export const revision = (n: number): string => `${DEMO_MODEL}-predictor-${String(n).padStart(5, '0')}`;
const SA = 'system:serviceaccount:modelslo-system:modelslo';

/** What to start. */
export interface StackOptions {
  out: string;
  prometheusBin?: string;
  alertmanagerBin?: string;
  log: Logger;
  onNotification: (n: Notification) => void;
  progress: (s: string) => void;
}

/** Everything that runs. */
export interface Stack {
  config: Config;
  token: string;
  files: { config: string; generated: string; generatedCount: number; loadedRules: string; loadedRouting: string; kubeconfig: string; db: string };
  /** The `for:` durations of the burn alerts the loaded rules replaced. */
  replacedFor: string[];
  inbox: Inbox;
  standin: KubeStandin;
  predictors: { primary: ModelServer; canary: ModelServer };
  daemon: RunningDaemon;
  /** Sidecar by revision. */
  sidecars: Map<string, Sidecar>;
  prometheus?: ChildServer;
  alertmanager?: ChildServer;
  /** Child process ids (Prometheus, Alertmanager). */
  pids: number[];
  stop(): Promise<void>;
}

async function write(file: string, text: string, mode?: number): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, mode === undefined ? {} : { mode });
}

function kubeconfigText(server: string, caFile: string, token: string): string {
  return ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: standin', `  cluster: { server: "${server}", certificate-authority: "${caFile}" }`, 'users:', '- name: modelslo', `  user: { token: ${token} }`, 'contexts:', '- name: demo', '  context: { cluster: standin, user: modelslo }', 'current-context: demo', ''].join('\n');
}

function prometheusConfig(sidecars: string[], daemon: string, alertmanager: string, tokenFile: string, ruleFiles: string[]): string {
  return renderYaml({
    global: { scrape_interval: ACCELERATION.scrapeInterval, evaluation_interval: ACCELERATION.evaluationInterval },
    alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager] }] }] },
    rule_files: ruleFiles,
    scrape_configs: [
      { job_name: 'modelslo-sidecar', static_configs: [{ targets: sidecars }] },
      { job_name: 'modelslo-daemon', authorization: { type: 'Bearer', credentials_file: tokenFile }, static_configs: [{ targets: [daemon] }] },
    ],
  }, 'Prometheus of `modelslo demo`: scrapes the sidecars and the daemon, evaluates the generated rules');
}

/** Starts the stack; on any failure stops what was started and rethrows. */
export async function startStack(o: StackOptions): Promise<Stack> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse().splice(0)) await s().catch(() => undefined);
  };
  try {
    const out = o.out;
    // A fresh run: the previous run's database and Prometheus/Alertmanager data go.
    for (const f of ['demo.db', 'demo.db-wal', 'demo.db-shm', 'prometheus', 'alertmanager', 'spool', 'report']) await rm(join(out, f), { recursive: true, force: true });
    const token = randomBytes(16).toString('hex');
    const files = { config: join(out, 'modelslo.yaml'), generated: join(out, 'generated'), generatedCount: 0, loadedRules: join(out, 'prometheus', 'rules'), loadedRouting: join(out, 'alertmanager', 'alertmanager.yml'), kubeconfig: join(out, 'kubeconfig'), db: join(out, 'demo.db') };
    const tokenFile = join(out, 'secrets', 'modelslo-token');
    await write(tokenFile, token, 0o600);
    const withPrometheus = o.prometheusBin !== undefined && o.alertmanagerBin !== undefined;
    const [daemonPort, amPort, promPort] = [await freePort(), await freePort(), await freePort()];
    const inbox = await startInbox(o.onNotification);
    stops.push(() => inbox.stop());
    const text = demoConfigText({ inboxUrl: inbox.url, alertmanagerUrl: `http://127.0.0.1:${amPort}`, daemonListen: `127.0.0.1:${daemonPort}`, ...(withPrometheus ? { prometheusUrl: `http://127.0.0.1:${promPort}` } : {}), db: files.db, tokenFile });
    await write(files.config, text);
    const parsed = parseConfig(text, files.config);
    if (!parsed.ok) throw new Error(`the demo config is invalid:\n${parsed.issues.map(formatIssue).join('\n')}`);
    const config = parsed.config;

    o.progress(`generating rules, routing and dashboards of ${files.config} into ${files.generated} (modelslo generate)`);
    const artifacts = generateArtifacts(config);
    const rendered = renderArtifacts(artifacts);
    for (const f of rendered) await write(join(files.generated, f.path), f.content);
    files.generatedCount = rendered.length;
    const fast = burnAlertsWithFor(artifacts, ACCELERATION.burnFor);
    const ruleFiles: string[] = [];
    for (const f of fast.files) {
      const file = join(out, 'prometheus', f.path);
      await write(file, renderYaml(f.content, `the generated ${f.path} with every burn alert's for: set to ${ACCELERATION.burnFor} (modelslo demo only)`));
      ruleFiles.push(file);
    }
    await write(files.loadedRouting, renderYaml(routingWithTimers(artifacts, ACCELERATION.alertmanagerTimers), `the generated routing with group_wait, group_interval and repeat_interval set to ${ACCELERATION.alertmanagerTimers} (modelslo demo only)`));

    o.progress('starting the Kubernetes stand-in (not a real API server) holding the InferenceService');
    const tls = await selfSignedCert();
    const saToken = randomBytes(16).toString('hex');
    const standin = await KubeStandin.start({ tls, users: [{ token: saToken, user: SA, verbs: { inferenceservices: ['get', 'list', 'watch', 'patch'], events: ['create'] } }], isvcs: [{ namespace: DEMO_NS, name: DEMO_MODEL }] });
    stops.push(() => standin.stop());
    await write(join(out, 'standin-ca.pem'), tls.cert);
    await write(files.kubeconfig, kubeconfigText(standin.url, join(out, 'standin-ca.pem'), saToken), 0o600);

    o.progress('starting the toy predictor in two revisions, the daemon and a sidecar per revision');
    const primary = await startModelServer({ record: false });
    stops.push(() => primary.stop());
    const canary = await startModelServer({ record: false });
    stops.push(() => canary.stop());
    primary.knobs.delayMs = 10;
    // The bad revision: every 8th inference answers 500, and it is 4× slower.
    Object.assign(canary.knobs, { delayMs: 40, failEvery: 8 });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(files.kubeconfig);
    const daemon = await startDaemon({ config, token, db: files.db, log: o.log, rollout: new KubeRollout({ kubeConfig }) });
    stops.push(() => daemon.close());
    const sidecars = new Map<string, Sidecar>();
    for (const [n, server, endpoint] of [[1, primary, 'default'], [2, canary, 'canary']] as const) {
      const opts = resolveOptions({ upstream: server.url, daemon: daemon.url, listen: { host: '127.0.0.1', port: 0 }, model: DEMO_MODEL, namespace: DEMO_NS, revision: revision(n), endpoint, token, traceSampleRatio: 0 }, config, {});
      opts.capture.spoolDir = join(out, 'spool', revision(n));
      const s = await startSidecar(opts, { log: o.log });
      stops.push(() => s.close(2_000));
      sidecars.set(revision(n), s);
    }

    const pids: number[] = [];
    let prometheus: ChildServer | undefined;
    let alertmanager: ChildServer | undefined;
    if (withPrometheus && o.prometheusBin !== undefined && o.alertmanagerBin !== undefined) {
      o.progress(`starting a real Alertmanager (${o.alertmanagerBin}) and a real Prometheus (${o.prometheusBin})`);
      const amDir = join(out, 'alertmanager');
      alertmanager = await startChildServer('alertmanager', o.alertmanagerBin, [`--config.file=${files.loadedRouting}`, `--storage.path=${join(amDir, 'data')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address='], `http://127.0.0.1:${amPort}`, amDir);
      pids.push(alertmanager.pid);
      stops.push(() => alertmanager?.stop() ?? Promise.resolve());
      const promDir = join(out, 'prometheus');
      const hostPort = (u: string): string => new URL(u).host;
      await write(join(promDir, 'prometheus.yml'), prometheusConfig([...sidecars.values()].map((s) => hostPort(s.url)), hostPort(daemon.url), `127.0.0.1:${amPort}`, tokenFile, ruleFiles));
      prometheus = await startChildServer('prometheus', o.prometheusBin, [`--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], `http://127.0.0.1:${promPort}`, promDir);
      pids.push(prometheus.pid);
      stops.push(() => prometheus?.stop() ?? Promise.resolve());
    }
    return { config, token, files, replacedFor: fast.replaced, inbox, standin, predictors: { primary, canary }, daemon, sidecars, ...(prometheus ? { prometheus } : {}), ...(alertmanager ? { alertmanager } : {}), pids, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
