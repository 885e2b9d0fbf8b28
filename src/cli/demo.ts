/**
 * `modelslo demo`: the main job on embedded defaults, end to end on this machine. It generates the
 * rules, routing and dashboards of the example config, starts a toy KServe V2 predictor, the daemon
 * and the sidecar in front of the predictor, sends healthy traffic and then an incident (server
 * errors, slow answers, shifted inputs), and prints what modelslo concludes: SLO budget and burn
 * alerts (paging), drift per feature (the owners' ticket) and where the generated files are.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { startDaemon, type RunningDaemon } from '../daemon/daemon.js';
import { startModelServer } from '../demo/model-server.js';
import { mulberry32 } from '../demo/prng.js';
import { createLogger } from '../ops/logger.js';
import { renderArtifacts } from '../render/files.js';
import { generateArtifacts } from '../rules/generate.js';
import { resolveOptions } from '../sidecar/options.js';
import { startSidecar } from '../sidecar/sidecar.js';
import { UsageError } from './errors.js';
import { loadConfig } from './load-config.js';

/** The example config shipped with the package (examples/ sits two levels above src/cli and dist/cli). */
export const EXAMPLE_CONFIG = fileURLToPath(new URL('../../examples/modelslo.yaml', import.meta.url));

const NS = 'payments';
const MODEL = 'fraud-detector';
const COUNTRIES: Array<[string, number]> = [['NL', 0.4], ['DE', 0.3], ['FR', 0.2], ['US', 0.1]];


interface Phase {
  name: string;
  requests: number;
  amountScale: number;
  countries: Array<[string, number]>;
  errorShare: number;
  slowShare: number;
}

const PHASES: Phase[] = [
  { name: 'healthy traffic', requests: 600, amountScale: 1, countries: COUNTRIES, errorShare: 0, slowShare: 0 },
  { name: 'incident: 5xx, slow answers and shifted inputs', requests: 400, amountScale: 3, countries: [['US', 0.7], ['NL', 0.3]], errorShare: 0.08, slowShare: 0.05 },
];

async function sendPhase(url: string, phase: Phase, rnd: () => number, progress: (s: string) => void): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < phase.requests; i = next++) {
      const normal = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      const amount = Math.round(Math.exp(3.6 + 0.6 * normal) * phase.amountScale * 100) / 100;
      let u = rnd();
      const country = phase.countries.find(([, w]) => (u -= w) < 0)?.[0] ?? 'NL';
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const roll = rnd();
      if (roll < phase.errorShare) headers['x-test-status'] = '500';
      else if (roll < phase.errorShare + phase.slowShare) headers['x-test-delay-ms'] = '300';
      const body = JSON.stringify({ inputs: [{ name: 'amount', datatype: 'FP32', shape: [1], data: [amount] }, { name: 'country', datatype: 'BYTES', shape: [1], data: [country] }] });
      const res = await fetch(`${url}/v2/models/${MODEL}/infer`, { method: 'POST', headers, body });
      await res.arrayBuffer();
      statuses.push(res.status);
      if (statuses.length % 200 === 0) progress(`  ${phase.name}: ${statuses.length}/${phase.requests} requests`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return statuses;
}

async function api(daemon: RunningDaemon, token: string, path: string, method = 'GET'): Promise<unknown> {
  const res = await fetch(`${daemon.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const pct = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`);

interface SloJson {
  slos: Array<{ slo: string; objective: number; budgetRemaining: number | null; errorRatios: Record<string, number | null>; burnRates: Array<{ severity: string; long: string; short: string; factor: number; longBurnRate: number | null; shortBurnRate: number | null; firing: boolean }> }>;
}
interface DriftJson {
  runs: Array<{
    endpoint: string;
    level: string;
    features: Array<{ feature: string; test: string; score: number | null; threshold: number | null; pValue: number | null; level: string; referenceSize: number; currentSize: number }>;
  }>;
}

/** Runs the demo; resolves when everything is stopped again. */
export async function runDemo(opts: { config: string; out: string }, progress: (s: string) => void, print: (s: string) => void): Promise<void> {
  const config = await loadConfig(opts.config);
  const out = resolve(opts.out);
  const generated = join(out, 'generated');
  progress(`[1/5] generating rules, routing and dashboards into ${generated}`);
  const files = renderArtifacts(generateArtifacts(config));
  for (const f of files) {
    await mkdir(dirname(join(generated, f.path)), { recursive: true });
    await writeFile(join(generated, f.path), f.content);
  }
  progress('[2/5] starting a toy KServe V2 predictor, the daemon and the sidecar on 127.0.0.1');
  const token = randomBytes(16).toString('hex');
  const startedMs = Date.now();
  const log = createLogger('demo', process.env.MODELSLO_LOG_LEVEL ?? 'error');
  const predictor = await startModelServer();
  const daemon = await startDaemon({ config, token, listen: '127.0.0.1:0', db: join(out, `demo-${Date.now()}.db`), log });
  const sidecar = await startSidecar(
    resolveOptions({ upstream: predictor.url, daemon: daemon.url, listen: { host: '127.0.0.1', port: 0 }, model: MODEL, namespace: NS, revision: `${MODEL}-predictor-00001`, token }, config, {}),
    { log },
  );
  try {
    const rnd = mulberry32(20261125); // the same traffic every run
    const sent: number[] = [];
    for (const [i, phase] of PHASES.entries()) {
      progress(`[3/5] phase ${i + 1}/${PHASES.length}: ${phase.name} (${phase.requests} requests through the sidecar)`);
      sent.push(...(await sendPhase(sidecar.url, phase, rnd, progress)));
    }
    progress('[4/5] waiting for the captures to reach the daemon');
    sidecar.flushQueue();
    for (let i = 0; ; i++) {
      const models = (await api(daemon, token, '/api/v1/models')) as { models: Array<{ model: string; predictions: { joined: number } }> };
      const joined = models.models.find((m) => m.model === MODEL)?.predictions.joined ?? 0;
      if (joined >= sent.length) break;
      if (i > 200) throw new Error(`only ${joined} of ${sent.length} predictions reached the daemon`);
      await new Promise((r) => setTimeout(r, 100));
    }
    progress('[5/5] asking the daemon for SLO status and a drift check');
    const slo = (await api(daemon, token, `/api/v1/models/${NS}/${MODEL}/slo`)) as SloJson;
    const drift = (await api(daemon, token, `/api/v1/models/${NS}/${MODEL}/drift/run`, 'POST')) as DriftJson;
    // The postmortem draft of what just happened, from the stored records (no alert reached a journal here).
    const report = (await api(daemon, token, `/api/v1/models/${NS}/${MODEL}/report?from=${startedMs - 60_000}&to=${Date.now() + 60_000}&format=files`)) as { files: Record<string, string> };
    const reportDir = join(out, 'report');
    await mkdir(join(reportDir, 'charts'), { recursive: true });
    for (const [path, text] of Object.entries(report.files)) await writeFile(join(reportDir, path), text);
    const summary = (JSON.parse(report.files['report.json'] ?? '{}') as { summary?: string }).summary ?? '';

    const failed = sent.filter((s) => s >= 500).length;
    print(`\nmodelslo demo — ${NS}/${MODEL}: ${sent.length} requests through the sidecar, ${failed} answered 5xx\n`);
    print('SLOs (from the daemon\'s stored request records; Prometheus computes the same from the generated rules):');
    for (const s of slo.slos) {
      const firing = s.burnRates.filter((b) => b.firing).map((b) => `${b.severity} ${b.long}/${b.short}`);
      print(`  ${s.slo.padEnd(13)} objective ${s.objective}%  error ratio 5m ${pct(s.errorRatios['5m'])}  budget remaining ${pct(s.budgetRemaining, 1)}  ` +
        (firing.length > 0 ? `→ would fire: ${firing.join(', ')}` : '→ no burn alert'));
    }
    for (const run of drift.runs) {
      print(`\nDrift of ${run.endpoint === 'all' ? 'all' : `the ${run.endpoint}`} traffic (reference examples/data/fraud-reference.jsonl vs the last hour): ${run.level.toUpperCase()}`);
      for (const f of run.features) {
        const p = f.pValue === null ? '' : `  p ${f.pValue.toExponential(2)}`;
        print(`  ${f.feature.padEnd(11)} ${f.test.padEnd(15)} score ${f.score === null ? '—' : f.score.toFixed(4)} (threshold ${f.threshold ?? '—'})${p}  n ${f.referenceSize}/${f.currentSize}  ${f.level}${f.level === 'drift' ? '  → ModelDrift ticket to fraud-ml' : ''}`);
      }
    }
    print(`\nDrift alerts go to Alertmanager at ${config.alerting.alertmanagerUrl} (routed to the owners by the generated config; retried while it is unreachable).`);
    print(`\nPostmortem draft (modelslo report): ${join(reportDir, 'report.md')} and report.html\n  ${summary}`);
    print(`\nGenerated for the example config (${files.length} files) in ${generated}:`);
    print(`  promtool test rules ${join(generated, 'rules', 'payments-fraud-detector.rules.test.yaml')}`);
    print(`  amtool check-config ${join(generated, 'alertmanager', 'alertmanager.yaml')}`);
    print(`  Grafana: import ${join(generated, 'dashboards', 'modelslo-oncall.json')}`);
  } finally {
    await sidecar.close(2_000);
    await daemon.close();
    await predictor.stop();
  }
}

/** Registers the command. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the main job on embedded defaults: predictor, sidecar and daemon on 127.0.0.1, healthy traffic, an incident, then SLO burn and drift')
    .option('-c, --config <file>', 'config file', EXAMPLE_CONFIG)
    .option('-o, --out <dir>', 'where generated files and the demo database go', './.modelslo/demo')
    .addHelpText('after', '\nExit codes: 0 the demo ran, 1 invalid config, 2 usage error or a part failed to start.')
    .action(async (opts: { config: string; out: string }) => {
      try {
        await runDemo(opts, (s) => process.stderr.write(`${s}\n`), (s) => process.stdout.write(`${s}\n`));
      } catch (err) {
        if (err instanceof Error && 'exitCode' in err) throw err;
        throw new UsageError(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
}
