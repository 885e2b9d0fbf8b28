/** `modelslo sidecar` (being built: registers nothing yet). */
import type { Command } from 'commander';

/** Registers the command. */
export function registerSidecar(_program: Command): void {}
