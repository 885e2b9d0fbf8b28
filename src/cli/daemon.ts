/** `modelslo daemon` (being built: registers nothing yet). */
import type { Command } from 'commander';

/** Registers the command. */
export function registerDaemon(_program: Command): void {}
