/**
 * Starting a worker thread from a file next to the caller: the `.js` file in the compiled dist/, the
 * `.ts` file when running from the sources (tsx, vitest). Node 20 does not apply
 * `execArgv: ['--import', 'tsx']` hooks to a worker's entry module, so from the sources the worker is
 * a small bootstrap that registers tsx's ESM loader in the thread and then imports the file.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The URL of tsx's ESM register API. */
function tsxApi(from: string): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    // Runners without import.meta.resolve: locate the package and its documented ESM entry.
    return pathToFileURL(createRequire(from).resolve('tsx/package.json').replace(/package\.json$/, 'dist/esm/api/index.mjs')).href;
  }
}

/** Starts the worker `name` (without extension) beside the module at `callerUrl` (its import.meta.url). */
export function startWorkerBeside(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const ts = callerUrl.endsWith('.ts');
  const entry = new URL(`./${name}.${ts ? 'ts' : 'js'}`, callerUrl);
  if (!ts) return new Worker(entry, options);
  return new Worker(`import(${JSON.stringify(tsxApi(callerUrl))}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`, { ...options, eval: true });
}
