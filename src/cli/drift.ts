/** `modelslo drift` (being built: registers nothing yet). */
import type { Command } from 'commander';

/** Registers the command. */
export function registerDrift(_program: Command): void {}
