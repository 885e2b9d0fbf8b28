/** `modelslo validate`: checks a config and lists every problem with file:line:col and field path. */
import type { Command } from 'commander';
import { loadConfig, type SourceFormat } from './load-config.js';

/** Registers the command. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate a config file; lists every problem as file:line:col: field: message')
    .argument('[file]', 'config file (overrides -c)')
    .option('-c, --config <file>', 'config file', 'modelslo.yaml')
    .option('--from <format>', 'read the config as: modelslo | sloth | openslo', 'modelslo')
    .addHelpText('after', '\nExit codes: 0 valid, 1 invalid, 2 unreadable file or usage error.')
    .action(async (file: string | undefined, opts: { config: string; from: string }) => {
      const configFile = file ?? opts.config;
      const config = await loadConfig(configFile, opts.from as SourceFormat);
      const slos = config.models.reduce((n, m) => n + m.slos.length, 0);
      process.stdout.write(`${configFile}: valid (${config.models.length} models, ${slos} SLOs)\n`);
    });
}
