/**
 * `modelslo canary judge --primary FILE --canary FILE`: the canary judge offline, for CI pipelines.
 * Each file holds one JSON object per line: `{"status":200,"latency_ms":12.5,"prediction":0.93}`
 * (`prediction` optional; a number or a label). The analysis and verdict are canary/decide.ts's.
 * Exit codes: 0 promote, 1 rollback, 3 hold (inconclusive), 2 bad input (file and line named).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { analyse, judgeOnce, type Analysis, type CanarySide } from '../canary/decide.js';
import type { CanarySettings, Model } from '../model/types.js';
import { canarySchema, canarySettings } from '../spec/canary-schema.js';
import { ExitError, UsageError } from './errors.js';
import { loadConfig } from './load-config.js';

interface JudgeOptions {
  primary: string;
  canary: string;
  config?: string;
  model?: string;
  json?: boolean;
}

/** Exit code of each verdict. */
export const JUDGE_EXIT = { promote: 0, rollback: 1, hold: 3 } as const;

const PROGRESS_EVERY = 100_000;

/** Reads a JSONL file of request records into an analysis side; throws UsageError naming file:line:field. */
export async function readSide(file: string, progress: (lines: number) => void = () => undefined): Promise<CanarySide> {
  const statuses: number[] = [];
  const latencies: number[] = [];
  const predictions: Array<number | string> = [];
  let line = 0;
  const input = createReadStream(file, 'utf8');
  const failure = new Promise<never>((_, reject) => input.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`${file}: cannot read (${err.code ?? err.message})`))));
  const lines = createInterface({ input, crlfDelay: Infinity });
  const read = (async () => {
    for await (const text of lines) {
      line++;
      if (line % PROGRESS_EVERY === 0) progress(line);
      if (text.trim() === '') continue;
      let rec: unknown;
      try {
        rec = JSON.parse(text);
      } catch (err) {
        throw new UsageError(`${file}:${line}: not JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new UsageError(`${file}:${line}: must be a JSON object such as {"status":200,"latency_ms":12.5,"prediction":0.93}`);
      const r = rec as Record<string, unknown>;
      if (typeof r.status !== 'number' || !Number.isInteger(r.status) || r.status < 100 || r.status > 599) throw new UsageError(`${file}:${line}: status: must be an HTTP status code (100-599), got ${JSON.stringify(r.status)}`);
      if (typeof r.latency_ms !== 'number' || !Number.isFinite(r.latency_ms) || r.latency_ms < 0) throw new UsageError(`${file}:${line}: latency_ms: must be a number of milliseconds (0 or more), got ${JSON.stringify(r.latency_ms)}`);
      statuses.push(r.status);
      latencies.push(r.latency_ms);
      const p = r.prediction;
      if (p === undefined || p === null) continue;
      if ((typeof p === 'number' && Number.isFinite(p)) || typeof p === 'string') predictions.push(p);
      else throw new UsageError(`${file}:${line}: prediction: must be a number or a string, got ${JSON.stringify(p)}`);
    }
  })();
  await Promise.race([read, failure]);
  return { statuses, latenciesMs: latencies, predictions };
}

async function settingsOf(opts: JudgeOptions): Promise<{ settings: CanarySettings; slos: Model['slos']; source: string }> {
  if (opts.config === undefined) {
    if (opts.model !== undefined) throw new UsageError('--model needs -c FILE (the config it is in)');
    return { settings: canarySettings(canarySchema.parse({}), undefined), slos: [], source: 'defaults (no -c given: no error-budget checks)' };
  }
  if (opts.model === undefined) throw new UsageError('-c needs --model NAMESPACE/NAME (whose canary settings to use)');
  const config = await loadConfig(opts.config);
  const [ns, name] = opts.model.split('/');
  const m = config.models.find((x) => x.namespace === ns && x.name === name);
  if (m === undefined) throw new UsageError(`--model ${opts.model}: no such model in ${opts.config} (expected NAMESPACE/NAME; have ${config.models.map((x) => `${x.namespace}/${x.name}`).join(', ')})`);
  const settings = m.canary ?? canarySettings(canarySchema.parse({}), m.drift?.prediction);
  if (settings.custom.length > 0) process.stderr.write(`note: the ${settings.custom.length} custom PromQL checks of ${opts.model} need Prometheus and are not run offline\n`);
  return { settings: { ...settings, custom: [] }, slos: m.slos, source: `${opts.config} ${opts.model}${m.canary === undefined ? ' (no canary section: defaults)' : ''}` };
}

const num = (x: number | null): string => (x === null ? '-' : Math.abs(x) >= 1e-3 || x === 0 ? Number(x.toPrecision(4)).toString() : x.toExponential(2));

/** The analysis as a text table. */
export function judgeTable(a: Analysis, verdict: string): string {
  const head = ['check', 'value', 'threshold', 'p-value', 'result', 'detail'];
  const rows = a.checks.map((c) => [c.name, num(c.value), num(c.threshold), num(c.pValue), c.pass ? 'pass' : c.inconclusive === true ? 'no data' : 'FAIL', c.detail]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), ...rows.map(line), '', `verdict: ${verdict} (${a.reason}; canary ${a.requests.canary} requests, primary ${a.requests.primary})`].join('\n');
}

async function judge(opts: JudgeOptions): Promise<void> {
  const { settings, slos, source } = await settingsOf(opts);
  const progress = (file: string) => (n: number) => process.stderr.write(`${file}: ${n} records read\n`);
  const primary = await readSide(opts.primary, progress(opts.primary));
  const canary = await readSide(opts.canary, progress(opts.canary));
  const analysis = analyse({ settings, slos, canary, primary });
  const verdict = judgeOnce(analysis);
  if (opts.json === true) {
    const checks = analysis.checks.map((c) => ({ name: c.name, value: c.value, threshold: c.threshold, pValue: c.pValue, pass: c.pass, detail: c.detail }));
    process.stdout.write(`${JSON.stringify({ verdict, reason: analysis.reason, requests: analysis.requests, settings: source, checks }, null, 2)}\n`);
  } else {
    process.stdout.write(`settings: ${source}\n${judgeTable(analysis, verdict)}\n`);
  }
  if (verdict !== 'promote') throw new ExitError(`canary: ${verdict}`, JUDGE_EXIT[verdict]);
}

/** Registers `canary judge`. */
export function registerCanary(program: Command): void {
  const canary = program.command('canary').description('canary analysis: judge a canary revision against the primary');
  canary
    .command('judge')
    .description('judge canary request records against the primary\'s (JSONL: {"status","latency_ms","prediction"}), for CI pipelines')
    .requiredOption('--primary <file>', 'request records of the primary revision (JSONL)')
    .requiredOption('--canary <file>', 'request records of the canary revision (JSONL)')
    .option('-c, --config <file>', 'take the canary settings and SLOs of --model from this config (default: the documented defaults)')
    .option('--model <ns/name>', 'the model whose canary settings to use (with -c)')
    .option('--json', 'print {"verdict", "checks": [{"name","value","threshold","pValue","pass"}]} as JSON')
    .addHelpText('after', '\nExit codes: 0 promote, 1 rollback, 3 hold (inconclusive: too few requests), 2 bad input (file and line named).')
    .action(async (opts: JudgeOptions) => judge(opts));
}
