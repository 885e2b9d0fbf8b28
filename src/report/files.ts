/** Which files each report format writes (paths relative to the output directory). */
import type { RenderedReport } from './render.js';

/** The formats of `modelslo report --format`. */
export const REPORT_FORMATS = ['md', 'html', 'json', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The files of the formats: md → report.md and charts/*.svg; html (and pdf, printed from it) → report.html; json → report.json. */
export function reportFiles(r: RenderedReport, formats: readonly ReportFormat[]): Map<string, string> {
  const files = new Map<string, string>();
  if (formats.includes('md')) {
    files.set('report.md', r.markdown);
    for (const [path, svg] of r.svgs) files.set(path, svg);
  }
  if (formats.includes('html') || formats.includes('pdf')) files.set('report.html', r.html);
  if (formats.includes('json')) files.set('report.json', r.json);
  return files;
}
