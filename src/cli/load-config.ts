/** Reads a config (modelslo's own, or a Sloth/OpenSLO spec) and prints every issue on failure. */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../model/types.js';
import { ExitError, UsageError } from './errors.js';
import { importOpenSloFiles } from '../spec/import-openslo.js';
import { importSloth } from '../spec/import-sloth.js';
import { parseConfig, type ParseResult } from '../spec/parse.js';
import { formatIssue, type SpecIssue } from '../spec/positions.js';

/** Formats modelslo reads a config from. */
export type SourceFormat = 'modelslo' | 'sloth' | 'openslo';

/** Thrown when a config cannot be read (exit 2) or is invalid (exit 1); the message lists every issue. */
export class ConfigError extends ExitError {}

/** The largest config file read (1 MiB): a real one is a few KiB; parsing a huge one would take minutes and gigabytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The file's text, refused at once when over MAX_CONFIG_BYTES (exit 1), or unreadable (exit 2). */
async function readConfigText(file: string): Promise<string> {
  let text: string;
  try {
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size > MAX_CONFIG_BYTES) throw new ConfigError(`${file}: ${size} bytes, over the config file limit of ${MAX_CONFIG_BYTES} bytes (1 MiB); nothing was generated or started`, 1);
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read config file${code === 'ENOENT' ? ' (no such file; pass -c FILE)' : ` (${String(code)})`}`, 2);
  }
  // A file that grew while read (or a pipe, which has no size).
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) throw new ConfigError(`${file}: over the config file limit of ${MAX_CONFIG_BYTES} bytes (1 MiB); nothing was generated or started`, 1);
  return text;
}

/** The files of an OpenSLO import: the file itself, or the *.yaml and *.yml files of a directory, sorted. */
async function openSloFiles(path: string): Promise<string[]> {
  const isDir = await stat(path).then((st) => st.isDirectory(), () => false);
  if (!isDir) return [path];
  const names = (await readdir(path)).filter((n) => /\.ya?ml$/.test(n)).sort();
  if (names.length === 0) throw new ConfigError(`${path}: directory has no *.yaml or *.yml files`, 2);
  return names.map((n) => join(path, n));
}

/** Loads and validates a config file. Exit code 1 when invalid (or over the size limit), 2 when unreadable. */
export async function loadConfig(file: string, format: SourceFormat = 'modelslo', options: ImportOptions = {}): Promise<Config> {
  return (await loadConfigWithNotes(file, format, options)).config;
}

/** Options of an import from Sloth or OpenSLO (the CLI's --slo-period and --alert-for). */
export interface ImportOptions {
  period?: '28d' | '30d';
  alertFor?: string;
}

/** The import flags of `generate` and `validate`, checked (usage error, exit 2, when wrong). */
export function importOptions(opts: { sloPeriod?: string; alertFor?: string }): ImportOptions {
  const out: ImportOptions = {};
  if (opts.sloPeriod !== undefined) {
    if (opts.sloPeriod !== '28d' && opts.sloPeriod !== '30d') throw new UsageError(`--slo-period must be 28d or 30d, got "${opts.sloPeriod}"`);
    out.period = opts.sloPeriod;
  }
  if (opts.alertFor !== undefined) {
    if (!/^[0-9]+(ms|s|m|h|d)$/.test(opts.alertFor)) throw new UsageError(`--alert-for must be a Prometheus duration such as 0s or 2m, got "${opts.alertFor}"`);
    out.alertFor = opts.alertFor;
  }
  return out;
}

/** Loads a config and the importer's notes (what it changed or could not keep of a Sloth/OpenSLO spec). */
export async function loadConfigWithNotes(file: string, format: SourceFormat = 'modelslo', options: ImportOptions = {}): Promise<{ config: Config; notes: SpecIssue[] }> {
  let result: ParseResult;
  if (format === 'openslo') {
    const files = await openSloFiles(file);
    result = importOpenSloFiles(await Promise.all(files.map(async (f) => ({ file: f, text: await readConfigText(f) }))), options);
  } else {
    const text = await readConfigText(file);
    result = format === 'sloth' ? importSloth(text, file, options) : parseConfig(text, file);
  }
  if (!result.ok) {
    const n = result.issues.length;
    throw new ConfigError(`${result.issues.map(formatIssue).join('\n')}\n${file}: ${n} problem${n === 1 ? '' : 's'}; nothing was generated or started`, 1);
  }
  return { config: result.config, notes: result.notes ?? [] };
}
