/** `--format pdf`: the self-contained HTML printed by headless Chromium, when one is installed. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary: env MODELSLO_CHROMIUM, else the first installed candidate; null when none. */
export function findChromium(): string | null {
  const env = process.env.MODELSLO_CHROMIUM;
  if (env !== undefined && env !== '') return existsSync(env) ? env : null;
  return CANDIDATES.find((c) => existsSync(c)) ?? null;
}

/** Prints `htmlFile` to `pdfFile` (no network: the HTML is self-contained). */
export function printPdf(chromium: string, htmlFile: string, pdfFile: string): Promise<void> {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-pdf-header-footer', `--print-to-pdf=${pdfFile}`, pathToFileURL(htmlFile).href];
  return new Promise((resolve, reject) => {
    const child = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.once('error', (cause) => reject(new Error(`cannot run ${chromium}`, { cause })));
    child.once('exit', (code) => (code === 0 && existsSync(pdfFile) ? resolve() : reject(new Error(`${chromium} could not print the PDF (exit ${String(code)}):\n${err}`))));
  });
}
