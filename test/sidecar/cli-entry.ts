// Runs the modelslo CLI from the TypeScript sources (under tsx), for the sidecar CLI tests.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
