/**
 * Vega-Lite specs → SVG text, in Node without a canvas: vega's headless `renderer: 'none'` and
 * `view.toSVG()` (text is measured by vega's estimate, so the bytes are the same everywhere).
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

const quiet = { level: () => quiet, error: () => quiet, warn: () => quiet, info: () => quiet, debug: () => quiet } as unknown as vega.LoggerInterface;

/** The SVG of one Vega-Lite spec. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec, { logger: quiet }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
