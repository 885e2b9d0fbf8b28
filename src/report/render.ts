/** A built report in every format: Markdown (charts as SVG files beside it), one self-contained HTML file, JSON. */
import type { BuiltReport } from './build.js';
import { chartSpecs } from './charts.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderSvg } from './svg.js';

/** The files of a report, by relative path. */
export interface RenderedReport {
  markdown: string;
  html: string;
  json: string;
  /** `charts/<name>.svg` → SVG text. */
  svgs: Map<string, string>;
}

/** Renders every format (charts once, shared by the Markdown and the HTML). */
export async function renderReport(built: BuiltReport): Promise<RenderedReport> {
  const specs = chartSpecs(built, built.drift);
  const svgs = new Map<string, string>();
  for (const c of specs) svgs.set(`charts/${c.file}`, await renderSvg(c.spec));
  const markdown = renderMarkdown(built.report, specs.map((c) => ({ file: `charts/${c.file}`, title: c.title })));
  return { markdown, html: renderHtml(markdown, svgs, built.report.title), json: `${JSON.stringify(built.report, null, 2)}\n`, svgs };
}
