/**
 * The report as Markdown, after the Google SRE book's example postmortem: computed facts with
 * their definitions beside them, and prompts where people write (root causes, trigger,
 * resolution, action items, lessons). Deterministic: the same report gives the same bytes.
 */
import { dump } from 'js-yaml';
import { ENDPOINT_DEFINITIONS, type Report } from './build.js';
import { count, duration, percent, utc } from './format.js';

/** A chart as the Markdown references it. */
export interface ChartRef {
  file: string;
  title: string;
}

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const table = (head: string[], rows: string[][]): string[] => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
const when = (ms: number | null): string => (ms === null ? 'not seen in the range' : utc(ms));
const took = (s: number | null): string => (s === null ? 'n/a' : duration(s));
const prompt = (text: string): string => `_${text}_`;

function impact(r: Report): string[] {
  const i = r.impact;
  const win = `[${utc(i.window.fromMs)}, ${utc(i.window.toMs)})`;
  const slowDef = i.slowThresholdMs === null ? 'no latency SLO: not counted' : `answered requests whose latency exceeded ${i.slowThresholdMs} ms (the latency SLO's threshold)`;
  const m = i.maintenance;
  return [
    '## Impact',
    '',
    `Figures over the incident window ${win} (impact begins to impact ends, see Detection), from the request records the daemon stored.`,
    '',
    ...table(['figure', 'value', 'definition'], [
      ['requests served', count(i.requests), 'answered requests (records with an HTTP status) in the window'],
      ['requests failed', count(i.failed), 'of those, answered with HTTP 5xx'],
      ['requests slow', count(i.slow), slowDef],
    ]),
    '',
    'Per revision:',
    '',
    ...table(['revision', 'requests', 'failed (5xx)', 'slow'], i.byRevision.map((b) => [b.revision, count(b.requests), count(b.failed), count(b.slow)])),
    '',
    'Error budget:',
    '',
    ...table(['SLO', 'objective', 'bad in the incident', 'requests in the SLO window', 'window covered by the store', 'budget spent', 'budget remaining after'], i.budgets.map((b) => [b.slo, `${b.objective} % over ${b.window}`, count(b.incidentBad), count(b.windowRequests), duration(b.coveredSeconds), percent(b.spent), percent(b.remainingAfter)])),
    '',
    "Budget spent: the incident's bad events / ((1 − objective) × requests in the SLO window ending at the incident's end), a share of that whole window's budget. Budget remaining after: 1 − (error ratio over that SLO window / (1 − objective)), as the `modelslo:slo_error_budget_remaining:ratio` rule computes it; requests older than the store's retention do not count.",
    '',
    'Time over each burn-rate threshold (both windows of the alert over factor × (1 − objective), at each step boundary in the range, without the alert\'s `for`):',
    '',
    ...table(['SLO', 'alert', 'windows', 'factor', 'time over'], i.burnTime.map((b) => [b.slo, b.severity, `${b.long} / ${b.short}`, String(Number(b.factor.toPrecision(4))), duration(b.seconds)])),
    '',
    m.windows.length === 0 ? 'No maintenance window of the model overlaps the range.' : `Maintenance windows excluded from every figure and chart: ${m.windows.map((w) => `${w.name} (${utc(w.fromMs)} to ${utc(w.toMs)})`).join('; ')}; ${count(m.excludedRequests)} requests of the range left out.`,
    '',
  ];
}

function detection(r: Report): string[] {
  const d = r.detection;
  return [
    '## Detection',
    '',
    ...table(['endpoint', 'time', 'definition'], [
      ['IMPACT BEGINS', when(d.impactBeginsMs), ENDPOINT_DEFINITIONS.impactBegins],
      ['DETECTED', when(d.detectedMs), ENDPOINT_DEFINITIONS.detected],
      ['MITIGATED', `${when(d.mitigatedMs)}${d.mitigatedBy === null ? '' : ` (${d.mitigatedBy})`}`, ENDPOINT_DEFINITIONS.mitigated],
      ['IMPACT ENDS', when(d.impactEndsMs), ENDPOINT_DEFINITIONS.impactEnds],
    ]),
    '',
    `Step: ${ENDPOINT_DEFINITIONS.step}.`,
    '',
    `- Time to detect (detected − impact begins): ${took(d.ttdSeconds)}`,
    `- Time to mitigate (mitigated − impact begins): ${took(d.ttmSeconds)}`,
    `- Time to resolve (impact ends − impact begins): ${took(d.ttrSeconds)}`,
    ...(d.detectedBy === null ? [] : [`- Detected by: ${d.detectedBy.alertname} ${d.detectedBy.labels.severity ?? ''} (${d.detectedBy.labels.long_window ?? '?'}/${d.detectedBy.labels.short_window ?? '?'} windows), sent to ${d.detectedBy.receivers.length > 0 ? d.detectedBy.receivers.join(', ') : 'receivers unknown (Prometheus history)'}`]),
    '',
  ];
}

/** The Markdown text; `charts` are the SVG files it references (relative paths). */
export function renderMarkdown(r: Report, charts: readonly ChartRef[]): string {
  const lines = [
    `# ${r.title}`,
    '',
    `**Date:** ${r.date}  `,
    `**Authors:** ${r.authors.length > 0 ? r.authors.join(', ') : prompt('who wrote this')}  `,
    `**Status:** ${r.status} (generated by modelslo from what it saw; review every fact, write the parts in italics)  `,
    `**Range:** ${r.range.from} to ${r.range.to}, ${r.range.how}; figures on ${r.range.stepSeconds} s steps`,
    '',
    '## Summary',
    '',
    r.summary,
    '',
    ...impact(r),
    '## Candidate contributing factors',
    '',
    'Computed from the data as candidates for people to confirm or reject; none of them is known to be a cause.',
    '',
    ...(r.candidates.length === 0 ? ['None found (no new revision within 2 h before impact, no drift, no canary rollback, no maintenance window).'] : r.candidates.map((c) => `- ${utc(c.timeMs)}: ${c.text}`)),
    '',
    '## Root causes',
    '',
    prompt('What made this possible? Explain the causes, not who.'),
    '',
    '## Trigger',
    '',
    prompt('What set it off (a deploy, a traffic change, a dependency)?'),
    '',
    '## Resolution',
    '',
    prompt('What was done to mitigate and to fix it?'),
    '',
    ...detection(r),
    '## Action items',
    '',
    ...table(['action item', 'type', 'owner', 'tracking bug'], [
      [prompt('what will stop the impact from recurring'), 'prevent', prompt('owner'), prompt('bug')],
      [prompt('what would have mitigated it sooner'), 'mitigate', prompt('owner'), prompt('bug')],
      [prompt('what would change how we respond'), 'process', prompt('owner'), prompt('bug')],
    ]),
    '',
    '## Lessons learned',
    '',
    '### What went well',
    '',
    prompt(r.detection.ttdSeconds === null ? 'What worked?' : `Detection came ${took(r.detection.ttdSeconds)} after impact began; what worked?`),
    '',
    '### What went wrong',
    '',
    prompt('What did not work?'),
    '',
    '### Where we got lucky',
    '',
    prompt('What could have been worse?'),
    '',
    '## Timeline',
    '',
    'All times UTC.',
    '',
    ...r.timeline.map((e) => `- **${utc(e.timeMs).slice(0, 19)}** ${e.kind === 'marker' ? `**${e.text}**` : e.text}`),
    '',
    '## Charts',
    '',
    'The incident window is shaded; timeline events are the vertical marks.',
    '',
    ...charts.flatMap((c) => [`![${c.title}](${c.file})`, '']),
    '## Supporting information',
    '',
    'The PromQL behind each figure (to check them against Prometheus):',
    '',
    ...table(['figure', 'PromQL'], r.supporting.promql.map((q) => [q.figure, `\`${q.expr}\``])),
    '',
    'Revisions in the records:',
    '',
    ...(r.supporting.revisions.length === 0 ? ['None recorded.'] : table(['revision', 'first seen', 'last seen'], r.supporting.revisions.map((v) => [v.revision, utc(v.firstMs), utc(v.lastMs)]))),
    '',
    ...(r.supporting.dashboards.length === 0 ? [] : ['Dashboards for the range:', '', ...r.supporting.dashboards.map((d) => `- [${d.name}](${d.url})`), '']),
    "The model's config, as modelslo read it (defaults applied):",
    '',
    '```yaml',
    dump(r.supporting.model, { lineWidth: -1, noRefs: true }).trimEnd(),
    '```',
    '',
  ];
  return lines.join('\n');
}
