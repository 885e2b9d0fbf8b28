/** Reads a config (modelslo's own, or a Sloth/OpenSLO spec) and prints every issue on failure. */
import { readFile } from 'node:fs/promises';
import type { Config } from '../model/types.js';
import { ExitError } from './errors.js';
import { importOpenSlo } from '../spec/import-openslo.js';
import { importSloth } from '../spec/import-sloth.js';
import { parseConfig, type ParseResult } from '../spec/parse.js';
import { formatIssue } from '../spec/positions.js';

/** Formats modelslo reads a config from. */
export type SourceFormat = 'modelslo' | 'sloth' | 'openslo';

/** Thrown when a config cannot be read (exit 2) or is invalid (exit 1); the message lists every issue. */
export class ConfigError extends ExitError {}

/** Loads and validates a config file. Exit code 1 when invalid, 2 when unreadable. */
export async function loadConfig(file: string, format: SourceFormat = 'modelslo'): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read config file${code === 'ENOENT' ? ' (no such file; pass -c FILE)' : ` (${String(code)})`}`, 2);
  }
  const parsers: Record<SourceFormat, (t: string, f: string) => ParseResult> = {
    modelslo: parseConfig,
    sloth: importSloth,
    openslo: importOpenSlo,
  };
  const result = parsers[format](text, file);
  if (!result.ok) {
    const n = result.issues.length;
    throw new ConfigError(`${result.issues.map(formatIssue).join('\n')}\n${file}: ${n} problem${n === 1 ? '' : 's'}; nothing was generated or started`, 1);
  }
  return result.config;
}
