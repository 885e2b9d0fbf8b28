/**
 * Vega-Lite specs → SVG text, in Node without a canvas: vega's headless `renderer: 'none'` and
 * `view.toSVG()` (text is measured by vega's estimate, so the bytes are the same everywhere).
 * vega and vega-lite are loaded on the first chart, not with the daemon: they weigh tens of MiB
 * of resident memory that a daemon drafting no report should not carry.
 */
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';

type Libraries = { vega: typeof Vega; vl: typeof VegaLite };
let libraries: Promise<Libraries> | undefined;

const load = (): Promise<Libraries> => (libraries ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl })));

/** The SVG of one Vega-Lite spec. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const { vega, vl } = await load();
  const quiet = { level: () => quiet, error: () => quiet, warn: () => quiet, info: () => quiet, debug: () => quiet } as unknown as Vega.LoggerInterface;
  const compiled = vl.compile(spec as unknown as VegaLite.TopLevelSpec, { logger: quiet }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
