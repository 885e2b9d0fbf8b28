/**
 * Generation benchmark: a config of 1,000 SLOs (50 models × 20) parsed once, then timed as
 *   G  full generation to bytes: renderArtifacts(generateArtifacts(config)), promtool tests included;
 *   R  rule files only: modelRuleFile + renderYaml per model;
 *   S  serialization alone: renderYaml of the same rule objects, built outside the timed region.
 * Each case runs once to warm up, then REPS times; the median is reported, with G/S and R/S.
 * Targets (from the issue): ≤ 1 s on this 2-core machine and ≤ 3× serialization, for R and G.
 * A miss is printed as MISS; it never fails the run.
 */
import { cpus, loadavg } from 'node:os';
import type { Config } from '../src/model/types.js';
import { renderArtifacts, type OutputFile } from '../src/render/files.js';
import { renderYaml } from '../src/render/yaml.js';
import { generateArtifacts } from '../src/rules/generate.js';
import { modelRuleFile } from '../src/rules/model-rules.js';
import type { RuleFile } from '../src/rules/types.js';
import { parseConfig } from '../src/spec/parse.js';
import { formatIssue } from '../src/spec/positions.js';
import { DEFAULT_LATENCY_BUCKETS_MS, KNATIVE_LATENCY_BUCKETS_MS } from '../src/spec/schema.js';

const MODELS = 50;
const SLOS_PER_MODEL = 20;
const REPS = 5;
const OBJECTIVES = [99, 99.5, 99.9, 99.95];
const WINDOWS = ['28d', '30d'];
/** Targets from the issue. */
const MAX_SECONDS = 1;
const MAX_RATIO_TO_SERIALIZATION = 3;

/** Picks the `i`-th element of a non-empty list, cyclically. */
function pick<T>(list: readonly T[], i: number): T {
  const v = list[i % list.length];
  if (v === undefined) throw new Error('pick from an empty list');
  return v;
}

/**
 * The config as YAML text: models alternate sli_source sidecar/kserve; SLOs alternate availability
 * and latency SLIs; latency thresholds are bucket bounds of the model's histogram (the sidecar's
 * defaults or Knative's), objectives and windows cycle through small sets.
 */
export function benchConfigYaml(models = MODELS, slosPerModel = SLOS_PER_MODEL): string {
  const out: string[] = ['version: 1', 'alerting:', '  alertmanager_url: http://127.0.0.1:9093', '  oncall_receiver: oncall', 'models:'];
  for (let m = 0; m < models; m++) {
    const source = m % 2 === 0 ? 'sidecar' : 'kserve';
    const buckets = source === 'kserve' ? KNATIVE_LATENCY_BUCKETS_MS : DEFAULT_LATENCY_BUCKETS_MS;
    const team = `team-${m % 7}`;
    out.push(
      `  - name: model-${String(m).padStart(3, '0')}`,
      `    namespace: ns-${m % 5}`,
      `    owners: [{ team: ${team}, receiver: ${team} }]`,
      `    sli_source: ${source}`,
      '    slos:',
    );
    for (let s = 0; s < slosPerModel; s++) {
      const objective = pick(OBJECTIVES, m + s);
      const window = pick(WINDOWS, Math.floor(s / 2) + m);
      const sli = s % 2 === 0 ? '{ availability: {} }' : `{ latency: { threshold_ms: ${pick(buckets, s * 3 + m)} } }`;
      const kind = s % 2 === 0 ? 'availability' : 'latency';
      out.push(`      - { name: ${kind}-${s}, objective: ${objective}, window: ${window}, sli: ${sli} }`);
    }
  }
  return `${out.join('\n')}\n`;
}

function parsedConfig(text: string): Config {
  const parsed = parseConfig(text, 'bench.yaml');
  if (!parsed.ok) throw new Error(`the benchmark config is invalid:\n${parsed.issues.slice(0, 10).map(formatIssue).join('\n')}`);
  return parsed.config;
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * Median seconds of REPS runs of each case after one warm-up each. The cases are interleaved
 * (G R S, G R S, …) so that load from other processes falls on all of them alike and the ratios
 * stay meaningful on a busy machine. Each case returns a number, summed so no run is dead code.
 */
function timeCases(cases: ReadonlyArray<[string, () => number]>, progress: (m: string) => void): { seconds: number[]; cpuSeconds: number[]; sink: number } {
  let sink = 0;
  for (const [label, fn] of cases) {
    progress(`${label}: warm-up`);
    sink += fn();
  }
  const samples: number[][] = cases.map(() => []);
  const cpuSamples: number[][] = cases.map(() => []);
  for (let r = 1; r <= REPS; r++) {
    cases.forEach(([, fn], c) => {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      sink += fn();
      samples[c]?.push(Number(process.hrtime.bigint() - t0) / 1e9);
      const cpu = process.cpuUsage(cpu0);
      cpuSamples[c]?.push((cpu.user + cpu.system) / 1e6);
    });
    progress(`rep ${r}/${REPS}: ${cases.map(([label], c) => `${label.split(' ')[0] ?? ''} ${samples[c]?.at(-1)?.toFixed(3) ?? '?'} s`).join(', ')}`);
  }
  return { seconds: samples.map(median), cpuSeconds: cpuSamples.map(median), sink };
}

/** Rules of the SLO groups (the per-model absent group excluded): per SLO on average, and at most. */
function rulesPerSlo(files: readonly RuleFile[], sloCount: number): { mean: number; max: number } {
  let total = 0;
  let max = 0;
  for (const file of files) {
    for (const group of file.groups) {
      if (group.name.endsWith('-absent')) continue;
      total += group.rules.length;
      max = Math.max(max, group.rules.length);
    }
  }
  return { mean: total / sloCount, max };
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

/** Runs the benchmark and returns its table. */
export function run(progress: (message: string) => void): Promise<string> {
  progress(`building a config of ${MODELS} models × ${SLOS_PER_MODEL} SLOs`);
  const text = benchConfigYaml();
  const t0 = process.hrtime.bigint();
  const config = parsedConfig(text);
  const parseSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const sloCount = config.models.reduce((n, m) => n + m.slos.length, 0);

  // Built outside any timed region: the objects S serializes and the rule counts.
  const ruleFiles = config.models.map((m) => modelRuleFile(m, config.alerting));
  const perSlo = rulesPerSlo(ruleFiles, sloCount);

  // Timed regions only keep string lengths; bytes are counted after, from the last run's output.
  let lastFiles: OutputFile[] = [];
  let lastRules: string[] = [];
  const load = loadavg()[0] ?? 0;
  const timed = timeCases(
    [
      ['G full generation', () => {
        lastFiles = renderArtifacts(generateArtifacts(config));
        return lastFiles.length;
      }],
      ['R rule files', () => {
        lastRules = config.models.map((model) => renderYaml(modelRuleFile(model, config.alerting)));
        return lastRules.length;
      }],
      ['S serialization', () => {
        let n = 0;
        for (const file of ruleFiles) n += renderYaml(file).length;
        return n;
      }],
    ],
    progress,
  );
  const [gSeconds = Number.NaN, rSeconds = Number.NaN, sSeconds = Number.NaN] = timed.seconds;
  const g = { seconds: gSeconds };
  const r = { seconds: rSeconds };
  const s = { seconds: sSeconds };

  const outputBytes = lastFiles.reduce((n, f) => n + bytes(f.content), 0);
  const ruleBytes = lastRules.reduce((n, t) => n + bytes(t), 0);
  // CPU seconds of this process (all its threads, GC included): a cross-check of wall time when other work competes.
  const cpu = (c: number): string => (timed.cpuSeconds[c] ?? Number.NaN).toFixed(3);
  const gs = g.seconds / s.seconds;
  const rs = r.seconds / s.seconds;
  const lines = [
    `config: ${config.models.length} models, ${sloCount} SLOs (${bytes(text)} bytes of YAML, parsed in ${parseSeconds.toFixed(3)} s); ${cpus().length} CPUs; median of ${REPS} (cases interleaved) after 1 warm-up each`,
    '',
    table([
      ['case', 'seconds', 'cpu s', 'ratio to S', `≤ ${MAX_SECONDS} s`, `≤ ${MAX_RATIO_TO_SERIALIZATION}× S`],
      ['G full generation (rules + promtool tests + alertmanager)', g.seconds.toFixed(3), cpu(0), `G/S ${gs.toFixed(2)}`, verdict(g.seconds <= MAX_SECONDS), verdict(gs <= MAX_RATIO_TO_SERIALIZATION)],
      ['R rule files (modelRuleFile + renderYaml)', r.seconds.toFixed(3), cpu(1), `R/S ${rs.toFixed(2)}`, verdict(r.seconds <= MAX_SECONDS), verdict(rs <= MAX_RATIO_TO_SERIALIZATION)],
      ['S serialization (renderYaml of pre-built rules)', s.seconds.toFixed(3), cpu(2), '1.00', '', ''],
    ]),
    '',
    `rules per SLO: ${perSlo.mean.toFixed(2)} mean, ${perSlo.max} max (per-model absent group excluded)`,
    `output bytes: ${outputBytes} total (G, all files), ${ruleBytes} of rule files (R)`,
    `targets (issue): ≤ ${MAX_SECONDS} s on this 2-core machine and ≤ ${MAX_RATIO_TO_SERIALIZATION}× serialization, for R and G — a MISS is reported, not failed`,
  ];
  if (load > cpus().length) {
    const [gc = Number.NaN, rc = Number.NaN, sc = Number.NaN] = timed.cpuSeconds;
    lines.push(
      `note: load average ${load.toFixed(1)} on ${cpus().length} CPUs when timing began: wall seconds and their ratios are inflated and noisy; ` +
        `the cpu s column is the steadier guide (by CPU time G/S ${(gc / sc).toFixed(2)}, R/S ${(rc / sc).toFixed(2)})`,
    );
  }
  // Keeps the timed results observable so no run is optimized away.
  if (timed.sink < 0) lines.push('(unreachable)');
  return Promise.resolve(lines.join('\n'));
}
