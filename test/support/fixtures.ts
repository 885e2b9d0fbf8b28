/** Fixture factories: fresh config objects and texts for tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/model/types.js';
import { parseConfig } from '../../src/spec/parse.js';

/** Absolute path of a file in the repository. */
export function repoPath(rel: string): string {
  return fileURLToPath(new URL(`../../${rel}`, import.meta.url));
}

/** The example config's text. */
export function exampleText(): string {
  return readFileSync(repoPath('examples/modelslo.yaml'), 'utf8');
}

/** Parses config text that must be valid. */
export function mustParse(text: string, file = 'test.yaml'): Config {
  const r = parseConfig(text, file);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.path}: ${i.message}`).join('\n'));
  return r.config;
}

/** The example config, parsed. */
export function exampleConfig(): Config {
  return mustParse(exampleText(), 'examples/modelslo.yaml');
}

/** A one-model config text; `slos` is the YAML list of SLOs indented for the model. */
export function oneModelText(opts: { source?: string; slos: string; extra?: string } = { slos: '' }): string {
  return [
    'alerting:',
    '  oncall_receiver: oncall',
    '  receivers: [{ name: oncall }, { name: fraud-ml }]',
    'models:',
    '  - name: fraud-detector',
    '    namespace: payments',
    '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
    `    sli_source: ${opts.source ?? 'sidecar'}`,
    ...(opts.extra ? [opts.extra] : []),
    '    slos:',
    opts.slos,
  ].join('\n');
}

/** Line (1-based) of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n');
  for (let i = from; i < lines.length; i++) if (lines[i]?.includes(needle)) return i + 1;
  throw new Error(`"${needle}" not in text`);
}
