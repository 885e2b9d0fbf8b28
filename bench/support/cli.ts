/** Runs the modelslo CLI from the sources (for benchmarks that need a real separate process). */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
