/**
 * `modelslo canary judge` end to end (main() in-process): the verdicts and their exit codes (0
 * promote, 1 rollback, 3 hold, 2 bad input with file:line), --json, the config's settings, and the
 * p-values of the printed checks equal to scipy on the same files.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { mulberry32 } from '../../src/demo/prng.js';
import { runScipy } from '../support/scipy.js';

let dir: string;
const file = (name: string): string => join(dir, name);

interface Rec {
  status: number;
  latency_ms: number;
  prediction: number;
}

function records(n: number, seed: number, o: { failEvery?: number; latencyMs?: number; shift?: number } = {}): Rec[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => ({
    status: o.failEvery !== undefined && i % o.failEvery === 0 ? 503 : 200,
    // Rounded to 0.5 ms, as latencies often are: ties, so scipy takes the tie-corrected normal approximation.
    latency_ms: Math.round(2 * (o.latencyMs ?? 20) * (0.5 + rand())) / 2,
    prediction: Number(((o.shift ?? 0) + rand()).toFixed(3)),
  }));
}

const jsonl = (rs: readonly unknown[]): string => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';

const run = runCli;

const data: Record<string, Rec[]> = {
  primary: records(800, 1),
  good: records(400, 2),
  bad: records(400, 3, { failEvery: 10, latencyMs: 40 }),
  drifted: records(400, 4, { shift: 0.5 }),
  thin: records(40, 5, { failEvery: 2 }),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelslo-canary-cli-'));
  for (const [name, rs] of Object.entries(data)) await writeFile(file(`${name}.jsonl`), jsonl(rs));
  await writeFile(file('broken.jsonl'), '{"status":200,"latency_ms":3}\n{"status":"ok","latency_ms":3}\n');
  await writeFile(file('notjson.jsonl'), '{"status":200,"latency_ms":3}\n\n{"status":200,\n');
  await writeFile(
    file('modelslo.yaml'),
    [
      'alerting: { receivers: [{ name: oncall }, { name: fraud-ml }] }',
      'models:',
      '  - name: fraud-detector',
      '    namespace: payments',
      '    owners: [{ team: fraud-ml, receiver: fraud-ml }]',
      '    slos: [{ name: availability, objective: 99.9, sli: { availability: {} } }]',
      '    canary: { min_requests: 500 }',
      '',
    ].join('\n'),
  );
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const judge = (canary: string, extra: string[] = []) => run(['canary', 'judge', '--primary', file('primary.jsonl'), '--canary', file(`${canary}.jsonl`), ...extra]);

describe('modelslo canary judge', () => {
  it.each([
    ['good', 0, 'promote'],
    ['bad', 1, 'rollback'],
    ['drifted', 1, 'rollback'],
    ['thin', 3, 'hold'],
  ])('judges the %s canary: exit %i, verdict %s', async (name, code, verdict) => {
    const r = await judge(name, ['--json']);
    expect(r.code).toBe(code);
    const out = JSON.parse(r.out) as { verdict: string; checks: Array<{ name: string; value: number | null; threshold: number | null; pValue: number | null; pass: boolean }> };
    expect(out.verdict).toBe(verdict);
    for (const c of out.checks) expect(Object.keys(c)).toEqual(expect.arrayContaining(['name', 'value', 'threshold', 'pValue', 'pass']));
    if (name === 'drifted') expect(out.checks.filter((c) => !c.pass).map((c) => c.name)).toEqual(['prediction_drift']);
  });

  it('prints the p-values scipy computes on the same files', async () => {
    const r = await judge('bad', ['--json']);
    const checks = (JSON.parse(r.out) as { checks: Array<{ name: string; pValue: number | null; value: number | null }> }).checks;
    const by = (n: string) => checks.find((c) => c.name === n);
    const script = `
from scipy.stats import fisher_exact, mannwhitneyu, ks_2samp
def main(d):
    p, c = d["primary"], d["canary"]
    ec = sum(1 for r in c if r["status"] >= 500); ep = sum(1 for r in p if r["status"] >= 500)
    return {
        "fisher": fisher_exact([[ec, len(c) - ec], [ep, len(p) - ep]], alternative="greater")[1],
        "mw": mannwhitneyu([r["latency_ms"] for r in c], [r["latency_ms"] for r in p], alternative="greater").pvalue,
        "ks": ks_2samp([r["prediction"] for r in p], [r["prediction"] for r in c]).pvalue,
    }`;
    const want = await runScipy<{ fisher: number; mw: number; ks: number }>(script, { primary: data.primary, canary: data.bad });
    expect(Math.abs((by('error_rate')?.pValue ?? Number.NaN) - want.fisher)).toBeLessThan(1e-12);
    expect(Math.abs((by('latency')?.pValue ?? Number.NaN) - want.mw)).toBeLessThan(1e-9);
    expect(Math.abs((by('prediction_drift')?.pValue ?? Number.NaN) - want.ks)).toBeLessThan(1e-9);
  });

  it('prints a table by default', async () => {
    const r = await judge('bad');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^settings: defaults/);
    expect(r.out).toMatch(/\nerror_rate\s+0\.1\s+0\.01\s+\S+\s+FAIL/);
    expect(r.out).toMatch(/\nverdict: rollback \(failed: /);
  });

  it("uses the model's canary settings and SLOs with -c and --model", async () => {
    const r = await judge('good', ['--json', '-c', file('modelslo.yaml'), '--model', 'payments/fraud-detector']);
    // min_requests 500 from the config: 400 canary records are too few.
    expect(r.code).toBe(3);
    const out = JSON.parse(r.out) as { checks: Array<{ name: string }>; settings: string };
    expect(out.settings).toContain('payments/fraud-detector');
    expect(out.checks.map((c) => c.name)).toContain('budget:availability');
  });

  it.each([
    [['--canary', 'broken.jsonl'], /broken\.jsonl:2: status: must be an HTTP status code \(100-599\), got "ok"/],
    [['--canary', 'notjson.jsonl'], /notjson\.jsonl:3: not JSON/],
    [['--canary', 'missing.jsonl'], /missing\.jsonl: cannot read \(ENOENT\)/],
  ])('exits 2 on bad input %j, naming file and line', async (args, message) => {
    const r = await run(['canary', 'judge', '--primary', file('primary.jsonl'), ...args.map((a) => (a.endsWith('.jsonl') ? file(a) : a))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('exits 2 for an unknown model, naming the models it has', async () => {
    const r = await judge('good', ['-c', file('modelslo.yaml'), '--model', 'payments/nope']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--model payments/nope: no such model');
    expect(r.err).toContain('payments/fraud-detector');
  });

  it('documents the exit codes in --help', async () => {
    const r = await run(['canary', 'judge', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Exit codes: 0 promote, 1 rollback, 3 hold');
  });
});
