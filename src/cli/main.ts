/** The `modelslo` command line: one sub-command per file in this folder. */
import { Command, CommanderError } from 'commander';
import { ExitError } from './errors.js';
import { registerCanary } from './canary.js';
import { registerGenerate } from './generate.js';
import { registerDaemon } from './daemon.js';
import { registerDemo } from './demo.js';
import { registerDrift } from './drift.js';
import { registerReport } from './report.js';
import { registerSidecar } from './sidecar.js';
import { registerValidate } from './validate.js';

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('modelslo')
    .description('SLO engine for ML model serving: SLO burn paging, drift alerts to model owners, postmortem reports')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .addHelpText('after', '\nExit codes: 0 success, 1 invalid config (or, for drift, drift found; for canary judge, rollback), 2 usage or I/O error, 3 canary judge: hold.');
  registerDemo(program);
  registerGenerate(program);
  registerValidate(program);
  registerDaemon(program);
  registerSidecar(program);
  registerDrift(program);
  registerCanary(program);
  registerReport(program);
  for (const cmd of program.commands) for (const c of [cmd, ...cmd.commands]) c.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return 2;
    }
    if (err instanceof ExitError) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 2;
  }
}
