/**
 * PromQL templates with Sloth's `{{.window}}` placeholder (sloth.dev, "SLI types": events and raw
 * queries are Go templates rendered once per window). modelslo renders them the same way and
 * checks every rendered window with Prometheus's lezer grammar.
 */
import { SLI_WINDOWS } from '../slo/burn-windows.js';
import { promqlError } from './promql.js';

/** The placeholder, spaces allowed inside the braces as Go templates allow. */
const PLACEHOLDER = /\{\{\s*\.window\s*\}\}/g;

/**
 * MetricsQL (VictoriaMetrics) functions Prometheus lacks, from docs.victoriametrics.com/metricsql:
 * a query using one cannot run on Prometheus, so it is refused by name rather than as a parse error.
 */
const METRICSQL_ONLY = ['histogram_share', 'histogram_avg', 'histogram_stddev', 'histogram_stdvar', 'share_le_over_time', 'share_gt_over_time', 'count_le_over_time', 'count_gt_over_time', 'range_first', 'range_last', 'rollup', 'rollup_rate', 'default_rollup', 'with'];

/** The template with every placeholder replaced by `window`. */
export function renderTemplate(template: string, window: string): string {
  return template.replace(PLACEHOLDER, window);
}

/** Whether the text holds the `{{.window}}` placeholder. */
export function hasWindowPlaceholder(text: string): boolean {
  return new RegExp(PLACEHOLDER.source).test(text);
}

/** Why a template cannot be a Prometheus SLI query, or undefined when every window renders valid PromQL. */
export function templateError(template: string, windows: readonly string[] = [...SLI_WINDOWS, '28d', '30d']): string | undefined {
  if (!hasWindowPlaceholder(template)) return 'must use the {{.window}} placeholder (it is rendered once per alerting window)';
  const fn = METRICSQL_ONLY.find((name) => new RegExp(`\\b${name}\\s*\\(`).test(template));
  if (fn !== undefined) return `uses ${fn}(), a MetricsQL (VictoriaMetrics) function that Prometheus lacks`;
  for (const w of windows) {
    const error = promqlError(renderTemplate(template, w));
    if (error !== undefined) return `rendered with the window ${w}: ${error}`;
  }
  return undefined;
}

/** An error-ratio template from error and total event templates, bracketed as Sloth brackets them. */
export function eventsRatioTemplate(errors: string, total: string): string {
  return `(${errors.trim()})\n/\n(${total.trim()})`;
}
