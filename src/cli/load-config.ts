/** Reads a config (modelslo's own, or a Sloth/OpenSLO spec) and prints every issue on failure. */
import { open } from 'node:fs/promises';
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

/** Loads and validates a config file. Exit code 1 when invalid (or over the size limit), 2 when unreadable. */
export async function loadConfig(file: string, format: SourceFormat = 'modelslo'): Promise<Config> {
  const text = await readConfigText(file);
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
