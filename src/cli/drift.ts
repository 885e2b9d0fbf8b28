/**
 * `modelslo drift --reference FILE --current FILE`: offline drift check for CI pipelines.
 * Exit codes: 0 no drift (ok or warn), 1 drift, 2 bad input (unreadable file, bad line, unknown
 * feature or model). Progress on stderr every 100k rows read.
 */
import type { Command } from 'commander';
import { driftReport, type ReportOptions } from '../drift/report.js';
import type { FeatureInput } from '../drift/feature.js';
import type { Correction, DriftReport, DriftTest, FeatureKind } from '../drift/types.js';
import { column, featureNames, inferKind, InputError, readRows, type Rows } from '../datasets/row-files.js';
import { UsageError } from './errors.js';
import { ExitError } from './errors.js';
import { loadConfig } from './load-config.js';

interface DriftOptions {
  reference: string;
  current: string;
  features?: string;
  predictionPath?: string;
  json?: boolean;
  config?: string;
  model?: string;
  correction: string;
  driftShare: string;
}

interface FeatureSpec {
  name: string;
  path: string;
  kind?: FeatureKind;
  test?: DriftTest;
}

const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2));

/** The report as a text table. */
export function driftTable(report: DriftReport): string {
  const head = ['feature', 'kind', 'test', 'score', 'p-value', 'adj. p', 'threshold', 'n ref', 'n cur', 'level'];
  const rows = report.features.map((f) => [f.feature, f.kind, f.test, fmt(f.score), fmt(f.pValue), fmt(f.adjustedPValue), String(f.thresholds.drift), String(f.referenceSize), String(f.currentSize), f.level]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const drifted = report.features.filter((f) => f.level === 'drift').length;
  const evaluated = report.features.filter((f) => f.level !== 'insufficient').length;
  return [line(head), ...rows.map(line), '', `dataset: ${report.level} (${drifted}/${evaluated} features drift; drift when the share > ${report.driftShareThreshold}; ${report.correction} correction)`].join('\n');
}

async function featuresFromConfig(file: string, model: string): Promise<FeatureSpec[]> {
  const config = await loadConfig(file);
  const [ns, name] = model.split('/');
  const m = config.models.find((x) => x.namespace === ns && x.name === name);
  if (m === undefined) throw new UsageError(`--model ${model}: no such model in ${file} (expected NAMESPACE/NAME)`);
  const drift = (m.drift ?? {}) as { features?: Array<{ name: string; kind?: FeatureKind; test?: DriftTest; path?: string }>; prediction?: { path: string; kind?: FeatureKind } };
  const specs: FeatureSpec[] = (drift.features ?? []).map((f) => ({ name: f.name, path: f.path ?? f.name, ...(f.kind ? { kind: f.kind } : {}), ...(f.test ? { test: f.test } : {}) }));
  if (drift.prediction) specs.push({ name: 'prediction', path: drift.prediction.path, ...(drift.prediction.kind ? { kind: drift.prediction.kind } : {}) });
  if (specs.length === 0) throw new UsageError(`--model ${model}: the model has no drift.features in ${file}`);
  return specs;
}

async function run(opts: DriftOptions): Promise<void> {
  const progress = (file: string) => (n: number) => process.stderr.write(`${file}: ${n} rows read\n`);
  let ref: Rows;
  let cur: Rows;
  try {
    ref = await readRows(opts.reference, progress(opts.reference));
    cur = await readRows(opts.current, progress(opts.current));
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  }
  let specs: FeatureSpec[];
  if (opts.config !== undefined && opts.model !== undefined) specs = await featuresFromConfig(opts.config, opts.model);
  else if (opts.features !== undefined) specs = opts.features.split(',').map((f) => f.trim()).filter((f) => f !== '').map((f) => ({ name: f, path: f }));
  else specs = featureNames(ref).map((f) => ({ name: f, path: f }));
  if (opts.predictionPath !== undefined) specs.push({ name: 'prediction', path: opts.predictionPath });
  if (specs.length === 0) throw new UsageError(`${opts.reference}: no features found (pass --features)`);
  const inputs: FeatureInput[] = specs.map((s) => {
    const kind = s.kind ?? inferKind(ref, s.path);
    const reference = column(ref, s.path, kind);
    if (reference.length === 0 && !ref.rows.some((r) => s.path.split(/[.[]/)[0]! in r)) throw new UsageError(`${opts.reference}: no feature "${s.name}" (path ${s.path})`);
    return { name: s.name, kind, reference, current: column(cur, s.path, kind), ...(s.test ? { test: s.test } : {}) };
  });
  const correction = opts.correction as Correction;
  if (!['benjamini-hochberg', 'bonferroni', 'none'].includes(correction)) throw new UsageError(`--correction: one of benjamini-hochberg, bonferroni, none; got ${opts.correction}`);
  const driftShare = Number(opts.driftShare);
  if (!(driftShare >= 0 && driftShare < 1)) throw new UsageError(`--drift-share: a number in [0, 1), got ${opts.driftShare}`);
  const options: ReportOptions = { correction, driftShare };
  const report = driftReport(inputs, options);
  process.stdout.write(opts.json === true ? `${JSON.stringify(report, null, 2)}\n` : `${driftTable(report)}\n`);
  if (report.level === 'drift') throw new ExitError(`drift: ${report.features.filter((f) => f.level === 'drift').map((f) => f.feature).join(', ')}`, 1);
}

/** Registers the command. */
export function registerDrift(program: Command): void {
  program
    .command('drift')
    .description('compare current feature rows with a reference (JSONL or CSV); exits 1 on drift, for CI')
    .requiredOption('--reference <file>', 'reference rows (.jsonl, or .csv with a header)')
    .requiredOption('--current <file>', 'current rows (.jsonl or .csv)')
    .option('--features <list>', 'comma-separated feature names or paths (default: every scalar field of the reference)')
    .option('--prediction-path <path>', 'also compare the prediction at this path (e.g. outputs[0].data[0])')
    .option('--json', 'print the report as JSON')
    .option('-c, --config <file>', 'take the features of --model from this config')
    .option('--model <ns/name>', 'the model whose drift.features to use (with -c)')
    .option('--correction <method>', 'p-value correction: benjamini-hochberg | bonferroni | none', 'benjamini-hochberg')
    .option('--drift-share <share>', 'the dataset drifts when more than this share of features drift', '0.5')
    .addHelpText('after', '\nExit codes: 0 no drift (ok or warn), 1 drift, 2 bad input (errors name file:line).')
    .action(async (opts: DriftOptions) => run(opts));
}
