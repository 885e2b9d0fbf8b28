/**
 * Runs every benchmark module of bench/ in sequence and prints each one's table.
 * `npm run bench -- NAME` runs only the modules whose name contains NAME.
 * Exit code: 0 when every benchmark ran (a missed target is reported, not failed), 1 when one
 * crashed, 2 when the filter matches no benchmark.
 */
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What a benchmark module exports: `run` measures and returns its table as text. */
export interface BenchmarkModule {
  run(progress: (message: string) => void): Promise<string>;
}

function isBenchmark(mod: unknown): mod is BenchmarkModule {
  return typeof mod === 'object' && mod !== null && typeof (mod as { run?: unknown }).run === 'function';
}

/** Benchmark module files of this directory, by name: every `*.ts` but this runner. */
function benchmarkFiles(dir: string): string[] {
  const self = basename(fileURLToPath(import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== self)
    .sort();
}

async function main(): Promise<number> {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const filter = process.argv[2];
  const files = benchmarkFiles(dir).filter((f) => filter === undefined || f.replace(/\.ts$/, '').includes(filter));
  if (files.length === 0) {
    console.error(`bench: no benchmark matches "${filter ?? ''}" (have: ${benchmarkFiles(dir).join(', ')})`);
    return 2;
  }
  let crashed = 0;
  for (const file of files) {
    const name = file.replace(/\.ts$/, '');
    const started = process.hrtime.bigint();
    try {
      const mod: unknown = await import(pathToFileURL(`${dir}${file}`).href);
      if (!isBenchmark(mod)) throw new Error(`bench/${file} exports no run(progress) function`);
      const table = await mod.run((message) => console.error(`[${name}] ${message}`));
      console.log(`\n== ${name} ==\n${table}`);
    } catch (err) {
      crashed += 1;
      console.error(`[${name}] crashed:`, err);
    }
    console.error(`[${name}] done in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
  }
  return crashed > 0 ? 1 : 0;
}

process.exitCode = await main();
