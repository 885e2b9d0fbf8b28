/** `modelslo generate`: config → rules/, alertmanager/ (and later dashboards/) under an output directory. */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { GENERATED_HEADER } from '../render/yaml.js';
import { renderArtifacts } from '../render/files.js';
import { GENERATED_NOTE } from '../rules/dashboards/common.js';
import { generateArtifacts, type Formats } from '../rules/generate.js';
import { UsageError } from './errors.js';
import { formatIssue } from '../spec/positions.js';
import { importOptions, loadConfigWithNotes, type SourceFormat } from './load-config.js';

/** Directories under the output that generate owns (stale generated files there are removed). */
const OWNED_DIRS = ['rules', 'alertmanager', 'dashboards', 'dashboards/provisioning'];

async function removeStale(outDir: string, keep: Set<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of OWNED_DIRS) {
    let names: string[];
    try {
      names = await readdir(join(outDir, dir));
    } catch {
      continue;
    }
    for (const name of names) {
      const rel = `${dir}/${name}`;
      if (keep.has(rel)) continue;
      const text = await readFile(join(outDir, rel), 'utf8').catch(() => '');
      if (text.startsWith(GENERATED_HEADER) || (name.endsWith('.json') && text.includes(GENERATED_NOTE))) {
        await rm(join(outDir, rel));
        removed.push(rel);
      }
    }
  }
  return removed;
}

/** Registers the command. */
export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate Prometheus rules (with promtool tests) and Alertmanager routing from a config')
    .argument('[file]', 'config file (overrides -c)')
    .option('-c, --config <file>', 'config file (with --from openslo also a directory: all its *.yaml and *.yml files, read as one set)', 'modelslo.yaml')
    .option('-o, --out <dir>', 'output directory', '.')
    .option('--format <formats>', 'comma-separated: prometheus | prometheus-operator (rules), grafana | grafana-operator (dashboards)', 'prometheus,grafana')
    .option('--from <format>', 'read the config as: modelslo | sloth | openslo', 'modelslo')
    .option('--slo-period <period>', 'SLO window of imported specs that name none (Sloth\'s --default-slo-period): 28d | 30d (Sloth default 30d, OpenSLO 28d)')
    .option('--alert-for <duration>', 'for: delay of all imported burn alerts (0s fires at once, as Sloth\'s do); default modelslo\'s 2m/15m/1h/3h')
    .addHelpText('after', '\nWrites <out>/rules/<namespace>-<model>.rules.yaml and .rules.test.yaml, <out>/alertmanager/alertmanager.yaml,\n<out>/dashboards/*.json and dashboards/provisioning/modelslo.yaml.\nExit codes: 0 written, 1 invalid config, 2 usage or I/O error.')
    .action(async (file: string | undefined, opts: { config: string; out: string; format: string; from: string; sloPeriod?: string; alertFor?: string }) => {
      const formats: Formats = { rules: 'prometheus', dashboards: 'grafana' };
      for (const f of opts.format.split(',').map((x) => x.trim())) {
        if (f === 'prometheus' || f === 'prometheus-operator') formats.rules = f;
        else if (f === 'grafana' || f === 'grafana-operator') formats.dashboards = f;
        else throw new UsageError(`--format takes prometheus, prometheus-operator, grafana or grafana-operator, got "${f}"`);
      }
      if (!['modelslo', 'sloth', 'openslo'].includes(opts.from)) {
        throw new UsageError(`--from must be modelslo, sloth or openslo, got "${opts.from}"`);
      }
      const configFile = file ?? opts.config;
      const { config, notes } = await loadConfigWithNotes(configFile, opts.from as SourceFormat, importOptions(opts));
      for (const n of notes) process.stderr.write(`note: ${formatIssue(n)}\n`);
      const started = Date.now();
      const artifacts = generateArtifacts(config, formats);
      for (const a of artifacts) if (a.kind === 'rules-test' && a.comment?.includes('No series could be synthesized') === true) process.stderr.write(`${a.path}: ${a.comment.split('\n')[1] ?? ''}\n`);
      const files = renderArtifacts(artifacts);
      for (const [i, f] of files.entries()) {
        const target = join(opts.out, f.path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, f.content);
        process.stderr.write(`[${i + 1}/${files.length}] wrote ${target}\n`);
      }
      const removed = await removeStale(opts.out, new Set(files.map((f) => f.path)));
      for (const r of removed) process.stderr.write(`removed stale ${join(opts.out, r)}\n`);
      const rules = config.models.reduce((n, m) => n + m.slos.length, 0);
      process.stderr.write(`generated ${files.length} files for ${config.models.length} models, ${rules} SLOs in ${Date.now() - started} ms\n`);
    });
}

export { UsageError } from './errors.js';
