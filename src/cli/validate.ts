/** `modelslo validate`: checks a config and lists every problem with file:line:col and field path. */
import type { Command } from 'commander';
import { formatIssue } from '../spec/positions.js';
import { importOptions, loadConfigWithNotes, type SourceFormat } from './load-config.js';

/** Registers the command. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate a config file; lists every problem as file:line:col: field: message')
    .argument('[file]', 'config file (overrides -c)')
    .option('-c, --config <file>', 'config file (with --from openslo also a directory: all its *.yaml and *.yml files, read as one set)', 'modelslo.yaml')
    .option('--from <format>', 'read the config as: modelslo | sloth | openslo', 'modelslo')
    .option('--slo-period <period>', 'SLO window of imported specs that name none (Sloth\'s --default-slo-period): 28d | 30d (Sloth default 30d, OpenSLO 28d)')
    .option('--alert-for <duration>', 'for: delay of all imported burn alerts (0s fires at once, as Sloth\'s do); default modelslo\'s 2m/15m/1h/3h')
    .addHelpText('after', '\nWith --from sloth or openslo, lists per spec what the import had to change or could not keep (file:line:col: field: note).\nExit codes: 0 valid, 1 invalid, 2 unreadable file or usage error.')
    .action(async (file: string | undefined, opts: { config: string; from: string; sloPeriod?: string; alertFor?: string }) => {
      const configFile = file ?? opts.config;
      const { config, notes } = await loadConfigWithNotes(configFile, opts.from as SourceFormat, importOptions(opts));
      for (const n of notes) process.stdout.write(`${formatIssue(n)}\n`);
      const slos = config.models.reduce((n, m) => n + m.slos.length, 0);
      process.stdout.write(`${configFile}: valid (${config.models.length} models, ${slos} SLOs${notes.length > 0 ? `, ${notes.length} import notes` : ''})\n`);
    });
}
