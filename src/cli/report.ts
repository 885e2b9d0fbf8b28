/**
 * `modelslo report --model NS/NAME [--from T --to T] [--out DIR] [--format md,html,json,pdf]`:
 * drafts a blameless postmortem from a store file (--db) or a running daemon (--daemon).
 * Exit codes: 0 written, 2 bad input (unknown model, empty or retained-out range, no requests,
 * no Chromium for pdf, unreadable store); nothing is written on an error. Progress on stderr.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { prometheusAlertHistory } from '../alerting/prometheus-alerts.js';
import { readSecret } from '../ops/secrets.js';
import { draftReport } from '../report/draft.js';
import { reportFiles, type ReportFormat, REPORT_FORMATS } from '../report/files.js';
import { renderReport } from '../report/render.js';
import { openSqliteStore } from '../store/sqlite.js';
import { ExitError, UsageError } from './errors.js';
import { loadConfig } from './load-config.js';
import { findChromium, printPdf } from './pdf.js';

interface ReportOptions {
  config: string;
  model: string;
  from?: string;
  to?: string;
  out?: string;
  format: string;
  db?: string;
  daemon?: string;
  tokenFile?: string;
}

/** An RFC 3339 time or epoch milliseconds. */
function parseTime(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^[0-9]{1,15}$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} ${v}: not an RFC 3339 time (2026-12-01T10:00:00Z) or epoch milliseconds`);
  return n;
}

function parseFormats(text: string): ReportFormat[] {
  const list = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const f of list) if (!(REPORT_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format ${text}: unknown format "${f}" (choose from ${REPORT_FORMATS.join(', ')})`);
  if (list.length === 0) throw new UsageError('--format: give at least one of md, html, json, pdf');
  return list as ReportFormat[];
}

/** Files of the report, from the store file. */
async function fromStore(opts: ReportOptions, formats: ReportFormat[]): Promise<{ files: Map<string, string>; name: string }> {
  const config = await loadConfig(opts.config);
  const [ns, name] = opts.model.split('/');
  const model = config.models.find((m) => m.namespace === ns && m.name === name);
  if (model === undefined) throw new UsageError(`--model ${opts.model}: no such model in ${opts.config} (expected NAMESPACE/NAME; have ${config.models.map((m) => `${m.namespace}/${m.name}`).join(', ')})`);
  const db = opts.db ?? config.daemon.db;
  if (!existsSync(db)) throw new UsageError(`--db ${db}: no such store file`);
  const store = await openSqliteStore(db);
  try {
    const drafted = await draftReport(store, {
      config,
      model,
      ...(opts.from !== undefined ? { fromMs: parseTime('--from', opts.from) } : {}),
      ...(opts.to !== undefined ? { toMs: parseTime('--to', opts.to) } : {}),
      nowMs: Date.now(),
      ...(config.daemon.prometheusUrl !== undefined ? { history: prometheusAlertHistory(config.daemon.prometheusUrl) } : {}),
      progress: (line) => process.stderr.write(`report: ${line}\n`),
    });
    if (!drafted.ok) throw new ExitError(`error: ${drafted.error}; nothing written`, 2);
    process.stderr.write('report: rendering charts\n');
    return { files: reportFiles(await renderReport(drafted.built), formats), name: `${model.namespace}-${model.name}` };
  } finally {
    await store.close();
  }
}

/** Files of the report, from a running daemon (GET …/report?format=files). */
async function fromDaemon(opts: ReportOptions, formats: ReportFormat[]): Promise<{ files: Map<string, string>; name: string }> {
  const token = readSecret(opts.tokenFile, 'MODELSLO_TOKEN');
  if (token === undefined) throw new UsageError('--daemon needs a token: pass --token-file FILE or set MODELSLO_TOKEN');
  const [ns, name] = opts.model.split('/');
  if (ns === undefined || name === undefined || name === '') throw new UsageError(`--model ${opts.model}: expected NAMESPACE/NAME`);
  const q = new URLSearchParams({ format: 'files' });
  if (opts.from !== undefined) q.set('from', String(parseTime('--from', opts.from)));
  if (opts.to !== undefined) q.set('to', String(parseTime('--to', opts.to)));
  process.stderr.write(`report: asking ${opts.daemon ?? ''} to draft the report\n`);
  const res = await fetch(`${(opts.daemon ?? '').replace(/\/$/, '')}/api/v1/models/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/report?${q.toString()}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json().catch(() => ({}))) as { error?: string; files?: Record<string, string> };
  if (!res.ok || body.files === undefined) throw new ExitError(`error: the daemon answered ${res.status}: ${body.error ?? 'no report'}; nothing written`, 2);
  const all = new Map(Object.entries(body.files));
  const wanted = (path: string, f: ReportFormat): boolean => (f === 'md' ? path.endsWith('.md') || path.startsWith('charts/') : path.endsWith(f === 'pdf' ? '.html' : `.${f}`));
  const files = new Map([...all].filter(([path]) => formats.some((f) => wanted(path, f))));
  return { files, name: `${ns}-${name}` };
}

/** Registers `modelslo report`. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('draft a blameless postmortem of a model\'s incident (Markdown with SVG charts, self-contained HTML, JSON, PDF)')
    .requiredOption('--model <ns/name>', 'the model, NAMESPACE/NAME')
    .option('--from <time>', 'start of the range (RFC 3339 or epoch ms); without --from/--to the latest incident is found')
    .option('--to <time>', 'end of the range')
    .option('--out <dir>', 'output directory (default postmortem-<ns>-<model>)')
    .option('--format <list>', 'comma-separated: md, html, json, pdf', 'md,html,json')
    .option('-c, --config <file>', 'config file', 'modelslo.yaml')
    .option('--db <file>', 'read this store file (default: the config\'s daemon.db)')
    .option('--daemon <url>', 'ask a running daemon instead of reading a store file')
    .option('--token-file <file>', 'bearer token of the daemon (else env MODELSLO_TOKEN)')
    .addHelpText('after', '\nExit codes: 0 report written, 1 invalid config, 2 bad input (unknown model, empty range, no requests in it, range older than retention, no Chromium for pdf, unreadable store); nothing is written on an error.')
    .action(async (opts: ReportOptions) => {
      const formats = parseFormats(opts.format);
      const chromium = formats.includes('pdf') ? findChromium() : null;
      if (formats.includes('pdf') && chromium === null) throw new UsageError('--format pdf needs headless Chromium (set MODELSLO_CHROMIUM, or install chromium); nothing written');
      const { files, name } = opts.daemon !== undefined ? await fromDaemon(opts, formats) : await fromStore(opts, formats);
      const out = resolve(opts.out ?? `postmortem-${name}`);
      await mkdir(join(out, 'charts'), { recursive: true });
      for (const [path, text] of files) await writeFile(join(out, path), text);
      if (chromium !== null) {
        process.stderr.write('report: printing the PDF with headless Chromium\n');
        await printPdf(chromium, join(out, 'report.html'), join(out, 'report.pdf'));
        if (!formats.includes('html')) files.delete('report.html');
      }
      process.stderr.write(`report: wrote ${[...files.keys(), ...(chromium !== null ? ['report.pdf'] : [])].map((p) => join(out, p)).join(', ')}\n`);
    });
}
